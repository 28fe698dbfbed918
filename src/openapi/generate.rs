//! Negative cases from a request schema: the valid request, broken in one place at a time.
//!
//! For each member the schema describes (nested objects and the first item of each array too)
//! and the valid body gives, one variant per violation, as Schemathesis' coverage phase makes
//! them: the member missing when required; `null`; a value of the wrong type; each constraint
//! broken (`minLength`−1, `maxLength`+1, `pattern`, `format`, below `minimum`, above
//! `maximum`, outside `enum`/`const`, `multipleOf`, array sizes and `uniqueItems`); an extra
//! member where `additionalProperties: false`. Valid boundaries (exactly `minLength`,
//! `maxLength`, `minimum`, `maximum`) are variants too, expecting success.
//!
//! Every value made is judged with the member's own schema before it is kept: a "violation"
//! the schema accepts (or a "boundary" it refuses) is dropped, so no case expects a refusal
//! of a valid body. Nothing is random unless a seed is given; the same schema and body give the
//! same variants in the same order.

use serde_json::{Value, json};

use super::ApiDoc;
use super::resolve::Resolver;
use crate::i18n::Text;
use crate::suite::{PatchKind, PatchOp};

/// What the valid body itself breaks, as `pointer: reason`, at most 10: each case a block makes
/// breaks the schema in one place, so the body they all start from must meet it (else a
/// boundary case expecting success is refused for another reason, and a violation hides behind
/// one already there). A template is no value yet (`"{{ citizen }}"` is no citizen ID until
/// the case runs): an error at one, or inside a part holding one, does not count, unless it is
/// about the part's own members (one required missing, one extra).
pub fn base_errors(doc: &ApiDoc, request: &Request, base: &Value) -> Result<Vec<String>, String> {
    let validator =
        doc.compiled
            .request_validator(&doc.request_files, request.file, request.pointer)?;
    Ok(validator
        .iter_errors(base)
        .filter(|e| {
            let at = base.pointer(&e.instance_path().to_string());
            let schema_path = e.schema_path().to_string();
            let keyword = schema_path.rsplit('/').next().unwrap_or("");
            !at.is_some_and(|at| awaits_template(at, keyword))
        })
        .take(10)
        .map(|e| {
            let at = e.instance_path().to_string();
            format!("{}: {e}", if at.is_empty() { "/" } else { &at })
        })
        .collect())
}

/// Whether an error at this value may be a template's doing.
fn awaits_template(at: &Value, keyword: &str) -> bool {
    const OWN_MEMBERS: [&str; 6] = [
        "required",
        "additionalProperties",
        "unevaluatedProperties",
        "dependentRequired",
        "minProperties",
        "maxProperties",
    ];
    match at {
        Value::String(s) => s.contains("{{"),
        _ if OWN_MEMBERS.contains(&keyword) => false,
        _ => {
            // Iterative: a body's depth is the suite's to choose.
            let mut stack = vec![at];
            while let Some(v) = stack.pop() {
                match v {
                    Value::String(s) if s.contains("{{") => return true,
                    Value::Array(items) => stack.extend(items),
                    Value::Object(members) => stack.extend(members.values()),
                    _ => {}
                }
            }
            false
        }
    }
}

/// The most variants one `generate` block may make.
pub const MAX_VARIANTS: usize = 2_000;
/// The deepest member looked into.
const MAX_DEPTH: usize = 32;
/// The most schema nodes one member's `allOf` branches may take together.
const MAX_FACET_NODES: usize = 256;

/// One generated request: what it breaks (or keeps at a boundary) and the patch that does it.
#[derive(Clone, Debug, PartialEq)]
pub struct Variant {
    /// The member's JSON pointer in the body (`/applicant/first_name_th`; empty: the body).
    pub member: String,
    /// `missing`, `null`, `wrong_type`, `above_max_length`, `exact_minimum`, …
    pub violation: String,
    /// A boundary the schema accepts: the request should succeed.
    pub valid: bool,
    pub patch: PatchOp,
    /// What it does, for the case's title.
    pub description: Text,
}

/// Where the request schema is (a file of `doc` and a pointer in it), and what to vary.
pub struct Request<'a> {
    pub file: usize,
    pub pointer: &'a str,
    /// Members (JSON pointers) left as they are, and everything under them.
    pub skip: &'a [String],
    /// `(seed, count)`: this many more values per member, drawn from a generator seeded so.
    pub random: Option<(u64, u32)>,
}

pub fn variants(doc: &ApiDoc, request: &Request, base: &Value) -> Result<Vec<Variant>, String> {
    if let Some((_, count)) = request.random
        && count > MAX_RANDOM
    {
        return Err(format!(
            "`random.count` is {count}: at most {MAX_RANDOM} values per member"
        ));
    }
    let validator =
        doc.compiled
            .request_validator(&doc.request_files, request.file, request.pointer)?;
    let mut walk = Walk {
        resolver: Resolver {
            files: &doc.request_files,
        },
        request,
        judge: Judge::new(validator, base),
        skips_used: vec![false; request.skip.len()],
        out: Vec::new(),
        rng: request.random.map(|(seed, _)| SplitMix(seed)),
    };
    walk.member(request.file, request.pointer, "", Some(base), false, 0)?;
    let unused: Vec<&str> = request
        .skip
        .iter()
        .zip(&walk.skips_used)
        .filter(|(_, used)| !**used)
        .map(|(s, _)| s.as_str())
        .collect();
    if !unused.is_empty() {
        return Err(format!(
            "`skip` names no member the schema and the valid body give: {} (a member is a JSON pointer into the body: `/applicant/phone`, `/items/0/note`)",
            unused.join(", ")
        ));
    }
    Ok(walk.out)
}

/// The most values `random` adds per member.
const MAX_RANDOM: u32 = 100;
/// The longest string made (a `maxLength` beyond it gets no length cases), and the most bytes
/// an array made may hold: a case's body stays small.
const MAX_MADE_LENGTH: u64 = 10_000;
const MAX_MADE_BYTES: usize = 1024 * 1024;

/// Judges a body made from the valid one against the whole request schema: what a member's
/// value does inside its parent (`uniqueItems`, an `allOf` branch that redefines it,
/// `prefixItems`) counts too. The valid body may itself break the schema where it holds a
/// template (`{{ citizen }}` is no citizen ID); only errors it does not already have count.
struct Judge<'a> {
    validator: jsonschema::Validator,
    base: &'a Value,
    errors: Vec<(String, String)>,
}

impl<'a> Judge<'a> {
    fn new(validator: jsonschema::Validator, base: &'a Value) -> Self {
        let errors = error_keys(&validator, base);
        Self {
            validator,
            base,
            errors,
        }
    }

    /// The schema paths of the errors the body with this patch has that the valid body does
    /// not; `None` when the patch does not apply.
    fn new_errors(&self, patch: &PatchOp) -> Option<Vec<String>> {
        let mut body = self.base.clone();
        crate::suite::json_patch(&mut body, patch).ok()?;
        // The member's own value is replaced: the base's errors there do not stand.
        let under = |at: &str| at == patch.path || at.starts_with(&format!("{}/", patch.path));
        let standing: Vec<&(String, String)> =
            self.errors.iter().filter(|(at, _)| !under(at)).collect();
        Some(
            error_keys(&self.validator, &body)
                .into_iter()
                .filter(|key| !standing.contains(&key))
                .map(|(_, schema)| schema)
                .collect(),
        )
    }

    /// Whether the body with this patch breaks the schema anew.
    fn breaks(&self, patch: &PatchOp) -> Option<bool> {
        self.new_errors(patch).map(|e| !e.is_empty())
    }
}

/// Each error as (instance path, schema path): the same error in two bodies has the same key.
fn error_keys(validator: &jsonschema::Validator, body: &Value) -> Vec<(String, String)> {
    validator
        .iter_errors(body)
        .take(1_000)
        .map(|e| (e.instance_path().to_string(), e.schema_path().to_string()))
        .collect()
}

/// What a schema says of one member, its `allOf` branches taken together.
#[derive(Default)]
struct Facets {
    types: Vec<String>,
    properties: Vec<(String, usize, String)>,
    required: Vec<String>,
    closed: bool,
    items: Option<(usize, String)>,
    min_length: Option<u64>,
    max_length: Option<u64>,
    pattern: Option<String>,
    format: Option<String>,
    minimum: Option<f64>,
    maximum: Option<f64>,
    exclusive_minimum: Option<f64>,
    exclusive_maximum: Option<f64>,
    multiple_of: Option<f64>,
    enumeration: Option<Vec<Value>>,
    constant: Option<Value>,
    min_items: Option<u64>,
    max_items: Option<u64>,
    unique_items: bool,
    read_only: bool,
}

struct Walk<'a> {
    resolver: Resolver<'a>,
    request: &'a Request<'a>,
    judge: Judge<'a>,
    out: Vec<Variant>,
    rng: Option<SplitMix>,
    /// Which `skip` entries left a member out: one that never does is likely a typo.
    skips_used: Vec<bool>,
}

impl Walk<'_> {
    /// What the schema at `file`/`pointer` says, its `allOf` branches taken together; each
    /// node once (`seen`), however many branches name it.
    fn facets(
        &self,
        file: usize,
        pointer: &str,
        into: &mut Facets,
        seen: &mut std::collections::HashSet<(usize, String)>,
    ) -> Result<(), String> {
        let (file, pointer, node) = self.resolver.deref(file, pointer)?;
        if seen.len() > MAX_FACET_NODES || !seen.insert((file, pointer.clone())) {
            return Ok(());
        }
        let Value::Object(map) = node else {
            return Ok(());
        };
        let number = |key: &str| map.get(key).and_then(Value::as_f64);
        let count = |key: &str| map.get(key).and_then(Value::as_u64);
        match map.get("type") {
            Some(Value::String(t)) => into.types.push(t.clone()),
            Some(Value::Array(ts)) => into
                .types
                .extend(ts.iter().filter_map(Value::as_str).map(str::to_string)),
            _ => {}
        }
        if let Some(Value::Object(props)) = map.get("properties") {
            for name in props.keys() {
                if !into.properties.iter().any(|(n, _, _)| n == name) {
                    let at = format!("{pointer}/properties/{}", super::escape(name));
                    into.properties.push((name.clone(), file, at));
                }
            }
        }
        if let Some(Value::Array(required)) = map.get("required") {
            into.required.extend(
                required
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string),
            );
        }
        into.closed |= map.get("additionalProperties") == Some(&Value::Bool(false));
        if map.get("items").is_some_and(Value::is_object) && into.items.is_none() {
            into.items = Some((file, format!("{pointer}/items")));
        }
        into.min_length = into.min_length.or(count("minLength"));
        into.max_length = into.max_length.or(count("maxLength"));
        into.pattern = into.pattern.take().or_else(|| {
            map.get("pattern")
                .and_then(Value::as_str)
                .map(str::to_string)
        });
        into.format = into.format.take().or_else(|| {
            map.get("format")
                .and_then(Value::as_str)
                .map(str::to_string)
        });
        into.minimum = into.minimum.or(number("minimum"));
        into.maximum = into.maximum.or(number("maximum"));
        into.exclusive_minimum = into.exclusive_minimum.or(number("exclusiveMinimum"));
        into.exclusive_maximum = into.exclusive_maximum.or(number("exclusiveMaximum"));
        into.multiple_of = into.multiple_of.or(number("multipleOf"));
        if into.enumeration.is_none()
            && let Some(Value::Array(values)) = map.get("enum")
        {
            into.enumeration = Some(values.clone());
        }
        into.constant = into.constant.take().or_else(|| map.get("const").cloned());
        into.min_items = into.min_items.or(count("minItems"));
        into.max_items = into.max_items.or(count("maxItems"));
        into.unique_items |= map.get("uniqueItems") == Some(&Value::Bool(true));
        into.read_only |= map.get("readOnly") == Some(&Value::Bool(true));
        if let Some(Value::Array(branches)) = map.get("allOf") {
            for i in 0..branches.len() {
                self.facets(file, &format!("{pointer}/allOf/{i}"), into, seen)?;
            }
        }
        Ok(())
    }

    /// Whether `member` is left out; if it is, the entries that name it or a member under it
    /// count as used.
    fn skipped(&mut self, member: &str) -> bool {
        let under = |outer: &str, inner: &str| {
            inner == outer || (inner.starts_with(outer) && inner[outer.len()..].starts_with('/'))
        };
        let skipped = self.request.skip.iter().any(|s| under(s, member));
        if skipped {
            for (s, used) in self.request.skip.iter().zip(&mut self.skips_used) {
                *used |= under(member, s);
            }
        }
        skipped
    }

    fn member(
        &mut self,
        file: usize,
        pointer: &str,
        member: &str,
        base: Option<&Value>,
        required: bool,
        depth: usize,
    ) -> Result<(), String> {
        if depth > MAX_DEPTH || self.skipped(member) {
            return Ok(());
        }
        let mut f = Facets::default();
        self.facets(file, pointer, &mut f, &mut Default::default())?;
        // The client does not send what only the server writes.
        if f.read_only {
            return Ok(());
        }
        let mut made = Made {
            member,
            base,
            judge: &self.judge,
            room: MAX_VARIANTS.saturating_sub(self.out.len()),
            out: Vec::new(),
        };
        if required && base.is_some() {
            let patch = PatchOp {
                op: PatchKind::Remove,
                path: member.to_string(),
                value: None,
            };
            if self.judge.breaks(&patch) == Some(true) {
                made.out.push(Variant {
                    member: member.to_string(),
                    violation: "missing".into(),
                    valid: false,
                    patch,
                    description: crate::text!("ไม่มี {}", "{} left out", shown(member)),
                });
            }
        }
        made.values(&f, self.rng.as_mut().zip(self.request.random.map(|r| r.1)));
        let full = made.room == 0;
        self.out.append(&mut made.out);
        if full {
            return Err(format!(
                "more than {MAX_VARIANTS} cases: leave members out with `skip:`"
            ));
        }
        // Inside: the members the body gives, and the first item of a list.
        match base {
            Some(Value::Object(object)) => {
                for (name, file, at) in &f.properties {
                    let child = format!("{member}/{}", super::escape(name));
                    let required = f.required.contains(name);
                    self.member(*file, at, &child, object.get(name), required, depth + 1)?;
                }
            }
            Some(Value::Array(items)) if !items.is_empty() => {
                if let Some((file, at)) = &f.items {
                    let child = format!("{member}/0");
                    self.member(*file, &at.clone(), &child, items.first(), false, depth + 1)?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// A member's path as a title shows it: `applicant.first_name_th`, `attachments[0].type`.
fn shown(member: &str) -> String {
    if member.is_empty() {
        return "body".into();
    }
    let mut out = String::new();
    for segment in member.trim_start_matches('/').split('/') {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        if segment.bytes().all(|b| b.is_ascii_digit()) && !out.is_empty() {
            out.push_str(&format!("[{segment}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&segment);
        }
    }
    out
}

/// The variants of one member's value, each judged with the whole request schema.
struct Made<'a> {
    member: &'a str,
    base: Option<&'a Value>,
    judge: &'a Judge<'a>,
    /// How many more variants the block may make.
    room: usize,
    out: Vec<Variant>,
}

impl Made<'_> {
    /// The patch that gives the member this value.
    fn patch(&self, value: Value) -> PatchOp {
        let op = if self.base.is_some() || self.member.is_empty() {
            PatchKind::Replace
        } else {
            PatchKind::Add
        };
        PatchOp {
            op,
            path: self.member.to_string(),
            value: Some(value),
        }
    }

    /// Keeps a value when the schema judges the body it makes as the variant says (broken, or
    /// a valid boundary) and no variant of this member already sends it.
    fn push(&mut self, violation: &str, value: Value, valid: bool, description: Text) {
        let patch = self.patch(value);
        self.keep(violation, patch, valid, description);
    }

    /// Of several values, the first that breaks the schema by `keyword` alone (or, for a
    /// boundary, not at all); else the first that breaks it at all: a case breaks one thing
    /// where a value can.
    fn push_one_of(
        &mut self,
        violation: &str,
        keyword: &str,
        candidates: Vec<Value>,
        valid: bool,
        description: Text,
    ) {
        let mut fallback = None;
        for value in candidates {
            let patch = self.patch(value);
            let Some(errors) = self.judge.new_errors(&patch) else {
                continue;
            };
            let alone = errors.iter().all(|e| e.ends_with(&format!("/{keyword}")));
            if valid == errors.is_empty() && (valid || alone) {
                return self.keep(violation, patch, valid, description);
            }
            if !valid && !errors.is_empty() && fallback.is_none() {
                fallback = Some(patch);
            }
        }
        if let Some(patch) = fallback {
            self.keep(violation, patch, valid, description);
        }
    }

    /// Keeps a patch when the schema judges the body it makes as the variant says and no
    /// variant of this member already sends it.
    fn keep(&mut self, violation: &str, patch: PatchOp, valid: bool, description: Text) {
        let value = patch.value.as_ref();
        if self.room == 0
            || self.out.iter().any(|v| v.patch == patch)
            || (valid && value.is_some() && self.base == value)
            || self.judge.breaks(&patch) != Some(!valid)
        {
            return;
        }
        self.room -= 1;
        let member = shown(self.member);
        let description = Text::new(
            format!("{member}: {}", description.th),
            format!("{member}: {}", description.en),
        );
        self.out.push(Variant {
            member: self.member.to_string(),
            violation: violation.to_string(),
            valid,
            patch,
            description,
        });
    }

    /// The body's own value when it is written out (not a template), to build on.
    fn literal(&self) -> Option<&str> {
        self.base
            .and_then(Value::as_str)
            .filter(|s| !s.contains("{{"))
    }

    fn values(&mut self, f: &Facets, random: Option<(&mut SplitMix, u32)>) {
        let allows = |t: &str| {
            f.types.is_empty()
                || f.types
                    .iter()
                    .any(|x| x == t || (t == "integer" && x == "number"))
        };
        self.push("null", Value::Null, false, crate::text!("เป็น null", "null"));
        let wrong: Value = if !allows("string") {
            json!("12345")
        } else if !allows("integer") {
            json!(12345)
        } else if !allows("object") {
            json!(["12345"])
        } else {
            json!({"value": "12345"})
        };
        let kind = type_of(&wrong);
        self.push(
            "wrong_type",
            wrong,
            false,
            crate::text!("ชนิดข้อมูลผิด ({})", "wrong type ({})", kind),
        );
        if f.types.iter().any(|t| t == "integer") {
            let at = self.base.and_then(Value::as_f64).unwrap_or(1.0).trunc() + 0.5;
            self.push(
                "not_integer",
                json!(at),
                false,
                crate::text!("ไม่ใช่จำนวนเต็ม", "not an integer"),
            );
        }
        self.strings(f);
        self.numbers(f);
        if let Some(values) = &f.enumeration {
            let outside = outside_of(values);
            self.push(
                "not_in_enum",
                outside,
                false,
                crate::text!("ไม่อยู่ในค่าที่กำหนด (enum)", "outside the enum"),
            );
        }
        if let Some(constant) = &f.constant {
            let outside = outside_of(std::slice::from_ref(constant));
            self.push(
                "not_const",
                outside,
                false,
                crate::text!("ไม่ใช่ค่าที่กำหนด (const)", "not the const"),
            );
        }
        self.arrays(f);
        if f.closed
            && let Some(Value::Object(object)) = self.base
        {
            let mut name = "cpc_unexpected".to_string();
            while object.contains_key(&name) {
                name.push('_');
            }
            // Added beside the members as sent (their templates rendered), not a copy of them.
            let patch = PatchOp {
                op: PatchKind::Add,
                path: format!("{}/{}", self.member, super::escape(&name)),
                value: Some(json!("x")),
            };
            self.keep(
                "unexpected_property",
                patch,
                false,
                crate::text!("มีฟิลด์ที่ไม่ได้กำหนด", "a member the schema does not allow"),
            );
        }
        if let Some((rng, count)) = random {
            for n in 1..=count {
                let value = rng.value(f);
                self.push(
                    &format!("random_{n}"),
                    value,
                    false,
                    crate::text!("ค่าสุ่ม #{}", "random value #{}", n),
                );
            }
        }
    }

    fn strings(&mut self, f: &Facets) {
        let base: Vec<char> = self.literal().unwrap_or("a").chars().collect();
        // Strings of a length, made from the body's own value: cut, or grown with one of its
        // own characters (the last first), so a pattern it keeps to is kept where it can be.
        let mut fills: Vec<char> = base.iter().rev().copied().collect();
        fills.dedup();
        fills.truncate(8);
        let sized = |n: u64| -> Vec<Value> {
            fills
                .iter()
                .map(|fill| {
                    let mut chars = base.clone();
                    chars.resize(n as usize, *fill);
                    json!(chars.into_iter().collect::<String>())
                })
                .collect()
        };
        if let Some(min) = f.min_length.filter(|m| *m > 0 && *m <= MAX_MADE_LENGTH) {
            self.push_one_of(
                "below_min_length",
                "minLength",
                sized(min - 1),
                false,
                crate::text!("สั้นกว่า minLength {}", "shorter than minLength {}", min),
            );
            self.push_one_of(
                "exact_min_length",
                "minLength",
                sized(min),
                true,
                crate::text!("ยาวเท่ากับ minLength {} พอดี", "exactly minLength {}", min),
            );
        }
        if let Some(max) = f.max_length.filter(|m| *m < MAX_MADE_LENGTH) {
            self.push_one_of(
                "above_max_length",
                "maxLength",
                sized(max + 1),
                false,
                crate::text!("ยาวกว่า maxLength {}", "longer than maxLength {}", max),
            );
            self.push_one_of(
                "exact_max_length",
                "maxLength",
                sized(max),
                true,
                crate::text!("ยาวเท่ากับ maxLength {} พอดี", "exactly maxLength {}", max),
            );
        }
        if let Some(pattern) = &f.pattern {
            let length = f.min_length.unwrap_or(1).clamp(1, 64) as usize;
            let candidates = [
                "!".repeat(length),
                format!("!{}", base.iter().skip(1).collect::<String>()),
                "ก".repeat(length),
                " ".repeat(length),
            ];
            self.push_one_of(
                "pattern",
                "pattern",
                candidates.into_iter().map(Value::from).collect(),
                false,
                crate::text!("ไม่ตรงรูปแบบ {}", "does not match {}", pattern),
            );
        }
        if let Some(format) = &f.format {
            let base: String = base.iter().collect();
            let candidates = invalid_formats(format, self.literal().map(|_| base.as_str()));
            self.push_one_of(
                "format",
                "format",
                candidates.into_iter().map(Value::from).collect(),
                false,
                crate::text!("ไม่อยู่ในรูปแบบ {}", "not a valid {}", format),
            );
        }
    }

    fn numbers(&mut self, f: &Facets) {
        let integer = f.types.iter().any(|t| t == "integer");
        let step = if integer { 1.0 } else { 0.01 };
        let number = |n: f64| {
            if integer && n.fract() == 0.0 && n.abs() < 9e15 {
                json!(n as i64)
            } else {
                json!(n)
            }
        };
        if let Some(min) = f.minimum {
            self.push(
                "below_minimum",
                number(min - step),
                false,
                crate::text!("น้อยกว่า minimum {}", "below minimum {}", min),
            );
            self.push(
                "exact_minimum",
                number(min),
                true,
                crate::text!("เท่ากับ minimum {} พอดี", "exactly minimum {}", min),
            );
        }
        if let Some(max) = f.maximum {
            self.push(
                "above_maximum",
                number(max + step),
                false,
                crate::text!("มากกว่า maximum {}", "above maximum {}", max),
            );
            self.push(
                "exact_maximum",
                number(max),
                true,
                crate::text!("เท่ากับ maximum {} พอดี", "exactly maximum {}", max),
            );
        }
        if let Some(min) = f.exclusive_minimum {
            self.push(
                "below_minimum",
                number(min),
                false,
                crate::text!(
                    "ไม่มากกว่า exclusiveMinimum {}",
                    "not above exclusiveMinimum {}",
                    min
                ),
            );
        }
        if let Some(max) = f.exclusive_maximum {
            self.push(
                "above_maximum",
                number(max),
                false,
                crate::text!(
                    "ไม่น้อยกว่า exclusiveMaximum {}",
                    "not below exclusiveMaximum {}",
                    max
                ),
            );
        }
        if let Some(m) = f.multiple_of.filter(|m| *m > 0.0) {
            let at = self.base.and_then(Value::as_f64).unwrap_or(m);
            self.push(
                "not_multiple_of",
                json!(at + m / 2.0),
                false,
                crate::text!("ไม่ใช่พหุคูณของ {}", "not a multiple of {}", m),
            );
        }
    }

    fn arrays(&mut self, f: &Facets) {
        let Some(Value::Array(items)) = self.base else {
            return;
        };
        let first = items.first().cloned().unwrap_or(Value::Null);
        // A list made stays under MAX_MADE_BYTES (as many copies of its first item as needed).
        let item_bytes = serde_json::to_string(&first).map_or(1, |t| t.len().max(1));
        let fits = |n: &u64| (*n as usize).saturating_mul(item_bytes) <= MAX_MADE_BYTES;
        let sized = |n: u64| -> Value {
            let mut list = items.clone();
            list.resize(n as usize, first.clone());
            Value::Array(list)
        };
        if let Some(min) = f.min_items.filter(|m| *m > 0 && fits(m)) {
            self.push(
                "below_min_items",
                sized(min - 1),
                false,
                crate::text!(
                    "มีสมาชิกน้อยกว่า minItems {}",
                    "fewer items than minItems {}",
                    min
                ),
            );
        }
        if let Some(max) = f.max_items.filter(|m| fits(&m.saturating_add(1)))
            && !items.is_empty()
        {
            self.push(
                "above_max_items",
                sized(max + 1),
                false,
                crate::text!(
                    "มีสมาชิกมากกว่า maxItems {}",
                    "more items than maxItems {}",
                    max
                ),
            );
        }
        if f.unique_items && !items.is_empty() {
            let mut list = items.clone();
            list.push(first);
            self.push(
                "duplicate_items",
                Value::Array(list),
                false,
                crate::text!("มีสมาชิกซ้ำ", "a duplicate item"),
            );
        }
    }
}

fn type_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A value of the same type as the listed ones that is none of them.
fn outside_of(values: &[Value]) -> Value {
    if values.iter().all(Value::is_boolean) {
        let t = values.contains(&Value::Bool(true));
        let f = values.contains(&Value::Bool(false));
        return if !t {
            json!(true)
        } else if !f {
            json!(false)
        } else {
            json!("true")
        };
    }
    if values.iter().all(Value::is_number) {
        let top = values.iter().filter_map(Value::as_f64).fold(0.0, f64::max);
        return if top < 9e15 {
            json!(top.floor() as i64 + 1)
        } else {
            json!(-top)
        };
    }
    let mut candidate = "cpc-not-listed".to_string();
    while values.contains(&json!(candidate)) {
        candidate.push('-');
    }
    json!(candidate)
}

/// Strings a format refuses, the likeliest first (the base value with its check digit turned,
/// for a citizen ID).
fn invalid_formats(format: &str, base: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    if format == "thai-citizen-id"
        && let Some(id) = base.filter(|b| b.len() == 13 && b.bytes().all(|c| c.is_ascii_digit()))
    {
        let last = id.as_bytes()[12] - b'0';
        out.push(format!("{}{}", &id[..12], (last + 1) % 10));
    }
    out.extend(
        match format {
            "thai-citizen-id" => vec!["1234567890123", "1101700230706", "110170023070"],
            "date" => vec!["2026-13-45", "23/11/2026"],
            "date-time" => vec!["2026-11-23 10:15", "2026-11-23T25:00:00+07:00"],
            "time" => vec!["25:61:00"],
            "email" => vec!["not-an-email", "a@"],
            "uuid" => vec!["not-a-uuid", "0b9e3c52-6a0f-4a53-9d0e"],
            "uri" | "url" => vec!["not a uri"],
            "ipv4" => vec!["999.1.1.1"],
            "ipv6" => vec!["not:an:ipv6::::"],
            "hostname" => vec!["-bad-.example"],
            "byte" => vec!["!!not base64!!"],
            _ => vec![],
        }
        .into_iter()
        .map(str::to_string),
    );
    out
}

/// SplitMix64: a tiny, fixed generator, so a seed gives the same values on every machine.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value of the member's own type that its constraints are likely to refuse: a string
    /// of random characters (Thai, punctuation, digits) and length, a number out of its range;
    /// now and then one of another type. Values the schema accepts are dropped by the caller.
    fn value(&mut self, f: &Facets) -> Value {
        const CHARS: &[char] = &[
            'a', 'Z', '9', '0', '-', '_', ' ', '!', '@', '/', '.', 'ก', 'ข', 'ฮ', '๑', 'ั', 'é',
            '😀',
        ];
        let n = (self.next() % 1_000_000) as f64;
        let is = |t: &str| f.types.iter().any(|x| x == t);
        let other_type = self.next().is_multiple_of(5);
        if is("string") && !other_type {
            let longest = f.max_length.filter(|m| *m < MAX_MADE_LENGTH).unwrap_or(56) + 8;
            let length = (self.next() % (longest + 1)) as usize;
            let text: String = (0..length)
                .map(|_| CHARS[(self.next() % CHARS.len() as u64) as usize])
                .collect();
            return json!(text);
        }
        if (is("number") || is("integer")) && !other_type {
            let integer = |x: f64| {
                if is("integer") {
                    json!(x.trunc() as i64)
                } else {
                    json!(x)
                }
            };
            return match (f.minimum, f.maximum, self.next() % 2) {
                (Some(min), _, 0) if min.abs() < 9e15 => integer(min - 1.0 - n),
                (_, Some(max), _) if max.abs() < 9e15 => integer(max + 1.0 + n),
                _ => integer(-n - 1.0),
            };
        }
        if is("string") {
            json!(n as i64)
        } else {
            json!(format!("{n}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::shown;

    #[test]
    fn members_read_as_paths() {
        assert_eq!(shown("/applicant/first_name_th"), "applicant.first_name_th");
        assert_eq!(shown("/attachments/0/type"), "attachments[0].type");
        assert_eq!(shown(""), "body");
    }
}
