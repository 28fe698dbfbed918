//! JSONPath (and header) predicates: `equals`, `matches`, `type`, `thai_citizen_id`, …

use regex::Regex;
use serde_json::Value;

use crate::citizen_id;
use crate::i18n::Text;
use crate::suite::{JsonType, Predicate};
use crate::template::{TemplateError, render_json};
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
/// several are judged as one array). Expected values are templated with the case's variables.
pub fn evaluate(
    predicate: &Predicate,
    nodes: &[&Value],
    vars: &Vars,
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
    let value_checks = value_checks(predicate, vars)?;
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
    unmet.extend(value_checks.into_iter().filter_map(|c| c.judge(&value)));
    Ok(unmet)
}

fn describe_nodes(nodes: &[&Value]) -> String {
    match nodes {
        [] => "nothing".into(),
        [one] => compact(one),
        many => compact(&Value::Array(many.iter().map(|v| (*v).clone()).collect())),
    }
}

/// JSON, shortened for messages.
pub fn compact(value: &Value) -> String {
    const LIMIT: usize = 200;
    let text = value.to_string();
    if text.chars().count() > LIMIT {
        let cut: String = text.chars().take(LIMIT).collect();
        format!("{cut}…")
    } else {
        text
    }
}

/// One value predicate with its expectation resolved.
enum ValueCheck {
    Equals(Value),
    NotEquals(Value),
    Matches(String),
    Type(JsonType),
    OneOf(Vec<Value>),
    Contains(Value),
    Length(usize),
    Min(f64),
    Max(f64),
    CitizenId(bool),
}

fn value_checks(p: &Predicate, vars: &Vars) -> Result<Vec<ValueCheck>, TemplateError> {
    let mut checks = Vec::new();
    if let Some(v) = &p.equals {
        checks.push(ValueCheck::Equals(render_json(v, vars)?));
    }
    if let Some(v) = &p.not_equals {
        checks.push(ValueCheck::NotEquals(render_json(v, vars)?));
    }
    if let Some(re) = &p.matches {
        checks.push(ValueCheck::Matches(re.value.clone()));
    }
    if let Some(t) = p.type_ {
        checks.push(ValueCheck::Type(t));
    }
    if let Some(list) = &p.one_of {
        let rendered = list
            .iter()
            .map(|v| render_json(v, vars))
            .collect::<Result<_, _>>()?;
        checks.push(ValueCheck::OneOf(rendered));
    }
    if let Some(v) = &p.contains {
        checks.push(ValueCheck::Contains(render_json(v, vars)?));
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
    Ok(checks)
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

impl ValueCheck {
    fn judge(&self, value: &Value) -> Option<Unmet> {
        let actual = compact(value);
        let unmet = |expected: String, message: Text| Unmet {
            expected,
            actual: actual.clone(),
            message,
        };
        match self {
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
                let ok = match (value.as_str(), Regex::new(pattern)) {
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
                        text!("คาดว่ามี {} อยู่ใน {}", "expected {} to contain {}", w, actual),
                    )
                })
            }
            ValueCheck::Length(n) => {
                let len = match value {
                    Value::String(s) => Some(s.chars().count()),
                    Value::Array(a) => Some(a.len()),
                    Value::Object(o) => Some(o.len()),
                    _ => None,
                };
                (len != Some(*n)).then(|| {
                    let got = len.map_or_else(|| type_name(value).to_string(), |l| l.to_string());
                    unmet(
                        format!("length {n}"),
                        text!(
                            "คาดว่าความยาว {} แต่ได้ {}",
                            "expected length {}, got {}",
                            n,
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
                let valid = value.as_str().is_some_and(citizen_id::is_valid);
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
        }
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
