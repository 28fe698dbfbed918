//! Evaluates a step's `expect` block against a response: status, duration, headers, text,
//! bytes, XPath, body-is-JSON, schema and JSONPath predicates, in that order. Expected values
//! may read the answer being judged (`answer.sha256`, `answer.json('$.order_id')` …).

use std::path::Path;

use serde_json::Value;

use super::outcome::{CheckResult, Outcome};
use super::predicate::{self, Unmet};
use super::schema::{Schemas, Violation, violations};
use super::{Judged, Response, schema_key};
use crate::diagnostic::Place;
use crate::i18n::Text;
use crate::redact::{MASK, is_sensitive_header};
use crate::suite::{Expect, Predicate};
use crate::template::Answer;
use crate::text;
use crate::vars::Vars;

/// What the checks need besides the response.
pub struct CheckContext<'a> {
    /// The case file, for places.
    pub file: &'a Path,
    pub vars: &'a Vars,
    pub schemas: &'a Schemas,
    /// Prefixes for XPath (`xml_namespaces` in suite.yaml).
    pub namespaces: &'a [(String, String)],
}

/// Every check of the block, each with its outcome. A failed check of the body carries the
/// start of the body it looked at, so a reader sees what was there (masked and cut later).
pub fn evaluate(expect: &Expect, response: &Response, ctx: &CheckContext) -> Vec<CheckResult> {
    let mut results = checks(expect, response, ctx);
    let on_body = |c: &CheckResult| {
        ["body", "schema", "text", "xml", "json", "bytes"]
            .iter()
            .any(|k| c.check.starts_with(k))
    };
    if results
        .iter()
        .any(|c| c.outcome != Outcome::Pass && on_body(c))
    {
        let text =
            String::from_utf8_lossy(&response.body[..response.body.len().min(EXCERPT_BOUND)])
                .into_owned();
        for c in results
            .iter_mut()
            .filter(|c| c.outcome != Outcome::Pass && on_body(c))
        {
            c.excerpt = Some(text.clone());
        }
    }
    results
}

/// How much of a body an excerpt starts from (masked, then cut much shorter).
const EXCERPT_BOUND: usize = 16 * 1024;

/// The checks, in order. The body is parsed once, and only when a check needs it.
fn checks(expect: &Expect, response: &Response, ctx: &CheckContext) -> Vec<CheckResult> {
    let mut results = Vec::new();
    let place = |loc: &serde_saphyr::Location| Place::of(ctx.file, loc);
    let judged = Judged {
        response,
        namespaces: ctx.namespaces,
    };
    let answer: Option<&dyn Answer> = Some(&judged);

    if let Some(status) = &expect.status {
        let want = status.value.describe();
        let got = response.status.to_string();
        let ok = status.value.accepts(response.status);
        results.push(
            CheckResult::new(
                "status",
                pass_if(ok),
                text!(
                    "รหัสสถานะ HTTP: คาดว่า {} ได้ {}",
                    "HTTP status: expected {}, got {}",
                    want,
                    got
                ),
            )
            .expected(want, got)
            .at(place(&status.referenced)),
        );
    }
    if let Some(spec) = &expect.signature {
        results.push(
            super::signature::signature(&spec.value, response, ctx.vars, answer)
                .at(place(&spec.referenced)),
        );
    }
    if let Some(spec) = &expect.timestamp {
        results
            .push(super::signature::timestamp(&spec.value, response).at(place(&spec.referenced)));
    }
    if let Some(duration) = &expect.duration_ms {
        let got = response.elapsed_ms;
        results.push(
            CheckResult::new(
                "duration_ms",
                pass_if(got <= duration.max),
                text!(
                    "เวลาตอบ: คาดว่าไม่เกิน {} ms ได้ {} ms",
                    "response time: expected at most {} ms, got {} ms",
                    duration.max,
                    got
                ),
            )
            .expected(format!("<= {} ms", duration.max), format!("{got} ms")),
        );
    }
    for (name, predicate) in expect.headers.iter() {
        let value = response.header(&name.value).map(Value::String);
        let label = format!("header {}", name.value);
        let nodes: Vec<&Value> = value.iter().collect();
        let mut result = judge(label, predicate, &nodes, ctx.vars, answer);
        if is_sensitive_header(&name.value) {
            result = hide_credential(result, &name.value, predicate, value.as_ref(), ctx.vars);
        }
        results.push(result.at(place(&name.referenced)));
    }
    if let Some(text) = &expect.text {
        let result = match std::str::from_utf8(&response.body) {
            Ok(body) => {
                let value = Value::String(body.to_string());
                judge("text".into(), &text.value, &[&value], ctx.vars, answer)
            }
            Err(e) => CheckResult::new(
                "text",
                Outcome::Error,
                text!(
                    "ตรวจ body เป็นข้อความไม่ได้: ไม่ใช่ UTF-8 ที่ไบต์ {}",
                    "cannot check the body as text: it is not UTF-8 at byte {}",
                    e.valid_up_to()
                ),
            ),
        };
        results.push(result.at(place(&text.referenced)));
    }
    if let Some(bytes) = &expect.bytes {
        results.extend(
            super::bytes::evaluate(&bytes.value, &response.body, ctx.vars, answer)
                .into_iter()
                .map(|r| r.at(place(&bytes.referenced))),
        );
    }
    if !expect.xml.is_empty() {
        let body = String::from_utf8_lossy(&response.body);
        for (xpath, predicate) in expect.xml.iter() {
            let label = format!("xml {}", xpath.value);
            let result = match super::xml::select(&body, &xpath.value, ctx.namespaces) {
                Ok(nodes) => {
                    let nodes: Vec<&Value> = nodes.iter().collect();
                    judge(label, predicate, &nodes, ctx.vars, answer)
                }
                Err(e) => CheckResult::new(
                    label,
                    Outcome::Error,
                    text!("ตรวจ XML ไม่ได้: {}", "cannot check the XML: {}", e),
                ),
            };
            results.push(result.at(place(&xpath.referenced)));
        }
    }

    let needs_json = expect.json.is_some() || expect.schema.is_some() || !expect.body.is_empty();
    let json = needs_json.then(|| response.json());
    if let (Some(want), Some(parsed)) = (expect.json, &json) {
        let is_json = parsed.is_ok();
        let detail = parsed.as_ref().err().cloned().unwrap_or_default();
        let (expected, actual) = match (want, is_json) {
            (true, false) => ("JSON", format!("not JSON ({detail})")),
            (false, true) => ("not JSON", "JSON".to_string()),
            _ => ("", String::new()),
        };
        results.push(
            CheckResult::new(
                "json",
                pass_if(want == is_json),
                text!(
                    "body เป็น JSON: คาดว่า {} ได้ {}",
                    "body is JSON: expected {}, got {}",
                    want,
                    is_json
                ),
            )
            .expected(expected, actual),
        );
    }
    let body = match &json {
        Some(Ok(value)) => Some(value),
        Some(Err(e)) if expect.schema.is_some() || !expect.body.is_empty() => {
            // Could not evaluate the body checks at all: an error, not a failure.
            results.push(CheckResult::new(
                "body",
                Outcome::Error,
                text!(
                    "ตรวจ body ไม่ได้เพราะไม่ใช่ JSON: {}",
                    "cannot check the body: it is not JSON: {}",
                    e
                ),
            ));
            None
        }
        _ => None,
    };
    let Some(body) = body else {
        return results;
    };

    if let Some(schema) = &expect.schema {
        results.push(schema_check(schema, body, ctx).at(place(&schema.referenced)));
    }
    for (path, predicate) in expect.body.iter() {
        let label = format!("body {}", path.value);
        let result = match super::jsonpath::parse(&path.value) {
            Ok(p) => judge(label, predicate, &p.query(body).all(), ctx.vars, answer),
            Err(e) => CheckResult::new(
                label,
                Outcome::Error,
                text!("JSONPath ไม่ถูกต้อง: {}", "invalid JSONPath: {}", e),
            ),
        };
        results.push(result.at(place(&path.referenced)));
    }
    results
}

/// `schema`: the body validates against the JSON Schema the step names (up to 5 violations,
/// each at its JSON pointer).
fn schema_check(
    schema: &serde_saphyr::Spanned<crate::suite::SchemaRef>,
    body: &Value,
    ctx: &CheckContext,
) -> CheckResult {
    let key = schema_key(&schema.value, ctx.file, &schema.referenced);
    let check = format!("schema {key}");
    match ctx.schemas.get(&key) {
        Some(validator) => {
            let found = violations(validator, body, 5);
            let join = |pick: fn(&Violation) -> &str, by: &str| {
                found.iter().map(pick).collect::<Vec<_>>().join(by)
            };
            let (th, en) = (join(|v| &v.text.th, "; "), join(|v| &v.text.en, "; "));
            let message = match found.is_empty() {
                true => text!(
                    "body ตรงตาม JSON Schema",
                    "the body matches the JSON Schema"
                ),
                false => Text::new(
                    format!("body ไม่ตรงตาม JSON Schema: {th}"),
                    format!("the body does not match the JSON Schema: {en}"),
                ),
            };
            CheckResult::new(check, pass_if(found.is_empty()), message)
                // The places, in either language; what is wrong there is in the message.
                .expected("valid", join(|v| &v.at, ", "))
        }
        None => CheckResult::new(
            check,
            Outcome::Error,
            text!("ไม่พบ schema {}", "schema {} is not loaded", key),
        ),
    }
}

/// A check on a credential header says whether it held, never the values: expected and actual
/// are masked, with whether they differ.
fn hide_credential(
    mut result: CheckResult,
    name: &str,
    predicate: &Predicate,
    value: Option<&Value>,
    vars: &Vars,
) -> CheckResult {
    if result.outcome != Outcome::Fail {
        return result;
    }
    let expected = predicate
        .equals
        .as_ref()
        .and_then(|e| crate::template::render_json(e, vars).ok());
    let (actual, th, en) = match (value, &expected) {
        (None, _) => ("absent".to_string(), "ไม่มี header นี้", "the header is absent"),
        (Some(got), Some(want)) if !super::json_equal(got, want) => (
            format!("{MASK} (differs from the expected value)"),
            "ค่าไม่ตรงกับที่คาดหวัง",
            "its value differs from the expected one",
        ),
        (Some(_), _) => (
            format!("{MASK} (hidden)"),
            "ค่าไม่เป็นไปตามที่ตรวจ",
            "its value does not meet the check",
        ),
    };
    let values_given = predicate.equals.is_some()
        || predicate.not_equals.is_some()
        || predicate.one_of.is_some()
        || predicate.contains.is_some()
        || predicate.matches.is_some();
    if values_given {
        result.expected = Some(format!("{MASK} (a credential)"));
    }
    result.actual = Some(actual);
    result.message = Text::new(
        format!("{name} เป็นข้อมูลลับ (ไม่แสดงค่า): {th}"),
        format!("{name} is a credential (values not shown): {en}"),
    );
    result
}

fn pass_if(ok: bool) -> Outcome {
    if ok { Outcome::Pass } else { Outcome::Fail }
}

/// One predicate block on one node list → one check result (the first unmet predicate decides
/// the message; all unmet ones are listed in `expected`/`actual`).
fn judge(
    label: String,
    predicate: &Predicate,
    nodes: &[&Value],
    vars: &Vars,
    answer: Option<&dyn Answer>,
) -> CheckResult {
    match predicate::evaluate_with(predicate, nodes, vars, answer) {
        Ok(unmet) if unmet.is_empty() => {
            CheckResult::new(label, Outcome::Pass, Text::new("ผ่าน", "ok"))
        }
        Ok(unmet) => {
            let join = |f: fn(&Unmet) -> &str| unmet.iter().map(f).collect::<Vec<_>>().join("; ");
            let message = Text::new(join(|u| &u.message.th), join(|u| &u.message.en));
            CheckResult::new(label, Outcome::Fail, message)
                .expected(join(|u| &u.expected), unmet[0].actual.clone())
        }
        Err(e) => CheckResult::new(
            label,
            Outcome::Error,
            text!(
                "ค่าที่คาดหวังใช้ไม่ได้: {}",
                "the expected value cannot be built: {}",
                e
            ),
        ),
    }
}
