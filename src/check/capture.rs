//! Captures: values taken from a response into variables for later steps.

use serde_json::Value;

use super::Response;
use crate::i18n::Text;
use crate::suite::Capture;
use crate::text;

/// Where a capture reads from, once its spec is normalized.
pub enum Source<'a> {
    Json(&'a str),
    Header(&'a str),
    Xml(&'a str),
    /// The raw body, as text.
    Body,
    /// The target of a `Link` relation.
    Link(&'a str),
}

impl Capture {
    pub fn source(&self) -> Option<Source<'_>> {
        match self {
            Capture::Path(p) => Some(Source::Json(p)),
            Capture::Full(f) => match (&f.json, &f.header, &f.xml, f.body, &f.link) {
                (Some(p), None, None, false, None) => Some(Source::Json(p)),
                (None, Some(h), None, false, None) => Some(Source::Header(h)),
                (None, None, Some(x), false, None) => Some(Source::Xml(x)),
                (None, None, None, true, None) => Some(Source::Body),
                (None, None, None, false, Some(rel)) => Some(Source::Link(rel)),
                _ => None,
            },
        }
    }

    pub fn is_secret(&self) -> bool {
        matches!(self, Capture::Full(f) if f.secret)
    }

    fn optional(&self) -> bool {
        matches!(self, Capture::Full(f) if f.optional)
    }

    fn all(&self) -> bool {
        matches!(self, Capture::Full(f) if f.all)
    }

    fn regex(&self) -> Option<&str> {
        match self {
            Capture::Full(f) => f.regex.as_ref().map(|r| r.value.as_str()),
            Capture::Path(_) => None,
        }
    }
}

/// Takes the value; a missing one is a reason the case cannot go on, unless the capture is
/// `optional` (then it is `null`).
pub fn take(
    capture: &Capture,
    response: &Response,
    json: Option<&Value>,
    namespaces: &[(String, String)],
) -> Result<Value, Text> {
    let taken =
        source_value(capture, response, json, namespaces).and_then(|value| match capture.regex() {
            Some(pattern) => by_regex(pattern, &value),
            None => Ok(value),
        });
    match taken {
        Err(_) if capture.optional() => Ok(Value::Null),
        other => other,
    }
}

/// The part of a value a capture's regex picks: the group named `value`, else the first
/// group, else the whole match.
fn by_regex(pattern: &str, value: &Value) -> Result<Value, Text> {
    let re = regex::Regex::new(pattern)
        .map_err(|e| text!("regex {} ใช้ไม่ได้: {}", "invalid regex {}: {}", pattern, e))?;
    let text = crate::vars::value_text(value);
    let found = re.captures(&text).and_then(|c| {
        c.name("value")
            .or_else(|| c.get(1))
            .or_else(|| c.get(0))
            .map(|m| m.as_str().to_string())
    });
    found.map(Value::String).ok_or_else(|| {
        text!(
            "ค่าที่ได้ไม่ตรงกับ regex {}",
            "the value does not match the regex {}",
            pattern
        )
    })
}

fn source_value(
    capture: &Capture,
    response: &Response,
    json: Option<&Value>,
    namespaces: &[(String, String)],
) -> Result<Value, Text> {
    match capture.source() {
        Some(Source::Json(path)) => {
            let json = json.ok_or_else(|| {
                text!(
                    "ดึงค่า {} ไม่ได้: body ไม่ใช่ JSON",
                    "cannot capture {}: the body is not JSON",
                    path
                )
            })?;
            let parsed = super::jsonpath::parse(path).map_err(|e| {
                text!(
                    "JSONPath {} ไม่ถูกต้อง: {}",
                    "invalid JSONPath {}: {}",
                    path,
                    e
                )
            })?;
            let nodes = parsed.query(json).all();
            if capture.all() {
                // `all: true`: a list, however many nodes (none is an empty list).
                return Ok(Value::Array(nodes.into_iter().cloned().collect()));
            }
            match nodes.as_slice() {
                [one] => Ok((*one).clone()),
                [] => Err(text!(
                    "ไม่พบค่าที่ {} สำหรับเก็บไว้ใช้",
                    "nothing at {} to capture",
                    path
                )),
                many => Ok(Value::Array(many.iter().map(|v| (*v).clone()).collect())),
            }
        }
        Some(Source::Header(name)) => response.header(name).map(Value::String).ok_or_else(|| {
            text!(
                "ไม่พบ header {} สำหรับเก็บไว้ใช้",
                "no header {} to capture",
                name
            )
        }),
        Some(Source::Xml(xpath)) => {
            let body = String::from_utf8_lossy(&response.body);
            let nodes = super::xml::select(&body, xpath, namespaces)
                .map_err(|e| text!("ดึงค่า {} ไม่ได้: {}", "cannot capture {}: {}", xpath, e))?;
            match nodes.as_slice() {
                [one] => Ok(one.clone()),
                [] => Err(text!(
                    "ไม่พบค่าที่ {} สำหรับเก็บไว้ใช้",
                    "nothing at {} to capture",
                    xpath
                )),
                many => Ok(Value::Array(many.to_vec())),
            }
        }
        Some(Source::Body) => Ok(Value::String(
            String::from_utf8_lossy(&response.body).into_owned(),
        )),
        Some(Source::Link(rel)) => response
            .header("link")
            .and_then(|header| super::link::target(&header, rel))
            .map(Value::String)
            .ok_or_else(|| {
                text!(
                    "ไม่มีลิงก์ rel=\"{}\" ใน header Link",
                    "no link with rel=\"{}\" in the Link header",
                    rel
                )
            }),
        None => Err(text!(
            "capture ต้องระบุ json, header, xml, body หรือ link อย่างใดอย่างหนึ่ง",
            "a capture names exactly one of json, header, xml, body or link"
        )),
    }
}
