//! `{{ … }}` templating for paths, headers, bodies and fixture files.
//!
//! What stands between `{{` and `}}` is an expression (minijinja's language, with cpc's own
//! functions and filters, `functions.rs`): a variable (`ref`), an environment variable
//! (`env.PORTAL_URL`), arithmetic and comparison (`fee * copies`), a function (`uuid()`,
//! `now('-5m')`, `today(30)`, `citizen_id()`) and filters (`body | hmac_sha256(secret)`).
//! A string that is exactly one expression takes the expression's JSON value (so a number stays
//! a number inside a JSON body); anything else is text.

mod functions;
mod scan;

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde_json::Value;
use thiserror::Error;

use crate::vars::{Vars, value_text};
use scan::{Scanned, placeholder};

pub use scan::{FILTERS, FUNCTIONS};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr {
    Var(String),
    Env(String),
    /// A function called, by name (`uuid`, `now` …).
    Call(String),
    /// `answer.…`: a value computed from the answer being judged (in `expect` only).
    Answer(AnswerPart),
    /// `finished_at('step name')`: when an earlier step of the case finished (RFC 3339, ms).
    FinishedAt(String),
}

impl Expr {
    /// A function whose every call gives a new value no other case has (`uuid()`,
    /// `citizen_id()`).
    pub fn is_fresh(&self) -> bool {
        matches!(self, Expr::Call(name) if name == "uuid" || name == "citizen_id")
    }
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

/// One `{{ … }}`.
#[derive(Clone, Debug)]
struct Expression {
    /// As written (without a final `| raw`), for messages.
    text: String,
    scanned: Scanned,
    /// What it uses, in order: special forms, environment variables, functions, variables.
    uses: Vec<Expr>,
    /// `{{ expr | raw }}`: inserted into a path as it is (see `render_path`).
    raw: bool,
    /// Compiled once, when the template is read.
    compiled: std::sync::Arc<minijinja::Expression<'static, 'static>>,
}

#[derive(Clone, Debug)]
enum Part {
    Text(String),
    Expr(Box<Expression>),
}

/// A parsed template string.
#[derive(Clone, Debug)]
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
    /// The expression is well formed but cannot be computed (`'a' * 'b'`, a bad duration).
    #[error("{message} in `{{{{ {} }}}}`", crate::redact::cut(text, 80))]
    Eval { text: String, message: String },
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

/// `expr | raw` → (`expr`, true).
fn strip_raw(inner: &str) -> (&str, bool) {
    inner
        .strip_suffix("raw")
        .map(str::trim_end)
        .and_then(|rest| rest.strip_suffix('|'))
        .map_or((inner, false), |expr| (expr.trim(), true))
}

fn compile(text: &str) -> Result<Expression, String> {
    let (inner, raw) = strip_raw(text.trim());
    let scanned = scan::scan(inner)?;
    let compiled = functions::ENV
        .compile_expression_owned(scanned.source.clone())
        .map_err(|e| message(&e))?;
    let mut uses = scanned.specials.clone();
    uses.extend(scanned.env.iter().cloned().map(Expr::Env));
    uses.extend(scanned.calls.iter().cloned().map(Expr::Call));
    uses.extend(scanned.vars.iter().cloned().map(Expr::Var));
    Ok(Expression {
        text: inner.to_string(),
        scanned,
        uses,
        raw,
        compiled: std::sync::Arc::new(compiled),
    })
}

/// A minijinja error as one line.
fn message(e: &minijinja::Error) -> String {
    match e.kind() {
        minijinja::ErrorKind::OutOfFuel => {
            "the expression does more work than cpc allows (about 64 MiB of data)".into()
        }
        kind => e.detail().map_or_else(|| kind.to_string(), str::to_string),
    }
}

impl Template {
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let syntax = |message: String| TemplateError::Syntax {
            text: text.to_string(),
            message,
        };
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            if start > 0 {
                parts.push(Part::Text(rest[..start].to_string()));
            }
            let after = &rest[start + 2..];
            let end = scan::closing(after).ok_or_else(|| syntax("unclosed `{{`".into()))?;
            parts.push(Part::Expr(Box::new(
                compile(&after[..end]).map_err(syntax)?,
            )));
            rest = &after[end + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_string()));
        }
        Ok(Self { parts })
    }

    /// Whether a value it renders is computed from a secret (a secret variable, or an
    /// environment variable not in `public_env`), and so is a secret too.
    pub fn uses_secret(&self, vars: &Vars) -> bool {
        self.exprs().any(|e| match e {
            Expr::Var(name) => vars.is_secret(name),
            Expr::Env(name) => !vars.is_public_env(name),
            _ => false,
        })
    }

    /// What the expressions use, in order.
    pub fn exprs(&self) -> impl Iterator<Item = &Expr> {
        self.parts.iter().flat_map(|p| match p {
            Part::Expr(e) => e.uses.as_slice(),
            Part::Text(_) => &[],
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
        if let [Part::Expr(expr)] = self.parts.as_slice() {
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
                Part::Expr(expr) => out.push_str(&value_text(&eval(expr, vars, answer)?)),
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
                Part::Expr(expr) => {
                    let value = value_text(&eval(expr, vars, None)?);
                    if expr.raw || i == 0 {
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

fn eval(
    expr: &Expression,
    vars: &Vars,
    answer: Option<&dyn Answer>,
) -> Result<Value, TemplateError> {
    let mut context = serde_json::Map::new();
    let mut env = serde_json::Map::new();
    let mut secret = false;
    for (i, used) in expr.uses.iter().enumerate() {
        match used {
            Expr::Var(name) => {
                let value = vars
                    .get(name)
                    .ok_or_else(|| TemplateError::Undefined(name.clone()))?;
                // A bare variable is taken as it is: no conversion, no rounding.
                if expr.uses.len() == 1 && expr.scanned.source.trim() == name {
                    return Ok(value.clone());
                }
                secret |= vars.is_secret(name);
                context.insert(name.clone(), value.clone());
            }
            Expr::Env(name) => {
                let value =
                    std::env::var(name).map_err(|_| TemplateError::EnvMissing(name.clone()))?;
                secret |= !vars.is_public_env(name);
                env.insert(name.clone(), Value::String(value));
            }
            Expr::Answer(part) => {
                let answer = answer.ok_or_else(|| {
                    TemplateError::Answer(
                        "`answer.…` is read from the answer being judged, so only in `expect`"
                            .into(),
                    )
                })?;
                context.insert(
                    placeholder(i),
                    answer.part(part).map_err(TemplateError::Answer)?,
                );
            }
            Expr::FinishedAt(step) => {
                let at = vars
                    .get(&finished_at_key(step))
                    .ok_or_else(|| TemplateError::NotFinished(step.clone()))?;
                context.insert(placeholder(i), at.clone());
            }
            Expr::Call(_) => {}
        }
    }
    context.insert("env".into(), Value::Object(env));
    let failed = |message: String| TemplateError::Eval {
        text: expr.text.clone(),
        // The message may quote a value computed from the secret (`… is not a time`).
        message: if secret {
            "cannot be computed (the values involved come from a secret and are not shown)".into()
        } else {
            message
        },
    };
    let value = expr
        .compiled
        .eval(minijinja::Value::from(minijinja::value::Serde(&context)))
        .map_err(|e| failed(message(&e)))?;
    if value.kind() == minijinja::value::ValueKind::Bytes {
        return Err(failed(
            "the value is bytes, not text: give it to `| base64`, `| hex` or a digest".into(),
        ));
    }
    let value = serde_json::to_value(&value).map_err(|e| failed(e.to_string()))?;
    // What is computed from a secret (its base64, a part of it) is masked as the secret is.
    if secret {
        vars.derive_secret(value_text(&value));
    }
    Ok(value)
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

/// Whether a JSON value's templates compute anything from a secret.
pub fn json_uses_secret(value: &Value, vars: &Vars) -> bool {
    json_templates(value).is_ok_and(|ts| ts.iter().any(|t| t.uses_secret(vars)))
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
    use crate::{citizen_id, clock};
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
        assert!(Template::parse("{{ a | shout }}").is_err());
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
        let err = Template::parse("{{ today('x') }}")
            .unwrap()
            .render_string(&vars())
            .unwrap_err();
        assert!(err.to_string().contains("in `{{ today('x') }}`"), "{err}");
        let err = Template::parse("{{ today(106751991167301) }}")
            .unwrap()
            .render_string(&vars())
            .unwrap_err();
        assert!(err.to_string().contains("-36500 to 36500"), "{err}");
        let err = Template::parse("{{ rand() }}").unwrap_err();
        assert!(
            err.to_string().contains("unknown function `rand()`"),
            "{err}"
        );
        let err = Template::parse("{{ a b }}").unwrap_err();
        assert!(err.to_string().contains("in template `{{ a b }}`"), "{err}");
        let err = Template::parse("{{ ref - 2 }}")
            .unwrap()
            .render_string(&vars())
            .unwrap_err();
        assert!(matches!(err, TemplateError::Eval { .. }), "{err}");
    }

    #[test]
    fn exprs_name_what_is_used() {
        let t = Template::parse(
            "{{ fee * copies }}-{{ env.HOME }}{{ uuid() }}{{ answer.header('ETag') }}{{ finished_at('submit') | unix }}{{ fee | base64url(pad=false) }}",
        )
        .unwrap();
        let used: Vec<_> = t.exprs().cloned().collect();
        assert_eq!(
            used,
            vec![
                Expr::Var("fee".into()),
                Expr::Var("copies".into()),
                Expr::Env("HOME".into()),
                Expr::Call("uuid".into()),
                Expr::Answer(AnswerPart::Header("ETag".into())),
                Expr::FinishedAt("submit".into()),
                Expr::Var("fee".into()),
            ]
        );
    }

    #[test]
    fn values_keep_their_types_through_arithmetic() {
        let mut v = vars();
        v.set("fee", json!(3000), false);
        v.set("copies", json!(3), false);
        v.set("big", json!(u64::MAX), false);
        let value = |t: &str| Template::parse(t).unwrap().render_value(&v).unwrap();
        assert_eq!(value("{{ fee * copies }}"), json!(9000));
        assert_eq!(value("{{ fee / 4 }}"), json!(750.0));
        assert_eq!(value("{{ fee > 2000 and copies <= 3 }}"), json!(true));
        assert_eq!(value("{{ ref | length }}"), json!(15));
        assert_eq!(value("{{ ref[0:3] }}"), json!("CSG"));
        assert_eq!(value("{{ big }}"), json!(u64::MAX));
        assert_eq!(value("total {{ fee * copies }}"), json!("total 9000"));
    }

    #[test]
    fn values_computed_from_secrets_are_secret() {
        let mut v = Vars::default();
        v.set("key", json!("open sesame"), true);
        v.set("id", json!("abcdef"), false);
        let render = |t: &str| Template::parse(t).unwrap().render_string(&v).unwrap();
        let encoded = render("{{ key | base64 }}");
        let part = render("{{ key[5:] }}xyz");
        render("{{ key | length }}");
        render("{{ id | upper }}");
        let secrets = v.secret_values();
        assert!(secrets.contains(&encoded), "{secrets:?}");
        assert!(
            secrets.contains(&"sesame".to_string()),
            "{part} {secrets:?}"
        );
        // Too short to mask, and not from a secret.
        assert!(!secrets.contains(&"11".to_string()), "{secrets:?}");
        assert!(!secrets.contains(&"ABCDEF".to_string()), "{secrets:?}");
    }
}
