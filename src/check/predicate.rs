//! Predicates on a JSONPath's nodes, a header or a text: `equals`, `matches`, `type`,
//! `length`, `every`, `unique`, `not`, `format`, `thai_text`, `thai_citizen_id`, …

use regex::Regex;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::citizen_id;
use crate::i18n::Text;
use crate::suite::{Format, JsonType, LengthSpec, Predicate, Unique};
use crate::template::{Answer, Template, TemplateError, render_json_with};
use crate::text;
use crate::vars::Vars;

/// A predicate that did not hold: what it wanted and what was there.
#[derive(Debug, PartialEq)]
pub struct Unmet {
    pub expected: String,
    pub actual: String,
    pub message: Text,
}

/// Checks every predicate given against the nodes a path selected (none, one, or several —
/// several are judged as one array). Expected values are templated with the case's variables
/// (and, where given, with the answer being judged).
pub fn evaluate(
    predicate: &Predicate,
    nodes: &[&Value],
    vars: &Vars,
) -> Result<Vec<Unmet>, TemplateError> {
    evaluate_with(predicate, nodes, vars, None)
}

pub fn evaluate_with(
    predicate: &Predicate,
    nodes: &[&Value],
    vars: &Vars,
    answer: Option<&dyn Answer>,
) -> Result<Vec<Unmet>, TemplateError> {
    let mut unmet = Vec::new();
    let found = !nodes.is_empty();
    let mut presence = |want_present: bool| {
        if want_present != found {
            let (expected, th, en) = if want_present {
                ("present", "มีค่า", "present")
            } else {
                ("absent", "ไม่มีค่า", "absent")
            };
            let actual = describe_nodes(nodes);
            unmet.push(Unmet {
                expected: expected.to_string(),
                message: Text::new(
                    format!("คาดว่า{th} แต่ได้ {actual}"),
                    format!("expected {en}, got {actual}"),
                ),
                actual,
            });
        }
    };
    if let Some(want) = predicate.exists {
        presence(want);
    }
    if let Some(want) = predicate.absent {
        presence(!want);
    }
    let value_checks = value_checks(predicate, vars, answer)?;
    if value_checks.is_empty() {
        return Ok(unmet);
    }
    let value = match nodes {
        [] => {
            unmet.push(Unmet {
                expected: "a value".into(),
                actual: "nothing".into(),
                message: text!("ไม่พบค่าที่ตำแหน่งนี้", "no value at this path"),
            });
            return Ok(unmet);
        }
        [one] => (*one).clone(),
        many => Value::Array(many.iter().map(|v| (*v).clone()).collect()),
    };
    for check in value_checks {
        if let Some(u) = check.judge(&value, vars, answer)? {
            unmet.push(u);
        }
    }
    Ok(unmet)
}

fn describe_nodes(nodes: &[&Value]) -> String {
    match nodes {
        [] => "nothing".into(),
        [one] => compact(one),
        many => compact(&Value::Array(many.iter().map(|v| (*v).clone()).collect())),
    }
}

/// JSON for messages. Cut only at a generous bound, to keep memory small: messages are masked
/// first and cut to what a reader sees afterwards (`redact`), so no cut leaves part of a
/// secret or an ID behind.
pub fn compact(value: &Value) -> String {
    const BOUND: usize = 16 * 1024;
    let text = value.to_string();
    match text.char_indices().nth(BOUND) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text,
    }
}

/// One value predicate with its expectation resolved.
enum ValueCheck<'p> {
    Equals(Value),
    NotEquals(Value),
    Matches(String),
    Type(JsonType),
    OneOf(Vec<Value>),
    Contains(Value),
    Length(LengthSpec),
    Min(f64),
    Max(f64),
    CitizenId(bool),
    StartsWith(String),
    EndsWith(String),
    Every(&'p Predicate),
    Unique(&'p Unique),
    ThaiText(bool),
    Format(Format),
    Not(&'p Predicate),
    After(String),
    Before(String),
}

fn value_checks<'p>(
    p: &'p Predicate,
    vars: &Vars,
    answer: Option<&dyn Answer>,
) -> Result<Vec<ValueCheck<'p>>, TemplateError> {
    let json = |v: &Value| render_json_with(v, vars, answer);
    let text = |t: &str| Template::parse(t)?.render_string_with(vars, answer);
    let mut checks = Vec::new();
    if let Some(v) = &p.equals {
        checks.push(ValueCheck::Equals(json(v)?));
    }
    if let Some(v) = &p.not_equals {
        checks.push(ValueCheck::NotEquals(json(v)?));
    }
    if let Some(re) = &p.matches {
        checks.push(ValueCheck::Matches(re.value.clone()));
    }
    if let Some(t) = p.type_ {
        checks.push(ValueCheck::Type(t));
    }
    if let Some(list) = &p.one_of {
        checks.push(ValueCheck::OneOf(
            list.iter().map(json).collect::<Result<_, _>>()?,
        ));
    }
    if let Some(v) = &p.contains {
        checks.push(ValueCheck::Contains(json(v)?));
    }
    if let Some(n) = p.length {
        checks.push(ValueCheck::Length(n));
    }
    if let Some(n) = p.min {
        checks.push(ValueCheck::Min(n));
    }
    if let Some(n) = p.max {
        checks.push(ValueCheck::Max(n));
    }
    if let Some(want) = p.thai_citizen_id {
        checks.push(ValueCheck::CitizenId(want));
    }
    if let Some(t) = &p.starts_with {
        checks.push(ValueCheck::StartsWith(text(t)?));
    }
    if let Some(t) = &p.ends_with {
        checks.push(ValueCheck::EndsWith(text(t)?));
    }
    if let Some(inner) = &p.every {
        checks.push(ValueCheck::Every(inner));
    }
    if let Some(u) = &p.unique {
        checks.push(ValueCheck::Unique(u));
    }
    if let Some(want) = p.thai_text {
        checks.push(ValueCheck::ThaiText(want));
    }
    if let Some(f) = p.format {
        checks.push(ValueCheck::Format(f));
    }
    if let Some(inner) = &p.not {
        checks.push(ValueCheck::Not(inner));
    }
    if let Some(t) = &p.after {
        checks.push(ValueCheck::After(text(t)?));
    }
    if let Some(t) = &p.before {
        checks.push(ValueCheck::Before(text(t)?));
    }
    Ok(checks)
}

/// The predicate with its expected values rendered: self-contained, so the mock portal (here
/// or elsewhere) can judge requests with it.
pub fn rendered(p: &Predicate, vars: &Vars) -> Result<Predicate, TemplateError> {
    let json = |v: &Option<Value>| {
        v.as_ref()
            .map(|v| crate::template::render_json(v, vars))
            .transpose()
    };
    let text = |t: &Option<String>| {
        t.as_ref()
            .map(|t| Template::parse(t)?.render_string(vars))
            .transpose()
    };
    let inner = |p: &Option<Box<Predicate>>| -> Result<Option<Box<Predicate>>, TemplateError> {
        p.as_ref()
            .map(|p| rendered(p, vars).map(Box::new))
            .transpose()
    };
    Ok(Predicate {
        equals: json(&p.equals)?,
        not_equals: json(&p.not_equals)?,
        one_of: p
            .one_of
            .as_ref()
            .map(|l| {
                l.iter()
                    .map(|v| crate::template::render_json(v, vars))
                    .collect()
            })
            .transpose()?,
        contains: json(&p.contains)?,
        starts_with: text(&p.starts_with)?,
        ends_with: text(&p.ends_with)?,
        after: text(&p.after)?,
        before: text(&p.before)?,
        every: inner(&p.every)?,
        not: inner(&p.not)?,
        ..p.clone()
    })
}

/// Numbers compare by value (`1` equals `1.0`); everything else structurally.
pub fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_equal(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}

pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn has_type(value: &Value, t: JsonType) -> bool {
    match t {
        JsonType::String => value.is_string(),
        JsonType::Number => value.is_number(),
        JsonType::Integer => value.is_i64() || value.is_u64(),
        JsonType::Boolean => value.is_boolean(),
        JsonType::Array => value.is_array(),
        JsonType::Object => value.is_object(),
        JsonType::Null => value.is_null(),
    }
}

/// Thai script, and no sign of a broken encoding: U+FFFD, or Thai UTF-8 read as Latin-1
/// (`à¸`, `à¹`: the lead bytes E0 B8 / E0 B9 of ก-๛ shown as two Latin-1 characters).
fn thai_text_ok(s: &str) -> Result<(), &'static str> {
    if s.contains('\u{FFFD}') {
        return Err("U+FFFD, a character lost in decoding");
    }
    if s.contains("à¸") || s.contains("à¹") {
        return Err("mojibake: Thai UTF-8 read as Latin-1");
    }
    if !s.chars().any(|c| ('\u{0E00}'..='\u{0E7F}').contains(&c)) {
        return Err("no Thai script");
    }
    Ok(())
}

fn format_ok(s: &str, format: Format) -> bool {
    match format {
        Format::DateTime => OffsetDateTime::parse(s, &Rfc3339).is_ok(),
        Format::Date => {
            let f = time::macros::format_description!("[year]-[month]-[day]");
            s.len() == 10 && time::Date::parse(s, f).is_ok()
        }
        Format::Uuid => s.len() == 36 && uuid::Uuid::try_parse(s).is_ok(),
        Format::Email => {
            let mut parts = s.split('@');
            let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next())
            else {
                return false;
            };
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.chars().any(char::is_whitespace)
        }
    }
}

fn format_name(format: Format) -> &'static str {
    match format {
        Format::DateTime => "date-time",
        Format::Date => "date",
        Format::Uuid => "uuid",
        Format::Email => "email",
    }
}

fn time_of(value: &Value) -> Option<OffsetDateTime> {
    value
        .as_str()
        .and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok())
}

impl ValueCheck<'_> {
    fn judge(
        &self,
        value: &Value,
        vars: &Vars,
        answer: Option<&dyn Answer>,
    ) -> Result<Option<Unmet>, TemplateError> {
        let actual = compact(value);
        let unmet = |expected: String, message: Text| Unmet {
            expected,
            actual: actual.clone(),
            message,
        };
        let str_value = value.as_str();
        Ok(match self {
            ValueCheck::Equals(want) => (!json_equal(value, want)).then(|| {
                let w = compact(want);
                unmet(
                    w.clone(),
                    text!("คาดว่าเท่ากับ {} แต่ได้ {}", "expected {}, got {}", w, actual),
                )
            }),
            ValueCheck::NotEquals(want) => json_equal(value, want).then(|| {
                let w = compact(want);
                unmet(
                    format!("not {w}"),
                    text!("ต้องไม่เท่ากับ {} แต่ได้ค่านั้น", "expected anything but {}", w),
                )
            }),
            ValueCheck::Matches(pattern) => {
                let ok = match (str_value, Regex::new(pattern)) {
                    (Some(s), Ok(re)) => re.is_match(s),
                    _ => false,
                };
                (!ok).then(|| {
                    unmet(
                        format!("matches /{pattern}/"),
                        text!(
                            "คาดว่าเป็นข้อความตามรูปแบบ /{}/ แต่ได้ {}",
                            "expected a string matching /{}/, got {}",
                            pattern,
                            actual
                        ),
                    )
                })
            }
            ValueCheck::Type(t) => (!has_type(value, *t)).then(|| {
                let name = serde_json::to_value(t)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                unmet(
                    format!("type {name}"),
                    text!(
                        "คาดว่าเป็นชนิด {} แต่ได้ {} ({})",
                        "expected type {}, got {} ({})",
                        name,
                        type_name(value),
                        actual
                    ),
                )
            }),
            ValueCheck::OneOf(list) => (!list.iter().any(|w| json_equal(value, w))).then(|| {
                let w = compact(&Value::Array(list.clone()));
                unmet(
                    format!("one of {w}"),
                    text!(
                        "คาดว่าเป็นค่าหนึ่งใน {} แต่ได้ {}",
                        "expected one of {}, got {}",
                        w,
                        actual
                    ),
                )
            }),
            ValueCheck::Contains(want) => {
                let ok = match (value, want) {
                    (Value::String(s), Value::String(w)) => s.contains(w.as_str()),
                    (Value::Array(items), w) => items.iter().any(|i| json_equal(i, w)),
                    (Value::Object(map), Value::String(k)) => map.contains_key(k),
                    _ => false,
                };
                (!ok).then(|| {
                    let w = compact(want);
                    unmet(
                        format!("contains {w}"),
                        Text::new(
                            format!("คาดว่ามี {w} อยู่ใน {actual}"),
                            format!("expected {actual} to contain {w}"),
                        ),
                    )
                })
            }
            ValueCheck::Length(spec) => {
                let len = match value {
                    Value::String(s) => Some(s.chars().count()),
                    Value::Array(a) => Some(a.len()),
                    Value::Object(o) => Some(o.len()),
                    _ => None,
                };
                let (ok, want) = match spec {
                    LengthSpec::Exactly(n) => (len == Some(*n), n.to_string()),
                    LengthSpec::Range { min, max } => (
                        len.is_some_and(|l| {
                            min.is_none_or(|m| l >= m) && max.is_none_or(|m| l <= m)
                        }),
                        match (min, max) {
                            (Some(a), Some(b)) => format!("{a} to {b}"),
                            (Some(a), None) => format!("at least {a}"),
                            (None, Some(b)) => format!("at most {b}"),
                            (None, None) => "any".into(),
                        },
                    ),
                };
                (!ok).then(|| {
                    let got = len.map_or_else(|| type_name(value).to_string(), |l| l.to_string());
                    unmet(
                        format!("length {want}"),
                        text!(
                            "คาดว่าความยาว {} แต่ได้ {}",
                            "expected length {}, got {}",
                            want,
                            got
                        ),
                    )
                })
            }
            ValueCheck::Min(min) => (!value.as_f64().is_some_and(|v| v >= *min)).then(|| {
                unmet(
                    format!(">= {min}"),
                    text!(
                        "คาดว่าไม่น้อยกว่า {} แต่ได้ {}",
                        "expected at least {}, got {}",
                        min,
                        actual
                    ),
                )
            }),
            ValueCheck::Max(max) => (!value.as_f64().is_some_and(|v| v <= *max)).then(|| {
                unmet(
                    format!("<= {max}"),
                    text!(
                        "คาดว่าไม่เกิน {} แต่ได้ {}",
                        "expected at most {}, got {}",
                        max,
                        actual
                    ),
                )
            }),
            ValueCheck::CitizenId(want) => {
                let valid = str_value.is_some_and(citizen_id::is_valid);
                (valid != *want).then(|| {
                    if *want {
                        unmet(
                            "valid Thai citizen ID".into(),
                            text!(
                                "คาดว่าเป็นเลขประจำตัวประชาชน 13 หลักที่ checksum ถูกต้อง แต่ได้ {}",
                                "expected a 13-digit Thai citizen ID with a valid checksum, got {}",
                                actual
                            ),
                        )
                    } else {
                        unmet(
                            "not a valid Thai citizen ID".into(),
                            text!(
                                "คาดว่าไม่ใช่เลขประจำตัวประชาชนที่ถูกต้อง แต่ได้ {}",
                                "expected no valid Thai citizen ID, got {}",
                                actual
                            ),
                        )
                    }
                })
            }
            ValueCheck::StartsWith(prefix) => {
                (!str_value.is_some_and(|s| s.starts_with(prefix.as_str()))).then(|| {
                    unmet(
                        format!("starts with {prefix:?}"),
                        text!(
                            "คาดว่าขึ้นต้นด้วย {:?} แต่ได้ {}",
                            "expected a string starting with {:?}, got {}",
                            prefix,
                            actual
                        ),
                    )
                })
            }
            ValueCheck::EndsWith(suffix) => {
                (!str_value.is_some_and(|s| s.ends_with(suffix.as_str()))).then(|| {
                    unmet(
                        format!("ends with {suffix:?}"),
                        text!(
                            "คาดว่าลงท้ายด้วย {:?} แต่ได้ {}",
                            "expected a string ending with {:?}, got {}",
                            suffix,
                            actual
                        ),
                    )
                })
            }
            ValueCheck::Every(inner) => {
                let Value::Array(items) = value else {
                    return Ok(Some(unmet(
                        "an array".into(),
                        text!(
                            "คาดว่าเป็น array แต่ได้ {}",
                            "expected an array, got {}",
                            actual
                        ),
                    )));
                };
                let mut first = None;
                for (i, item) in items.iter().enumerate() {
                    let failed = evaluate_with(inner, &[item], vars, answer)?;
                    if let Some(u) = failed.into_iter().next() {
                        first = Some((i, u));
                        break;
                    }
                }
                first.map(|(i, u)| Unmet {
                    expected: format!("every item: {}", u.expected),
                    actual: format!("item {i}: {}", u.actual),
                    message: Text::new(
                        format!("รายการที่ {i}: {}", u.message.th),
                        format!("item {i}: {}", u.message.en),
                    ),
                })
            }
            ValueCheck::Unique(spec) => {
                let Value::Array(items) = value else {
                    return Ok(Some(unmet(
                        "an array".into(),
                        text!(
                            "คาดว่าเป็น array แต่ได้ {}",
                            "expected an array, got {}",
                            actual
                        ),
                    )));
                };
                let (keys, what): (Vec<Option<Value>>, String) = match spec {
                    Unique::Items(false) => return Ok(None),
                    Unique::Items(true) => {
                        (items.iter().cloned().map(Some).collect(), "items".into())
                    }
                    Unique::Field(path) => {
                        let Ok(path_q) = super::jsonpath::parse(path) else {
                            return Ok(Some(unmet(
                                format!("unique {path}"),
                                text!("JSONPath {} ไม่ถูกต้อง", "invalid JSONPath {}", path),
                            )));
                        };
                        let keys = items
                            .iter()
                            .map(|item| path_q.query(item).exactly_one().ok().cloned())
                            .collect();
                        (keys, path.clone())
                    }
                };
                let mut duplicate = None;
                'outer: for (i, a) in keys.iter().enumerate() {
                    let Some(a) = a else { continue };
                    for b in keys[..i].iter().flatten() {
                        if json_equal(a, b) {
                            duplicate = Some(a.clone());
                            break 'outer;
                        }
                    }
                }
                duplicate.map(|d| {
                    let d = compact(&d);
                    Unmet {
                        expected: format!("unique {what}"),
                        actual: format!("{d} repeats"),
                        message: text!(
                            "คาดว่า {} ไม่ซ้ำกัน แต่ {} ซ้ำ",
                            "expected unique {}, but {} repeats",
                            what,
                            d
                        ),
                    }
                })
            }
            ValueCheck::ThaiText(want) => {
                let found = match str_value {
                    Some(s) => thai_text_ok(s),
                    None => Err("not a string"),
                };
                match (want, found) {
                    (true, Err(why)) => Some(unmet(
                        "Thai text".into(),
                        text!(
                            "คาดว่าเป็นข้อความภาษาไทยที่ถูกต้อง แต่พบ {}: {}",
                            "expected sound Thai text, found {}: {}",
                            why,
                            actual
                        ),
                    )),
                    (false, Ok(())) => Some(unmet(
                        "no Thai text".into(),
                        text!(
                            "คาดว่าไม่มีข้อความภาษาไทย แต่ได้ {}",
                            "expected no Thai text, got {}",
                            actual
                        ),
                    )),
                    _ => None,
                }
            }
            ValueCheck::Format(format) => {
                (!str_value.is_some_and(|s| format_ok(s, *format))).then(|| {
                    let name = format_name(*format);
                    unmet(
                        format!("format {name}"),
                        text!(
                            "คาดว่าอยู่ในรูปแบบ {} แต่ได้ {}",
                            "expected the {} format, got {}",
                            name,
                            actual
                        ),
                    )
                })
            }
            ValueCheck::Not(inner) => {
                let held = evaluate_with(inner, &[value], vars, answer)?.is_empty();
                held.then(|| {
                    let described = serde_json::to_string(inner).unwrap_or_default();
                    unmet(
                        format!("not {described}"),
                        text!(
                            "ต้องไม่เป็นไปตาม {} แต่ได้ {}",
                            "expected not {}, got {}",
                            described,
                            actual
                        ),
                    )
                })
            }
            ValueCheck::After(bound) | ValueCheck::Before(bound) => {
                let after = matches!(self, ValueCheck::After(_));
                let limit = OffsetDateTime::parse(bound, &Rfc3339).ok();
                let ok = match (time_of(value), limit) {
                    (Some(t), Some(l)) if after => t >= l,
                    (Some(t), Some(l)) => t <= l,
                    _ => false,
                };
                (!ok).then(|| {
                    let (en, th) = if after {
                        ("at or after", "ไม่ก่อน")
                    } else {
                        ("at or before", "ไม่หลัง")
                    };
                    unmet(
                        format!("{en} {bound}"),
                        Text::new(
                            format!("คาดว่าเป็นเวลา{th} {bound} แต่ได้ {actual}"),
                            format!("expected a time {en} {bound}, got {actual}"),
                        ),
                    )
                })
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pred(yaml: &str) -> Predicate {
        serde_saphyr::from_str(yaml).unwrap()
    }

    fn check(yaml: &str, value: Option<Value>) -> Vec<Unmet> {
        let nodes: Vec<&Value> = value.iter().collect();
        evaluate(&pred(yaml), &nodes, &Vars::default()).unwrap()
    }

    #[test]
    fn holding_predicates_report_nothing() {
        let cases = [
            ("equals: received", json!("received")),
            ("equals: 1", json!(1.0)),
            ("equals: null", json!(null)),
            ("not_equals: x", json!("y")),
            ("matches: '^CSG-25\\d{2}-\\d{6}$'", json!("CSG-2569-000123")),
            ("type: integer", json!(4)),
            ("one_of: [a, b]", json!("b")),
            ("contains: ใจ", json!("ใจดี")),
            ("contains: 2", json!([1, 2])),
            ("length: 5", json!("ใจดี!")),
            ("length: { min: 1, max: 2 }", json!([1, 2])),
            ("every: { type: integer, min: 0 }", json!([0, 3])),
            ("unique: true", json!([1, 2, 3])),
            ("unique: $.id", json!([{"id": 1}, {"id": 2}])),
            ("thai_text: true", json!("สมชาย ใจดี")),
            ("format: date-time", json!("2026-11-24T10:00:00+07:00")),
            ("format: date", json!("2024-02-29")),
            (
                "format: uuid",
                json!("550e8400-e29b-41d4-a716-446655440000"),
            ),
            ("format: email", json!("a@b.go.th")),
            ("not: { equals: x }", json!("y")),
            ("starts_with: '%PDF-'", json!("%PDF-1.7")),
            (
                "after: '2026-11-24T10:00:00+07:00'",
                json!("2026-11-24T03:00:00Z"),
            ),
            (
                "before: '2026-11-24T10:00:00+07:00'",
                json!("2026-11-24T09:59:59+07:00"),
            ),
            ("min: 0\nmax: 10", json!(10)),
            ("thai_citizen_id: true", json!("1101401234566")),
            ("exists: true", json!(false)),
        ];
        for (yaml, value) in cases {
            assert_eq!(
                check(yaml, Some(value.clone())),
                vec![],
                "{yaml} on {value}"
            );
        }
        assert_eq!(check("absent: true", None), vec![]);
        assert_eq!(check("exists: false", None), vec![]);
    }

    #[test]
    fn failing_predicates_say_expected_and_actual() {
        let unmet = check("equals: received", Some(json!("cancelled")));
        assert_eq!(unmet.len(), 1);
        assert_eq!(unmet[0].expected, "\"received\"");
        assert_eq!(unmet[0].actual, "\"cancelled\"");
        assert_eq!(
            unmet[0].message.en,
            "expected \"received\", got \"cancelled\""
        );
        assert_eq!(
            unmet[0].message.th,
            "คาดว่าเท่ากับ \"received\" แต่ได้ \"cancelled\""
        );

        for (yaml, value) in [
            ("equals: null", json!("x")),
            ("not_equals: x", json!("x")),
            ("matches: '^a$'", json!(1)),
            ("type: string", json!(1)),
            ("one_of: [a]", json!("b")),
            ("contains: z", json!("abc")),
            ("length: 2", json!([1])),
            ("min: 0", json!(-1)),
            ("max: 0", json!("1")),
            ("thai_citizen_id: true", json!("1234545678789")),
            ("thai_citizen_id: false", json!("1101401234566")),
            ("length: { max: 1 }", json!([1, 2])),
            ("every: { min: 1 }", json!([1, 0])),
            ("unique: true", json!([1, 1.0])),
            ("unique: $.id", json!([{"id": 1}, {"id": 1}])),
            ("thai_text: true", json!("à¸ªà¸¡à¸\u{0}")),
            ("thai_text: true", json!("abc")),
            ("thai_text: true", json!("สม\u{FFFD}")),
            ("format: date-time", json!("2026-11-24T10:00:00")),
            ("format: date", json!("2026-02-30")),
            ("format: uuid", json!("550e8400e29b41d4a716446655440000")),
            ("format: email", json!("a@b")),
            ("not: { equals: x }", json!("x")),
            ("ends_with: '.pdf'", json!("a.doc")),
            (
                "after: '2026-11-24T10:00:00+07:00'",
                json!("2026-11-24T02:59:59Z"),
            ),
            ("absent: true", json!(1)),
        ] {
            assert_eq!(
                check(yaml, Some(value.clone())).len(),
                1,
                "{yaml} on {value}"
            );
        }
        let missing = check("equals: 1", None);
        assert_eq!(missing[0].message.en, "no value at this path");
        assert_eq!(check("exists: true", None)[0].actual, "nothing");
    }

    #[test]
    fn expected_values_are_templated() {
        let mut vars = Vars::default();
        vars.set("app", json!("A-1"), false);
        let p = pred("equals: '{{ app }}'");
        assert!(evaluate(&p, &[&json!("A-1")], &vars).unwrap().is_empty());
        assert_eq!(
            evaluate(&p, &[&json!("x")], &Vars::default()),
            Err(TemplateError::Undefined("app".into()))
        );
    }
}
