//! The keys that take one of several shapes (a status is `201`, `4xx` or a list; a capture is a
//! JSONPath or a map …). serde's untagged enums say only "data did not match any variant"; these
//! say which shapes the key takes, with an example.

use serde::de::{Deserialize, Deserializer, Error};
use serde_json::Value;

use super::model::{Capture, LengthSpec, Scalar, SchemaRef, StatusSpec, Unique};

/// Reads the value as JSON, then `parse` picks the shape; an unknown one is an error listing
/// `shapes` (and what `parse` found wrong, if anything).
fn shaped<'de, D, T>(
    d: D,
    shapes: &str,
    parse: impl FnOnce(Value) -> Result<T, String>,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
{
    let value = Value::deserialize(d)?;
    parse(value).map_err(|detail| {
        if detail.is_empty() {
            D::Error::custom(format!("expected {shapes}"))
        } else {
            D::Error::custom(format!("{detail}; expected {shapes}"))
        }
    })
}

const STATUS: &str =
    "a status: a code (`201`), a class (`4xx`), or a list of them (`[200, 201]`, `[4xx, 5xx]`)";
const SCHEMA: &str = "a schema: a file of the suite (`schemas/receipt.json`) or an inline JSON Schema (`{ type: object, required: [id] }`)";
const CAPTURE: &str = "a capture: a JSONPath (`$.application_id`), or `{ json: $.path }`, `{ header: Location }`, `{ xml: //Id }`, `{ body: true }` or `{ link: next }`, with `regex: '…'` to take part of it, `optional: true` when it may be absent, and `secret: true` to mask it (`token: { json: $.Result, secret: true }`)";
const LENGTH: &str = "a length: a number (`5`) or a range (`{ min: 1, max: 50 }`)";
const UNIQUE: &str =
    "`unique: true` (the items are all different) or a JSONPath into each item (`unique: $.id`)";
const SCALAR: &str = "a number (`2000`) or a template that gives one (`\"{{ retry_after }}\"`)";

fn status(value: Value) -> Result<StatusSpec, String> {
    match value {
        Value::Number(n) => n
            .as_u64()
            .and_then(|n| u16::try_from(n).ok())
            .map(StatusSpec::Code)
            .ok_or_else(|| format!("{n} is not a status code")),
        Value::String(class) => Ok(StatusSpec::Class(class)),
        Value::Array(items) => items
            .into_iter()
            .map(status)
            .collect::<Result<_, _>>()
            .map(StatusSpec::List),
        _ => Err(String::new()),
    }
}

impl<'de> Deserialize<'de> for StatusSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        shaped(d, STATUS, status)
    }
}

impl<'de> Deserialize<'de> for SchemaRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        shaped(d, SCHEMA, |v| match v {
            Value::String(file) => Ok(SchemaRef::File(file)),
            v @ Value::Object(_) => Ok(SchemaRef::Inline(v)),
            _ => Err(String::new()),
        })
    }
}

impl<'de> Deserialize<'de> for Capture {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        shaped(d, CAPTURE, |v| match v {
            Value::String(path) => Ok(Capture::Path(path)),
            v @ Value::Object(_) => serde_json::from_value(v)
                .map(Capture::Full)
                .map_err(|e| e.to_string()),
            _ => Err(String::new()),
        })
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Range {
    min: Option<usize>,
    max: Option<usize>,
}

impl<'de> Deserialize<'de> for LengthSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        shaped(d, LENGTH, |v| match v {
            Value::Number(n) => n
                .as_u64()
                .map(|n| LengthSpec::Exactly(n as usize))
                .ok_or_else(|| format!("{n} is not a length")),
            v @ Value::Object(_) => serde_json::from_value::<Range>(v)
                .map(|r| LengthSpec::Range {
                    min: r.min,
                    max: r.max,
                })
                .map_err(|e| e.to_string()),
            _ => Err(String::new()),
        })
    }
}

impl<'de> Deserialize<'de> for Unique {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        shaped(d, UNIQUE, |v| match v {
            Value::Bool(b) => Ok(Unique::Items(b)),
            Value::String(path) => Ok(Unique::Field(path)),
            _ => Err(String::new()),
        })
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        shaped(d, SCALAR, |v| match v {
            Value::Number(n) => n.as_f64().map(Scalar::Number).ok_or_else(String::new),
            Value::String(t) => Ok(Scalar::Text(t)),
            _ => Err(String::new()),
        })
    }
}
