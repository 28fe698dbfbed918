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
        if let [Part::Expr { expr, .. }] = self.parts.as_slice() {
            return eval(expr, vars);
        }
        self.render_string(vars).map(Value::String)
    }

    pub fn render_string(&self, vars: &Vars) -> Result<String, TemplateError> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Expr { expr, .. } => out.push_str(&value_text(&eval(expr, vars)?)),
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
                    let value = value_text(&eval(expr, vars)?);
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

fn parse_expr(src: &str) -> Result<Expr, String> {
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

fn eval(expr: &Expr, vars: &Vars) -> Result<Value, TemplateError> {
    match expr {
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
    Ok(match value {
        Value::String(s) => Template::parse(s)?.render_value(vars)?,
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| render_json(v, vars))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), render_json(v, vars)?)))
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
