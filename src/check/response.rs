//! A response as the checks see it: pure data, whatever transport produced it.

use std::sync::{Arc, OnceLock};

use serde_json::Value;

/// The most values a JSON body may hold to be judged: a parsed value costs tens of bytes, so
/// this bounds the memory an answer costs (about 100 MiB at most), whatever its shape.
pub const MAX_JSON_VALUES: usize = 2_000_000;

#[derive(Clone, Debug, Default)]
pub struct Response {
    pub status: u16,
    /// In the order received; names as sent.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// From sending the request to the last byte of the body.
    pub elapsed_ms: u64,
    /// When it arrived (ms since the Unix epoch), for a request the portal received; 0: now.
    pub received_ms: u64,
    /// Only the start of the body was kept (the portal's journal keeps 1 MiB of each).
    pub truncated: bool,
    /// The body parsed once, for every check, capture and invariant that reads it.
    pub parsed: OnceLock<Result<Arc<Value>, String>>,
}

impl Response {
    /// All values of a header (case-insensitive), joined as HTTP does with `, `.
    pub fn header(&self, name: &str) -> Option<String> {
        let values: Vec<&str> = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect();
        (!values.is_empty()).then(|| values.join(", "))
    }

    /// The body as JSON, or why it is not (invalid UTF-8 is reported as such); parsed the
    /// first time it is asked for.
    pub fn json(&self) -> Result<Arc<Value>, String> {
        self.parsed.get_or_init(|| parse(&self.body)).clone()
    }
}

/// A response being judged, as `answer.…` in expected values reads it.
pub struct Judged<'a> {
    pub response: &'a Response,
    /// Prefixes for `answer.xpath(…)`.
    pub namespaces: &'a [(String, String)],
}

impl crate::template::Answer for Judged<'_> {
    fn part(&self, part: &crate::template::AnswerPart) -> Result<Value, String> {
        use crate::template::AnswerPart::*;
        use sha2::Digest;
        let body = &self.response.body;
        use crate::suite::digest::hex;
        Ok(match part {
            Sha256 => Value::String(hex(&sha2::Sha256::digest(body))),
            Md5 => Value::String(hex(&md5::Md5::digest(body))),
            Size => Value::from(body.len()),
            Status => Value::from(self.response.status),
            Header(name) => Value::String(
                self.response
                    .header(name)
                    .ok_or_else(|| format!("the answer has no header {name}"))?,
            ),
            Json(path) => {
                let json = self.response.json()?;
                let path = super::jsonpath::parse(path).map_err(|e| e.to_string())?;
                match path.query(&json).all().as_slice() {
                    [one] => (*one).clone(),
                    [] => return Err(format!("nothing at {path} in the answer")),
                    many => Value::Array(many.iter().map(|v| (*v).clone()).collect()),
                }
            }
            Xpath(xpath) => {
                let text = String::from_utf8_lossy(body);
                match super::xml::select(&text, xpath, self.namespaces)?.as_slice() {
                    [one] => one.clone(),
                    [] => return Err(format!("nothing at {xpath} in the answer")),
                    many => Value::Array(many.to_vec()),
                }
            }
        })
    }
}

fn parse(body: &[u8]) -> Result<Arc<Value>, String> {
    if body.is_empty() {
        return Err("the body is empty".into());
    }
    let values = value_count(body);
    if values > MAX_JSON_VALUES {
        return Err(format!(
            "the JSON holds about {values} values: cpc judges bodies of at most {MAX_JSON_VALUES}"
        ));
    }
    serde_json::from_slice(body)
        .map(Arc::new)
        .map_err(|e| e.to_string())
}

/// About how many values a JSON text holds, from its separators and brackets outside strings:
/// one pass, no allocation.
fn value_count(body: &[u8]) -> usize {
    let (mut count, mut in_string, mut escaped) = (1usize, false, false);
    for &b in body {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
        } else {
            match b {
                b'"' => in_string = true,
                b',' | b'[' | b'{' => count += 1,
                _ => {}
            }
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_is_parsed_once_and_a_huge_one_is_refused_before_it_is() {
        let response = Response {
            body: br#"{"a": [1, 2, "x,y[{"]}"#.to_vec(),
            ..Response::default()
        };
        assert_eq!(value_count(&response.body), 5);
        let first = response.json().unwrap();
        assert!(Arc::ptr_eq(&first, &response.json().unwrap()));
        let many = format!("[{}1]", "1,".repeat(MAX_JSON_VALUES));
        let huge = Response {
            body: many.into_bytes(),
            ..Response::default()
        };
        let err = huge.json().unwrap_err();
        assert!(
            err.contains("cpc judges bodies of at most 2000000"),
            "{err}"
        );
    }
}
