//! The documented subset of WireMock's response templating (with `"transformers":
//! ["response-template"]`): `{{request.path.[n]}}`, `{{randomValue type='UUID'}}`, `{{now}}`.

use crate::clock;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Helper {
    PathSegment(usize),
    Uuid,
    Now,
}

/// Checks every `{{…}}` of a text; the error names the helper that is not supported.
pub fn check(text: &str) -> Result<(), String> {
    helpers(text).map(|_| ())
}

fn helpers(text: &str) -> Result<Vec<(usize, usize, Helper)>, String> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(start) = text[from..].find("{{").map(|i| i + from) {
        let end = text[start..]
            .find("}}")
            .map(|i| i + start)
            .ok_or_else(|| format!("unclosed `{{{{` in `{text}`"))?;
        let inner = text[start + 2..end].trim();
        let helper = if let Some(n) = inner
            .strip_prefix("request.path.[")
            .and_then(|r| r.strip_suffix(']'))
        {
            Helper::PathSegment(
                n.parse()
                    .map_err(|_| format!("`{{{{{inner}}}}}` needs a segment number"))?,
            )
        } else {
            match inner {
                "randomValue type='UUID'" | "randomValue type=\"UUID\"" => Helper::Uuid,
                "now" => Helper::Now,
                _ => {
                    return Err(format!(
                        "unsupported template `{{{{{inner}}}}}` (cpc supports request.path.[n], randomValue type='UUID', now)"
                    ));
                }
            }
        };
        out.push((start, end + 2, helper));
        from = end + 2;
    }
    Ok(out)
}

/// Renders for one request; a text that fails `check` is returned as it is.
pub fn render(text: &str, path: &str) -> String {
    let Ok(found) = helpers(text) else {
        return text.to_string();
    };
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let mut out = String::new();
    let mut copied = 0;
    for (start, end, helper) in found {
        out.push_str(&text[copied..start]);
        match helper {
            Helper::PathSegment(n) => out.push_str(segments.get(n).copied().unwrap_or_default()),
            Helper::Uuid => out.push_str(&uuid::Uuid::new_v4().to_string()),
            Helper::Now => out.push_str(&clock::rfc3339(clock::now())),
        }
        copied = end;
    }
    out.push_str(&text[copied..]);
    out
}

/// Renders every string of a JSON body.
pub fn render_json(value: &serde_json::Value, path: &str) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(s) => Value::String(render(s, path)),
        Value::Array(items) => Value::Array(items.iter().map(|v| render_json(v, path)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), render_json(v, path)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_supported_helpers() {
        let text = "ref={{request.path.[3]}} at {{now}} id={{randomValue type='UUID'}}";
        let out = render(text, "/api/v1/applications/CSG-2569-000001/status");
        assert!(out.starts_with("ref=CSG-2569-000001 at "), "{out}");
        assert!(out.contains("+07:00 id="), "{out}");
        assert_eq!(out.split("id=").nth(1).unwrap().len(), 36);
    }

    #[test]
    fn names_what_is_not_supported() {
        assert_eq!(check("plain"), Ok(()));
        let err = check("{{jsonPath request.body '$.x'}}").unwrap_err();
        assert!(
            err.contains("unsupported template `{{jsonPath request.body '$.x'}}`"),
            "{err}"
        );
        assert!(check("{{request.path.[x]}}").is_err());
        assert!(check("{{now").is_err());
    }
}
