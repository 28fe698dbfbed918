//! The operations a document declares: method, path template, request body and responses,
//! each `$ref` followed.

use regex::Regex;
use serde_json::Value;

use super::escape;
use super::keywords::{OPERATION, PATH_ITEM};
use super::resolve::Resolver;

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Where a schema is: a file of the document and a JSON pointer in it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SchemaAt {
    pub file: usize,
    pub pointer: String,
}

/// A media type an operation takes or gives, and its schema when it has one.
#[derive(Clone, Debug)]
pub struct Media {
    /// As written: `application/json`, `application/*`, `*/*`.
    pub media_type: String,
    pub schema: Option<SchemaAt>,
}

#[derive(Clone, Debug)]
pub struct ResponseSpec {
    /// `201`, `4XX` or `default`, as the document writes it.
    pub status: String,
    pub content: Vec<Media>,
    /// Headers the response declares `required: true`.
    pub required_headers: Vec<String>,
}

impl ResponseSpec {
    /// Whether this response documents a status: exactly, by its class (`4XX`), or as `default`.
    fn documents(&self, status: u16) -> u8 {
        let key = self.status.to_ascii_uppercase();
        if key == status.to_string() {
            3
        } else if key.len() == 3
            && key.ends_with("XX")
            && key.starts_with(&(status / 100).to_string())
        {
            2
        } else if key == "DEFAULT" {
            1
        } else {
            0
        }
    }
}

#[derive(Debug)]
pub struct Operation {
    /// Upper case: `POST`.
    pub method: String,
    /// As the document writes it: `/applications/{application_id}`.
    pub path: String,
    pub operation_id: Option<String>,
    pub summary: Option<String>,
    /// Where it is in the root document: `/paths/~1applications/post`.
    pub pointer: String,
    pub request: Vec<Media>,
    pub responses: Vec<ResponseSpec>,
    matcher: Regex,
    templated: usize,
}

impl Operation {
    /// `POST /applications`: how findings and coverage name it.
    pub fn key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    pub fn matches(&self, path: &str) -> bool {
        self.matcher.is_match(path)
    }

    /// The response that documents a status: the exact code before its class before `default`.
    pub fn response(&self, status: u16) -> Option<&ResponseSpec> {
        self.responses
            .iter()
            .filter(|r| r.documents(status) > 0)
            .max_by_key(|r| r.documents(status))
    }

    /// The request body's schema for a media type (`application/json` by default).
    pub fn request_schema(&self) -> Option<&SchemaAt> {
        pick(&self.request, "application/json").and_then(|m| m.schema.as_ref())
    }
}

/// The media entry that covers a content type: exactly, then `type/*`, then `*/*`; JSON's
/// structured suffix (`application/problem+json`) is covered by `application/json` too.
pub fn pick<'a>(content: &'a [Media], content_type: &str) -> Option<&'a Media> {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let major = essence.split('/').next().unwrap_or("");
    let rank = |m: &Media| {
        let declared = m
            .media_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if declared == essence {
            4
        } else if declared == "application/json" && essence.ends_with("+json") {
            3
        } else if declared == format!("{major}/*") {
            2
        } else if declared == "*/*" {
            1
        } else {
            0
        }
    };
    content
        .iter()
        .filter(|m| rank(m) > 0)
        .max_by_key(|m| rank(m))
}

/// Every operation of the root document's `paths`, concrete paths first; and each problem as
/// (file, pointer, message).
pub fn extract(resolver: &Resolver) -> (Vec<Operation>, Vec<(usize, String, String)>) {
    let mut operations = Vec::new();
    let mut problems = Vec::new();
    let Some(Value::Object(paths)) = resolver.node(0, "/paths") else {
        return (operations, problems);
    };
    for path in paths.keys() {
        let item_at = format!("/paths/{}", escape(path));
        let (file, item_pointer, item) = match resolver.deref(0, &item_at) {
            Ok(found) => found,
            Err(e) => {
                problems.push((0, item_at, e));
                continue;
            }
        };
        if let Value::Object(fields) = item {
            for (key, message) in super::keywords::unknown_fields(fields, PATH_ITEM, "a path") {
                problems.push((file, format!("{item_pointer}/{}", escape(key)), message));
            }
        }
        for method in METHODS {
            let Some(op) = item.get(method) else {
                continue;
            };
            let op_at = format!("{item_pointer}/{method}");
            if let Value::Object(fields) = op {
                for (key, message) in
                    super::keywords::unknown_fields(fields, OPERATION, "an operation")
                {
                    problems.push((file, format!("{op_at}/{}", escape(key)), message));
                }
            }
            match operation(resolver, file, &op_at, method, path) {
                Ok(op) => operations.push(op),
                Err((at, e)) => problems.push((file, at, e)),
            }
        }
    }
    operations.sort_by_key(|op| op.templated);
    (operations, problems)
}

type Problem = (String, String);

fn operation(
    resolver: &Resolver,
    file: usize,
    at: &str,
    method: &str,
    path: &str,
) -> Result<Operation, Problem> {
    let node = resolver.node(file, at).unwrap_or(&Value::Null);
    let text = |key: &str| node.get(key).and_then(Value::as_str).map(str::to_string);
    let (matcher, templated) = matcher(path).map_err(|e| (at.to_string(), e))?;
    let mut request = Vec::new();
    if node.get("requestBody").is_some() {
        let (f, p, _) = resolver
            .deref(file, &format!("{at}/requestBody"))
            .map_err(|e| (at.to_string(), e))?;
        request = content(resolver, f, &p).map_err(|e| (p.clone(), e))?;
    }
    let mut responses = Vec::new();
    if let Some(Value::Object(map)) = node.get("responses") {
        for status in map.keys() {
            let r_at = format!("{at}/responses/{}", escape(status));
            let key = status.to_ascii_uppercase();
            let code = key.parse::<u16>().is_ok_and(|c| (100..=599).contains(&c));
            let class = key.len() == 3 && key.ends_with("XX") && ("1"..="5").contains(&&key[..1]);
            if !(code || class || key == "DEFAULT") {
                return Err((
                    r_at,
                    format!(
                        "`{status}` is not a status: a code (`201`), a class (`4XX`) or `default`"
                    ),
                ));
            }
            let (f, p, response) = resolver.deref(file, &r_at).map_err(|e| (r_at.clone(), e))?;
            let mut required_headers = Vec::new();
            if let Some(Value::Object(headers)) = response.get("headers") {
                for name in headers.keys() {
                    let h_at = format!("{p}/headers/{}", escape(name));
                    let (_, _, header) = resolver.deref(f, &h_at).map_err(|e| (h_at.clone(), e))?;
                    if header.get("required") == Some(&Value::Bool(true)) {
                        required_headers.push(name.clone());
                    }
                }
            }
            responses.push(ResponseSpec {
                status: status.clone(),
                content: content(resolver, f, &p).map_err(|e| (p.clone(), e))?,
                required_headers,
            });
        }
    }
    Ok(Operation {
        method: method.to_ascii_uppercase(),
        path: path.to_string(),
        operation_id: text("operationId"),
        summary: text("summary"),
        pointer: at.to_string(),
        request,
        responses,
        matcher,
        templated,
    })
}

/// The `content` of a request body or response at `at`: each media type and its schema.
fn content(resolver: &Resolver, file: usize, at: &str) -> Result<Vec<Media>, String> {
    let Some(Value::Object(map)) = resolver.node(file, &format!("{at}/content")) else {
        return Ok(Vec::new());
    };
    map.iter()
        .map(|(media_type, media)| {
            let schema_at = format!("{at}/content/{}/schema", escape(media_type));
            Ok(Media {
                media_type: media_type.clone(),
                schema: media.get("schema").map(|_| SchemaAt {
                    file,
                    pointer: schema_at,
                }),
            })
        })
        .collect()
}

/// The whole-path pattern of a path template (`{name}` is one segment, or part of one) and how
/// many parameters it has.
fn matcher(template: &str) -> Result<(Regex, usize), String> {
    let mut pattern = String::from("^");
    let mut rest = template;
    let mut templated = 0;
    while let Some(open) = rest.find('{') {
        pattern.push_str(&regex::escape(&rest[..open]));
        let close = rest[open..]
            .find('}')
            .ok_or_else(|| format!("path `{template}` has a `{{` that is not closed"))?;
        pattern.push_str("[^/]+");
        templated += 1;
        rest = &rest[open + close + 1..];
    }
    pattern.push_str(&regex::escape(rest));
    pattern.push('$');
    Regex::new(&pattern)
        .map(|re| (re, templated))
        .map_err(|e| format!("path `{template}`: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn media(types: &[&str]) -> Vec<Media> {
        types
            .iter()
            .map(|t| Media {
                media_type: t.to_string(),
                schema: None,
            })
            .collect()
    }

    #[test]
    fn content_types_are_matched_most_exact_first() {
        let declared = media(&["*/*", "application/json", "text/*"]);
        let got = |ct: &str| pick(&declared, ct).map(|m| m.media_type.as_str());
        assert_eq!(
            got("application/json; charset=utf-8"),
            Some("application/json")
        );
        assert_eq!(got("application/problem+json"), Some("application/json"));
        assert_eq!(got("text/plain"), Some("text/*"));
        assert_eq!(got("image/png"), Some("*/*"));
        assert_eq!(
            pick(&media(&["application/json"]), "text/plain").map(|m| &m.media_type),
            None
        );
    }

    #[test]
    fn templates_match_one_segment() {
        let (re, n) = matcher("/applications/{id}/documents").unwrap();
        assert_eq!(n, 1);
        assert!(re.is_match("/applications/a-1/documents"));
        assert!(!re.is_match("/applications/a/b/documents"));
        assert!(!re.is_match("/applications//documents"));
    }
}
