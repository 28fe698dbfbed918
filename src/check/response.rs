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
