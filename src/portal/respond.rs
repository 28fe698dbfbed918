//! Turning a response definition into a `Reply`, safely: bad header names or values are
//! skipped, never panicked on (they are rejected when mappings load).

use std::collections::BTreeMap;
use std::time::Duration;

use super::mapping::ResponseDefinition;
use super::template;
use crate::serve::Reply;

/// The reply and its body as JSON (when it is JSON), for token issuing.
pub fn build(
    def: &ResponseDefinition,
    templated: bool,
    path: &str,
    files: &BTreeMap<String, Vec<u8>>,
) -> (Reply, Option<serde_json::Value>) {
    let render = |s: &str| {
        if templated {
            template::render(s, path)
        } else {
            s.to_string()
        }
    };
    let mut reply = Reply::new(def.status);
    let mut content_type = None;
    for (name, value) in &def.headers {
        let value = render(value);
        if name.eq_ignore_ascii_case("content-type") {
            content_type = Some(value);
        } else {
            reply = reply.insert_header(name, &value);
        }
    }
    let mut json = None;
    let body: Option<(Vec<u8>, &str)> = if let Some(value) = &def.json_body {
        let value = if templated {
            template::render_json(value, path)
        } else {
            value.clone()
        };
        let bytes = serde_json::to_vec(&value).unwrap_or_default();
        json = Some(value);
        Some((bytes, "application/json"))
    } else if let Some(text) = &def.body {
        Some((render(text).into_bytes(), "text/plain"))
    } else {
        def.body_file_name
            .as_ref()
            .and_then(|name| files.get(name))
            .map(|bytes| (bytes.clone(), "application/octet-stream"))
    };
    if let Some((bytes, default_type)) = body {
        if json.is_none() {
            json = serde_json::from_slice(&bytes).ok();
        }
        reply = reply.set_body_raw(bytes, default_type);
    }
    if let Some(mime) = content_type {
        reply = reply.insert_header("Content-Type", &mime);
    }
    if let Some(ms) = def.fixed_delay_milliseconds {
        reply = reply.set_delay(Duration::from_millis(ms));
    }
    (reply, json)
}
