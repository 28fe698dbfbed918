//! `{{ name }}` templating for paths, headers, bodies and fixture files.
//!
//! An expression is a variable (`ref`), an environment variable (`env.PORTAL_URL`) or a built-in
//! function: `uuid()`, `now()`, `today(offset_days)`, `citizen_id()`. A string that is exactly
//! one expression takes the variable's JSON value (so a captured number stays a number inside a
//! JSON body); anything else is text.

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde_json::Value;
use thiserror::Error;

use crate::vars::{Vars, value_text};
use crate::{citizen_id, clock};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr {
    Var(String),
    Env(String),
    Call(Function),
    /// `answer.…`: a value computed from the answer being judged (in `expect` only).
    Answer(AnswerPart),
    /// `finished_at('step name')`: when an earlier step of the case finished (RFC 3339, ms).
    FinishedAt(String),
}

/// What `answer.…` reads from the answer being judged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnswerPart {
    /// `answer.sha256`: the body's SHA-256, lowercase hex.
    Sha256,
    /// `answer.md5`: the body's MD5, lowercase hex.
    Md5,
    /// `answer.size`: the body's size in bytes.
    Size,
    /// `answer.status`.
    Status,
    /// `answer.header('Name')`.
    Header(String),
    /// `answer.json('$.path')`: the one node the JSONPath selects in the body.
    Json(String),
    /// `answer.xpath('/a/b')`: the XPath's value in an XML body.
    Xpath(String),
}

/// The answer being judged, as `answer.…` sees it.
pub trait Answer {
    fn part(&self, part: &AnswerPart) -> Result<Value, String>;
}

/// The hidden variable holding when the step `name` finished.
pub fn finished_at_key(name: &str) -> String {
    format!("finished_at:{name}")
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Function {
    Uuid,
    Now,
    Today(i64),
    CitizenId,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Text(String),
    /// `raw`: written `{{ expr | raw }}`, inserted into a path as it is (see `render_path`).
    Expr {
        expr: Expr,
        raw: bool,
    },
}

/// A parsed template string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum TemplateError {
    /// The text is not a well-formed template (a long one is shown cut).
    #[error("{message} in template `{}`", crate::redact::cut(text, 80))]
    Syntax { text: String, message: String },
    /// A variable no suite default, `--var`, case `vars` or earlier capture defines.
    #[error("undefined variable `{0}`")]
    Undefined(String),
    /// `env.NAME` where the environment has no NAME.
    #[error("environment variable `{0}` is not set")]
    EnvMissing(String),
    /// `answer.…` where there is no answer, or one it cannot read.
    #[error("{0}")]
    Answer(String),
    /// `finished_at('name')` of a step that has not finished.
    #[error("no step named `{0}` has finished before this one")]
    NotFinished(String),
    /// A value that would be a path segment is `.` or `..`, which would move the request.
    #[error("a value in the path is `{0}`, which is not a path segment")]
    DotSegment(String),
}

/// What a value in a path segment is escaped from: anything that would end the segment or
/// the path (`/`, `?`, `#`), `%` itself, and what URLs do not allow raw.
const PATH_SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

impl Template {
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let syntax = |message: &str| TemplateError::Syntax {
            text: text.to_string(),
            message: message.to_string(),
        };
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            if start > 0 {
                parts.push(Part::Text(rest[..start].to_string()));
            }
            let after = &rest[start + 2..];
            let end = after.find("}}").ok_or_else(|| syntax("unclosed `{{`"))?;
            let inner = after[..end].trim();
            let (inner, raw) = match inner.rsplit_once('|') {
                Some((expr, filter)) if filter.trim() == "raw" => (expr.trim(), true),
                Some((_, filter)) => {
                    return Err(syntax(&format!(
                        "unknown filter `{}` (the only one is `raw`)",
                        filter.trim()
                    )));
                }
                None => (inner, false),
            };
            parts.push(Part::Expr {
                expr: parse_expr(inner).map_err(|m| syntax(&m))?,
                raw,
            });
            rest = &after[end + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_string()));
        }
        Ok(Self { parts })
    }

    /// The expressions used, in order.
    pub fn exprs(&self) -> impl Iterator<Item = &Expr> {
        self.parts.iter().filter_map(|p| match p {
            Part::Expr { expr, .. } => Some(expr),
            Part::Text(_) => None,
        })
    }

    /// Renders to a JSON value: a lone expression keeps its type, anything else is a string.
    pub fn render_value(&self, vars: &Vars) -> Result<Value, TemplateError> {
        self.render_value_with(vars, None)
    }

    pub fn render_string(&self, vars: &Vars) -> Result<String, TemplateError> {
        self.render_string_with(vars, None)
    }

    /// As `render_value`, where `answer.…` reads the answer being judged.
    pub fn render_value_with(
        &self,
        vars: &Vars,
        answer: Option<&dyn Answer>,
    ) -> Result<Value, TemplateError> {
        if let [Part::Expr { expr, .. }] = self.parts.as_slice() {
            return eval(expr, vars, answer);
        }
        self.render_string_with(vars, answer).map(Value::String)
    }

    pub fn render_string_with(
        &self,
        vars: &Vars,
        answer: Option<&dyn Answer>,
    ) -> Result<String, TemplateError> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Expr { expr, .. } => out.push_str(&value_text(&eval(expr, vars, answer)?)),
            }
        }
        Ok(out)
    }

    /// Renders a request path. A value inside the path is one path segment, percent-encoded
    /// (`/`, `?`, `#`, `%` … included), so a captured `../../admin?x=1` cannot change where the
    /// request goes. A value at the very start of the path is the path itself (a captured
    /// `Location`), and `{{ name | raw }}` inserts a value as it is anywhere; the caller checks
    /// that the result stays inside the target.
    pub fn render_path(&self, vars: &Vars) -> Result<String, TemplateError> {
        let mut out = String::new();
        for (i, part) in self.parts.iter().enumerate() {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Expr { expr, raw } => {
                    let value = value_text(&eval(expr, vars, None)?);
                    if *raw || i == 0 {
                        out.push_str(&value);
                    } else if value == "." || value == ".." {
                        return Err(TemplateError::DotSegment(value));
                    } else {
                        out.extend(utf8_percent_encode(&value, PATH_SEGMENT));
                    }
                }
            }
        }
        Ok(out)
    }
}

/// `today(n)` reaches a century either way.
const MAX_DAYS: i64 = 36_500;

/// The text inside `'…'` (or `"…"`) quotes.
fn quoted(arg: &str) -> Option<&str> {
    let arg = arg.trim();
    arg.strip_prefix('\'')
        .and_then(|a| a.strip_suffix('\''))
        .or_else(|| arg.strip_prefix('"').and_then(|a| a.strip_suffix('"')))
}

fn parse_answer(rest: &str) -> Result<Expr, String> {
    let part = match rest {
        "sha256" => AnswerPart::Sha256,
        "md5" => AnswerPart::Md5,
        "size" => AnswerPart::Size,
        "status" => AnswerPart::Status,
        _ => {
            let (name, arg) = rest
                .split_once('(')
                .and_then(|(n, a)| Some((n.trim(), quoted(a.strip_suffix(')')?)?)))
                .ok_or_else(|| format!("`answer.{rest}` is not something cpc reads from an answer (answer.sha256, answer.md5, answer.size, answer.status, answer.header('Name'), answer.json('$.path'), answer.xpath('/path'))"))?;
            match name {
                "header" => AnswerPart::Header(arg.to_string()),
                "json" => {
                    serde_json_path::JsonPath::parse(arg)
                        .map_err(|e| format!("invalid JSONPath `{arg}`: {e}"))?;
                    AnswerPart::Json(arg.to_string())
                }
                "xpath" => AnswerPart::Xpath(arg.to_string()),
                _ => {
                    return Err(format!(
                        "`answer.{name}(…)` is not something cpc reads from an answer"
                    ));
                }
            }
        }
    };
    Ok(Expr::Answer(part))
}

fn parse_expr(src: &str) -> Result<Expr, String> {
    if let Some(rest) = src.strip_prefix("answer.") {
        return parse_answer(rest.trim());
    }
    if let Some(arg) = src
        .strip_prefix("finished_at(")
        .and_then(|a| a.strip_suffix(')'))
    {
        return quoted(arg)
            .map(|name| Expr::FinishedAt(name.to_string()))
            .ok_or_else(|| {
                "`finished_at('step name')` takes the name of an earlier step, in quotes".into()
            });
    }
    if let Some(name) = src.strip_prefix("env.") {
        return if is_identifier(name) {
            Ok(Expr::Env(name.to_string()))
        } else {
            Err(format!("`{src}` is not a valid environment variable name"))
        };
    }
    if let Some(open) = src.find('(') {
        let name = src[..open].trim();
        let arg = src[open + 1..]
            .strip_suffix(')')
            .ok_or_else(|| format!("`{src}` is missing `)`"))?
            .trim();
        let no_arg = |f: Function| {
            if arg.is_empty() {
                Ok(Expr::Call(f))
            } else {
                Err(format!("`{name}()` takes no argument"))
            }
        };
        return match name {
            "uuid" => no_arg(Function::Uuid),
            "now" => no_arg(Function::Now),
            "citizen_id" => no_arg(Function::CitizenId),
            "today" if arg.is_empty() => Ok(Expr::Call(Function::Today(0))),
            "today" => match arg.parse::<i64>() {
                Ok(days) if days.abs() <= MAX_DAYS => Ok(Expr::Call(Function::Today(days))),
                _ => Err(format!(
                    "`today(…)` takes a whole number of days from -{MAX_DAYS} to {MAX_DAYS}"
                )),
            },
            _ => Err(format!(
                "unknown function `{name}()` (known: uuid(), now(), today(days), citizen_id())"
            )),
        };
    }
    if is_identifier(src) {
        Ok(Expr::Var(src.to_string()))
    } else {
        Err(format!("`{src}` is not a variable name or function call"))
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn eval(expr: &Expr, vars: &Vars, answer: Option<&dyn Answer>) -> Result<Value, TemplateError> {
    match expr {
        Expr::Answer(part) => match answer {
            Some(answer) => answer.part(part).map_err(TemplateError::Answer),
            None => Err(TemplateError::Answer(
                "`answer.…` is read from the answer being judged, so only in `expect`".into(),
            )),
        },
        Expr::FinishedAt(name) => vars
            .get(&finished_at_key(name))
            .cloned()
            .ok_or_else(|| TemplateError::NotFinished(name.clone())),
        Expr::Var(name) => vars
            .get(name)
            .cloned()
            .ok_or_else(|| TemplateError::Undefined(name.clone())),
        Expr::Env(name) => std::env::var(name)
            .map(Value::String)
            .map_err(|_| TemplateError::EnvMissing(name.clone())),
        Expr::Call(f) => Ok(Value::String(match f {
            Function::Uuid => uuid::Uuid::new_v4().to_string(),
            Function::Now => clock::rfc3339(clock::now()),
            Function::Today(days) => clock::date_from(clock::now(), *days),
            Function::CitizenId => citizen_id::generate(),
        })),
    }
}

/// Renders every string inside a JSON value (object keys are left as written).
pub fn render_json(value: &Value, vars: &Vars) -> Result<Value, TemplateError> {
    render_json_with(value, vars, None)
}

/// As `render_json`, where `answer.…` reads the answer being judged.
pub fn render_json_with(
    value: &Value,
    vars: &Vars,
    answer: Option<&dyn Answer>,
) -> Result<Value, TemplateError> {
    Ok(match value {
        Value::String(s) => Template::parse(s)?.render_value_with(vars, answer)?,
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| render_json_with(v, vars, answer))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), render_json_with(v, vars, answer)?)))
                .collect::<Result<_, TemplateError>>()?,
        ),
        other => other.clone(),
    })
}

/// Every template inside a JSON value, for validation.
pub fn json_templates(value: &Value) -> Result<Vec<Template>, TemplateError> {
    let mut out = Vec::new();
    collect(value, &mut out)?;
    Ok(out)
}

fn collect(value: &Value, out: &mut Vec<Template>) -> Result<(), TemplateError> {
    match value {
        Value::String(s) if s.contains("{{") => out.push(Template::parse(s)?),
        Value::Array(items) => items.iter().try_for_each(|v| collect(v, out))?,
        Value::Object(map) => map.values().try_for_each(|v| collect(v, out))?,
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vars() -> Vars {
        let mut v = Vars::default();
        v.set("ref", json!("CSG-2569-000123"), false);
        v.set("count", json!(4), false);
        v
    }

    #[test]
    fn interpolates_text() {
        let t = Template::parse("/applications/{{ ref }}/status").unwrap();
        assert_eq!(
            t.render_string(&vars()).unwrap(),
            "/applications/CSG-2569-000123/status"
        );
    }

    #[test]
    fn lone_expression_keeps_json_type() {
        let body = json!({"n": "{{count}}", "s": "n={{ count }}", "k": ["{{ ref }}"]});
        assert_eq!(
            render_json(&body, &vars()).unwrap(),
            json!({"n": 4, "s": "n=4", "k": ["CSG-2569-000123"]})
        );
    }

    #[test]
    fn functions_produce_fresh_values() {
        let v = Vars::default();
        let id = Template::parse("{{ citizen_id() }}")
            .unwrap()
            .render_string(&v)
            .unwrap();
        assert!(citizen_id::is_valid(&id), "{id}");
        let a = Template::parse("{{uuid()}}")
            .unwrap()
            .render_string(&v)
            .unwrap();
        let b = Template::parse("{{uuid()}}")
            .unwrap()
            .render_string(&v)
            .unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        let now = Template::parse("{{ now() }}")
            .unwrap()
            .render_string(&v)
            .unwrap();
        assert!(now.ends_with("+07:00"), "{now}");
        let day = Template::parse("{{ today(-30) }}")
            .unwrap()
            .render_string(&v)
            .unwrap();
        assert_eq!(day, clock::date_from(clock::now(), -30));
    }

    #[test]
    fn path_values_are_segments_unless_raw_or_leading() {
        let mut v = vars();
        v.set("evil", json!("../../admin?x=1#y"), false);
        v.set("location", json!("/applications/1?v=2"), false);
        v.set("dots", json!(".."), false);
        let path = |t: &str| Template::parse(t).unwrap().render_path(&v);
        assert_eq!(
            path("/applications/{{ evil }}/status").unwrap(),
            "/applications/..%2F..%2Fadmin%3Fx=1%23y/status"
        );
        assert_eq!(path("{{ location }}").unwrap(), "/applications/1?v=2");
        assert_eq!(
            path("/x{{ location | raw }}").unwrap(),
            "/x/applications/1?v=2"
        );
        assert_eq!(
            path("/a/{{ dots }}"),
            Err(TemplateError::DotSegment("..".into()))
        );
        assert!(Template::parse("{{ a | upper }}").is_err());
    }

    #[test]
    fn errors_say_what_is_wrong() {
        assert_eq!(
            Template::parse("{{ missing }}")
                .unwrap()
                .render_string(&vars()),
            Err(TemplateError::Undefined("missing".into()))
        );
        let err = Template::parse("/a/{{ ref").unwrap_err();
        assert_eq!(err.to_string(), "unclosed `{{` in template `/a/{{ ref`");
        let err = Template::parse("{{ today(x) }}").unwrap_err();
        assert!(err.to_string().contains("whole number"), "{err}");
        let err = Template::parse("{{ today(106751991167301) }}").unwrap_err();
        assert!(err.to_string().contains("-36500 to 36500"), "{err}");
        let err = Template::parse("{{ rand() }}").unwrap_err();
        assert!(
            err.to_string().contains("unknown function `rand()`"),
            "{err}"
        );
        let err = Template::parse("{{ a b }}").unwrap_err();
        assert!(err.to_string().contains("not a variable name"), "{err}");
    }
}
