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
}

impl Capture {
    pub fn source(&self) -> Option<Source<'_>> {
        match self {
            Capture::Path(p) => Some(Source::Json(p)),
            Capture::Full(f) => match (&f.json, &f.header, &f.xml) {
                (Some(p), None, None) => Some(Source::Json(p)),
                (None, Some(h), None) => Some(Source::Header(h)),
                (None, None, Some(x)) => Some(Source::Xml(x)),
                _ => None,
            },
        }
    }

    pub fn is_secret(&self) -> bool {
        matches!(self, Capture::Full(f) if f.secret)
    }
}

/// Takes the value; a missing one is a reason the case cannot go on.
pub fn take(
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
            match parsed.query(json).all().as_slice() {
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
        None => Err(text!(
            "capture ต้องระบุ json, header หรือ xml อย่างใดอย่างหนึ่ง",
            "a capture names exactly one of json, header or xml"
        )),
    }
}
