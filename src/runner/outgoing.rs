//! Turns a request spec into the bytes to send: templates rendered, suite defaults applied.

use std::time::Duration;

use serde_json::Value;

use crate::http::Outgoing;
use crate::i18n::Text;
use crate::suite::RequestSpec;
use crate::template::{Template, render_json};
use crate::text;
use crate::vars::Vars;

/// Suite-wide request settings.
pub struct RequestDefaults {
    pub target: reqwest::Url,
    /// The mock portal's address: a `url` request may go there too.
    pub portal: Option<reqwest::Url>,
    pub headers: Vec<(String, String)>,
    pub timeout_ms: u64,
}

fn render(text: &str, vars: &Vars) -> Result<String, Text> {
    Template::parse(text)
        .and_then(|t| t.render_string(vars))
        .map_err(template_error)
}

fn template_error(e: crate::template::TemplateError) -> Text {
    text!("สร้างคำขอไม่ได้: {}", "cannot build the request: {}", e)
}

/// Sets (or with `None` removes) a header, replacing any of the same name in any case.
fn set(headers: &mut Vec<(String, String)>, name: &str, value: Option<String>) {
    headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    if let Some(value) = value {
        headers.push((name.to_string(), value));
    }
}

/// The path as the suite writes it: the request's path less the target's own (`--target
/// https://host/pay` and `/pay/orders` is `/orders`), so invariants and the API description
/// match a case's `path` wherever the service is mounted. A request elsewhere (the mock
/// portal) keeps its path.
pub fn suite_path<'a>(url: &'a reqwest::Url, target: &reqwest::Url) -> &'a str {
    let prefix = target.path().trim_end_matches('/');
    let path = url.path();
    if prefix.is_empty() || url.origin() != target.origin() {
        return path;
    }
    match path.strip_prefix(prefix) {
        Some("") => "/",
        Some(rest) if rest.starts_with('/') => rest,
        _ => path,
    }
}

pub fn build(
    spec: &RequestSpec,
    defaults: &RequestDefaults,
    vars: &Vars,
) -> Result<(Outgoing, Duration), Text> {
    let method = reqwest::Method::from_bytes(spec.method.value.as_bytes())
        .map_err(|_| text!("method {} ใช้ไม่ได้", "invalid method {}", spec.method.value))?;
    let address = match (&spec.path, &spec.url) {
        (Some(path), _) => {
            let path = Template::parse(&path.value)
                .and_then(|t| t.render_path(vars))
                .map_err(template_error)?;
            if !path.starts_with('/') {
                return Err(text!(
                    "path ต้องขึ้นต้นด้วย / แต่ได้ {}",
                    "a path starts with `/`, this one is `{}`",
                    path
                ));
            }
            format!("{}{path}", defaults.target.as_str().trim_end_matches('/'))
        }
        (None, Some(url)) => render(&url.value, vars)?,
        (None, None) => {
            return Err(text!(
                "คำขอไม่มี path หรือ url",
                "the request has no path or url"
            ));
        }
    };
    // A `url` may be a reference (a `Location` header's `/x/1` or `x/1`), resolved against the
    // target as a browser follows it.
    let mut base = defaults.target.clone();
    if !base.path().ends_with('/') {
        base.set_path(&format!("{}/", base.path()));
    }
    let mut url = base
        .join(&address)
        .map_err(|e| text!("URL {} ใช้ไม่ได้: {}", "invalid URL {}: {}", address, e))?;
    // The suite's credentials go to the target (or the mock portal) and nowhere else, whatever
    // a captured value says.
    let inside = |base: &reqwest::Url| {
        let prefix = base.path().trim_end_matches('/');
        url.origin() == base.origin()
            && (url.path() == prefix || url.path().starts_with(&format!("{prefix}/")))
    };
    let allowed = inside(&defaults.target)
        || defaults
            .portal
            .as_ref()
            .is_some_and(|p| url.origin() == p.origin());
    // The portal's admin API holds every case's traffic: no step goes there, whatever a page's
    // link says.
    let to_portal = defaults
        .portal
        .as_ref()
        .is_some_and(|p| url.origin() == p.origin());
    if to_portal && url.path().starts_with("/__admin") {
        return Err(text!(
            "คำขอไปที่ API ผู้ดูแลของ Portal จำลอง ({}) ซึ่งไม่มีขั้นตอนใดส่งไปได้",
            "the request would go to the mock portal's admin API ({}), where no step may go",
            url.path()
        ));
    }
    if !allowed {
        return Err(text!(
            "คำขอไปที่ {} ซึ่งอยู่นอกระบบที่ทดสอบ ({})",
            "the request would go to {}, outside the target ({})",
            url.as_str(),
            defaults.target.as_str()
        ));
    }
    if !spec.query.is_empty() {
        let mut pairs = Vec::new();
        for (k, v) in spec.query.iter() {
            pairs.push((k.clone(), render(v, vars)?));
        }
        url.query_pairs_mut().extend_pairs(pairs);
    }

    let mut headers: Vec<(String, String)> = Vec::new();
    for (name, value) in &defaults.headers {
        // A default the request replaces or removes (`name: null`) is not rendered: it may
        // use a value this very request obtains.
        let own = spec
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name));
        if !own {
            set(&mut headers, name, Some(render(value, vars)?));
        }
    }
    for (name, value) in spec.headers.iter() {
        let value = match value {
            Some(v) => Some(render(v, vars)?),
            None => None,
        };
        set(&mut headers, name, value);
    }

    let (mut body, boundary) = body(spec, vars, &mut headers)?;
    if let Some(content_type) = &spec.content_type {
        let mut content_type = render(content_type, vars)?;
        // A multipart type without its boundary could not be read: the boundary goes with it.
        if let Some(boundary) = &boundary
            && content_type.starts_with("multipart/")
            && !content_type.contains("boundary=")
        {
            content_type.push_str(&format!("; boundary={boundary}"));
        }
        set(&mut headers, "Content-Type", Some(content_type));
    }
    if let Some(size) = spec.pad_to_bytes {
        // Trailing spaces keep a JSON body valid JSON (TP-4.6 wants it rejected for size alone).
        let body = body.get_or_insert_with(Vec::new);
        if (body.len() as u64) < size {
            body.resize(size as usize, b' ');
        }
    }
    let timeout = spec.timeout_ms.unwrap_or(defaults.timeout_ms);
    Ok((
        Outgoing {
            method,
            url,
            headers,
            body,
        },
        Duration::from_millis(timeout),
    ))
}

/// Sets `Content-Type` unless the request itself gives one (a suite default does not hold
/// for a body that has a type of its own: a form sent as `application/json` is no form).
fn typed(spec: &RequestSpec, headers: &mut Vec<(String, String)>, content_type: String) {
    let own = spec
        .headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("content-type") && v.is_some());
    if !own {
        set(headers, "Content-Type", Some(content_type));
    }
}

/// The body's bytes, built afresh for this request; a body that has a type of its own sets
/// `Content-Type` unless the request gives one.
/// (The multipart boundary too, when there is one.)
fn body(
    spec: &RequestSpec,
    vars: &Vars,
    headers: &mut Vec<(String, String)>,
) -> Result<(Option<Vec<u8>>, Option<String>), Text> {
    if let Some(json) = &spec.json {
        let mut value = render_json(&json.value, vars).map_err(template_error)?;
        if let Some(patch) = &spec.merge_patch {
            merge_patch(
                &mut value,
                &render_json(&patch.value, vars).map_err(template_error)?,
            );
        }
        for op in &spec.json_patch {
            let mut op = op.clone();
            if let Some(v) = &op.value {
                op.value = Some(render_json(v, vars).map_err(template_error)?);
            }
            crate::suite::json_patch(&mut value, &op)
                .map_err(|e| text!("json_patch: {}", "json_patch: {}", e))?;
        }
        // A suite default (`application/json; charset=utf-8`) stands for JSON.
        if !headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        {
            set(headers, "Content-Type", Some("application/json".into()));
        }
        return serde_json::to_vec(&value)
            .map(|b| (Some(b), None))
            .map_err(|e| text!("JSON: {}", "JSON: {}", e));
    }
    if let Some(text) = &spec.body {
        return Ok((Some(render(text, vars)?.into_bytes()), None));
    }
    if let Some(b64) = &spec.body_base64 {
        return decode_base64(&render(b64, vars)?).map(|b| (Some(b), None));
    }
    if let Some(form) = &spec.form {
        let mut fields = Vec::new();
        for (name, value) in form.value.iter() {
            fields.push((render(name, vars)?, render(value, vars)?));
        }
        typed(spec, headers, "application/x-www-form-urlencoded".into());
        return Ok((Some(super::body::form(&fields)), None));
    }
    if let Some(parts) = &spec.multipart {
        let mut rendered = Vec::new();
        for part in &parts.value {
            rendered.push(part_bytes(&part.value, vars)?);
        }
        let (boundary, bytes) =
            super::body::multipart(&rendered, || uuid::Uuid::new_v4().simple().to_string());
        typed(
            spec,
            headers,
            format!("multipart/form-data; boundary={boundary}"),
        );
        return Ok((Some(bytes), Some(boundary)));
    }
    let Some(bytes) = &spec.body_file_bytes else {
        return Ok((None, None));
    };
    if spec.template {
        // Load checked it is UTF-8.
        let text = String::from_utf8_lossy(bytes);
        return Ok((Some(render(&text, vars)?.into_bytes()), None));
    }
    Ok((Some(bytes.as_ref().clone()), None))
}

fn decode_base64(text: &str) -> Result<Vec<u8>, Text> {
    use base64::Engine;
    let compact: String = text.split_whitespace().collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|e| text!("base64 ใช้ไม่ได้: {}", "not base64: {}", e))
}

/// A multipart part, its body rendered.
fn part_bytes(part: &crate::suite::Part, vars: &Vars) -> Result<super::body::Part, Text> {
    let optional = |text: &Option<String>| text.as_ref().map(|t| render(t, vars)).transpose();
    let (bytes, implied) = if let Some(text) = &part.text {
        (render(text, vars)?.into_bytes(), None)
    } else if let Some(json) = &part.json {
        let value = render_json(&json.value, vars).map_err(template_error)?;
        let bytes = serde_json::to_vec(&value).map_err(|e| text!("JSON: {}", "JSON: {}", e))?;
        (bytes, Some("application/json"))
    } else if let Some(b64) = &part.base64 {
        (
            decode_base64(&render(b64, vars)?)?,
            Some("application/octet-stream"),
        )
    } else {
        let bytes = part.file_bytes.as_ref().map(|b| b.as_ref().clone());
        (bytes.unwrap_or_default(), Some("application/octet-stream"))
    };
    Ok(super::body::Part {
        name: render(&part.name, vars)?,
        filename: optional(&part.filename)?,
        content_type: optional(&part.content_type)?.or(implied.map(String::from)),
        bytes,
    })
}

/// RFC 7386: objects merge key by key, `null` removes, anything else replaces.
fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Default::default());
    }
    if let Value::Object(map) = target {
        for (key, value) in patch {
            if value.is_null() {
                map.remove(key);
            } else {
                merge_patch(map.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_path_is_matched_as_the_suite_writes_it_wherever_the_target_is_mounted() {
        let url = |u: &str| reqwest::Url::parse(u).unwrap();
        let target = url("https://agency.example/pay/");
        let path = |u: &str| suite_path(&url(u), &target).to_string();
        assert_eq!(path("https://agency.example/pay/orders/1"), "/orders/1");
        assert_eq!(path("https://agency.example/pay"), "/");
        // Not under the target: a neighbour, another host (the mock portal), another scheme.
        assert_eq!(path("https://agency.example/payments"), "/payments");
        assert_eq!(path("http://127.0.0.1:8089/pay/x"), "/pay/x");
        assert_eq!(path("http://agency.example/pay/x"), "/pay/x");
        let root = url("https://agency.example");
        assert_eq!(suite_path(&url("https://agency.example/a"), &root), "/a");
    }

    #[test]
    fn merge_patch_follows_rfc_7386() {
        let mut doc = json!({"a": {"b": 1, "c": 2}, "d": [1, 2], "e": "x"});
        merge_patch(
            &mut doc,
            &json!({"a": {"b": null, "z": 3}, "d": [9], "f": {"g": 1}}),
        );
        assert_eq!(
            doc,
            json!({"a": {"c": 2, "z": 3}, "d": [9], "e": "x", "f": {"g": 1}})
        );
    }
}
