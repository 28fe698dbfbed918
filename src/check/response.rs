//! A response as the checks see it: pure data, whatever transport produced it.

use serde_json::Value;

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

    /// The body as JSON, or why it is not (invalid UTF-8 is reported as such).
    pub fn json(&self) -> Result<Value, String> {
        if self.body.is_empty() {
            return Err("the body is empty".into());
        }
        serde_json::from_slice(&self.body).map_err(|e| e.to_string())
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
