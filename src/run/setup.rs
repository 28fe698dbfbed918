//! Setting a run up: its variables and secrets, the mock portal, the target.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use super::options::RunOptions;
use crate::diagnostic::Diagnostic;
use crate::portal::{Consumer, MappingSet, MockPortal, PortalLimits, PortalLink, PortalSetup};
use crate::redact::{MIN_SECRET_LEN, Redactor, Secrets};
use crate::reference::Reference;
use crate::serve::Log;
use crate::suite::{self, Checked, Suite};
use crate::template::Template;
use crate::vars::Vars;

/// Why a run could not start: the message, and the exit code.
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn invalid(message: impl Into<String>) -> Self {
        Self {
            code: super::exit::INVALID,
            message: message.into(),
        }
    }
}

/// Prints problems rustc-style to stderr, each with its source line when it has a place.
pub fn print_problems(problems: &[Diagnostic]) {
    let mut err = std::io::stderr().lock();
    // Each file read once, however many problems it has.
    let mut sources: std::collections::HashMap<&Path, Option<String>> = Default::default();
    for d in problems {
        let source = d.place.as_ref().and_then(|p| {
            sources
                .entry(p.file.as_path())
                .or_insert_with(|| {
                    crate::read::bounded(&p.file, crate::read::MAX_TEXT_FILE)
                        .ok()
                        .and_then(|b| String::from_utf8(b).ok())
                })
                .as_deref()
        });
        let _ = writeln!(err, "{}", d.render(source));
    }
    let _ = writeln!(err, "{} problem(s) found", problems.len());
}

/// Loads and validates; on any problem prints them all (in file and line order) and gives
/// the exit code.
pub fn load_checked(dir: &Path) -> Result<(Suite, Checked), u8> {
    let (suite, mut problems, complete) = match suite::load(dir) {
        Ok(suite) => (Some(suite), Vec::new(), true),
        Err(e) => (e.partial.map(|s| *s), e.problems, e.cases_complete),
    };
    let checked = suite.as_ref().map(|s| {
        suite::validate(s, complete)
            .map_err(|more| problems.extend(more))
            .ok()
    });
    // The suite's own portal stubs, with their places.
    if let Some(portal) = suite.as_ref().and_then(Suite::portal_dir)
        && let Err(more) = crate::portal::MappingSet::default().with_dir(&portal)
    {
        problems.extend(more);
    }
    match (suite, checked) {
        (Some(suite), Some(Some(checked))) if problems.is_empty() => Ok((suite, checked)),
        _ => {
            problems.sort_by_key(|d| d.place.as_ref().map(|p| (p.file.clone(), p.line, p.column)));
            print_problems(&problems);
            Err(super::exit::INVALID)
        }
    }
}

/// Suite defaults, then the variable's environment variable, then `--var`.
pub fn resolve_vars(suite: &Suite, given: &[(String, String)]) -> Result<Vars, String> {
    let mut vars = Vars::default();
    for (name, _) in given {
        let declared = suite.meta.variables.iter().any(|(k, _)| &k.value == name);
        if !declared {
            return Err(format!(
                "--var {name}: the suite declares no variable `{name}`"
            ));
        }
    }
    for (name, decl) in suite.meta.variables.iter() {
        let name = &name.value;
        let from_cli = given
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| typed(name, v, decl))
            .transpose()?;
        let from_env = decl
            .env
            .as_ref()
            .and_then(|e| std::env::var(e).ok())
            .map(|v| typed(name, &v, decl))
            .transpose()?;
        let value = from_cli
            .or(from_env)
            .or_else(|| decl.default.clone())
            .ok_or_else(|| {
                let env = decl
                    .env
                    .as_ref()
                    .map(|e| format!(" or set {e}"))
                    .unwrap_or_default();
                format!("variable `{name}` has no value: give --var {name}=…{env}")
            })?;
        vars.set(name, value, decl.secret);
    }
    vars.set_public_env(suite.meta.public_env.iter().map(|n| n.value.clone()));
    Ok(vars)
}

/// A value given as text (`--var`, the environment) takes the type of the variable's default:
/// `fee: 3000` stays a number when `--var fee=3500` replaces it.
fn typed(name: &str, text: &str, decl: &suite::Variable) -> Result<Value, String> {
    let parsed = serde_json::from_str::<Value>(text.trim()).ok();
    let kind = match (decl.default.as_ref(), parsed) {
        (Some(Value::Number(_)), Some(v @ Value::Number(_)))
        | (Some(Value::Bool(_)), Some(v @ Value::Bool(_))) => return Ok(v),
        (Some(Value::Number(_)), _) => "a number",
        (Some(Value::Bool(_)), _) => "true or false",
        _ => return Ok(Value::String(text.to_string())),
    };
    // A secret's value is not repeated.
    let shown = if decl.secret {
        "the value given".to_string()
    } else {
        format!("`{}`", crate::redact::cut(text, 40))
    };
    Err(format!(
        "variable `{name}`: {shown} is not {kind}, as its default is"
    ))
}

/// Every secret known before the first case: declared secret variables, credentials written in
/// the suite and the portal's stubs, `env.NAME` values the suite does not call public, and the
/// password of `--target`. Each must be long enough to mask.
pub fn secrets(
    suite: &Suite,
    checked: &Checked,
    vars: &Vars,
    options: &RunOptions,
) -> Result<Secrets, String> {
    let too_short = |what: String, value: &str| {
        format!(
            "{what} is {} characters long: cpc masks secrets of at least {MIN_SECRET_LEN} characters and cannot keep a shorter one out of the outputs",
            value.chars().count()
        )
    };
    let mut all: Vec<String> = Vec::new();
    for (name, decl) in suite.meta.variables.iter() {
        if let Some(value) = vars.get(&name.value).map(crate::vars::value_text)
            && decl.secret
        {
            if value.chars().count() < MIN_SECRET_LEN {
                return Err(too_short(format!("the secret `{}`", name.value), &value));
            }
            all.push(value);
        }
    }
    all.extend(checked.credentials.iter().cloned());
    let public: Vec<&str> = suite
        .meta
        .public_env
        .iter()
        .map(|n| n.value.as_str())
        .collect();
    for name in checked.env.iter().filter(|n| !public.contains(&n.as_str())) {
        if let Ok(value) = std::env::var(name) {
            if value.chars().count() < MIN_SECRET_LEN {
                return Err(too_short(
                    format!(
                        "the environment variable {name} (used as {{{{ env.{name} }}}}, not in public_env)"
                    ),
                    &value,
                ));
            }
            all.push(value);
        }
    }
    let urls = [
        ("--target", reqwest::Url::parse(&options.target).ok()),
        ("--portal", options.portal.clone()),
    ];
    for (option, url) in urls {
        if let Some(password) = url.as_ref().and_then(|u| u.password()) {
            let password = percent_encoding::percent_decode_str(password)
                .decode_utf8_lossy()
                .into_owned();
            if password.chars().count() < MIN_SECRET_LEN {
                return Err(too_short(format!("the password in {option}"), &password));
            }
            all.push(password);
        }
    }
    if let Some(token) = &options.portal_admin_token {
        all.push(token.clone());
    }
    Ok(Secrets::new(
        Redactor::new(all).protecting(
            std::iter::once(suite.digest.clone())
                .chain(suite.proposal.as_ref().map(|p| p.digest.clone())),
        ),
    ))
}

/// A URL as it may be shown: no user name or password.
pub fn shown_url(url: &reqwest::Url) -> String {
    let mut shown = url.clone();
    if !shown.username().is_empty() {
        let _ = shown.set_username("***");
    }
    if shown.password().is_some() {
        let _ = shown.set_password(Some("***"));
    }
    shown.to_string()
}

/// The bundled stubs, then the suite's own (`portal/` in the suite), then `--mappings`, each
/// replacing stubs of the same name; problems are printed and give exit code 2.
pub fn mapping_set(suite: Option<&Suite>, extra: Option<&Path>) -> Result<MappingSet, u8> {
    let mut set = MappingSet::bundled();
    if let Some(dir) = suite.and_then(Suite::portal_dir) {
        set = set.and_then(|s| s.with_dir(&dir));
    }
    if let Some(dir) = extra {
        set = set.and_then(|s| s.with_dir(dir));
    }
    set.map_err(|problems| {
        print_problems(&problems);
        super::exit::INVALID
    })
}

/// The consumers a suite registers with the portal's gateway, their templates rendered.
pub fn consumers(suite: &Suite, vars: &Vars) -> Result<Vec<Consumer>, String> {
    let render = |text: &str| {
        Template::parse(text)
            .and_then(|t| t.render_string(vars))
            .map_err(|e| format!("suite.yaml portal.consumers: {e}"))
    };
    suite
        .meta
        .portal
        .consumers
        .iter()
        .map(|c| {
            let c = &c.value;
            Ok(Consumer {
                agent_id: c.agent_id.as_deref().map(render).transpose()?,
                consumer_key: render(&c.consumer_key)?,
                consumer_secret: c.consumer_secret.as_deref().map(render).transpose()?,
            })
        })
        .collect()
}

/// Where the servers say what goes wrong outside any request (accept errors): stderr.
pub fn stderr_log() -> Log {
    Arc::new(|line: &str| {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "cpc: {line}");
    })
}

/// The in-process mock portal on `--portal-addr`, or a `cpc mock` elsewhere (`--portal URL`),
/// checked to answer before any case runs. Gives the admin token to print, if one was made.
pub fn start_portal(
    options: &RunOptions,
    mappings: Option<MappingSet>,
    consumers: Vec<Consumer>,
    runtime: &tokio::runtime::Runtime,
) -> Result<(PortalLink, Option<String>), Failure> {
    if let Some(url) = &options.portal {
        let link = PortalLink::remote(url.as_str(), options.portal_admin_token.clone())
            .map_err(Failure::invalid)?;
        runtime
            .block_on(link.next_seq())
            .map_err(Failure::invalid)?;
        return Ok((link, None));
    }
    let listener = std::net::TcpListener::bind(options.portal_addr).map_err(|e| {
        Failure::invalid(format!(
            "cannot start the mock portal on {}: {e}",
            options.portal_addr
        ))
    })?;
    // Off loopback the journal (tokens, personal data) is guarded, as with `cpc mock`.
    let admin_token = (!options.portal_addr.ip().is_loopback())
        .then(|| uuid::Uuid::new_v4().simple().to_string());
    let setup = PortalSetup {
        set: mappings.unwrap_or_default(),
        consumers,
        admin_token: admin_token.clone(),
        limits: PortalLimits::default(),
        on_request: None,
        log: stderr_log(),
    };
    let portal = runtime
        .block_on(async { MockPortal::start(listener, setup) })
        .map_err(|e| Failure::invalid(format!("cannot start the mock portal: {e}")))?;
    Ok((PortalLink::Local(Arc::new(portal)), admin_token))
}

/// `--target reference` starts the built-in reference e-service; a URL starts nothing.
pub fn start_target(
    options: &RunOptions,
    runtime: &tokio::runtime::Runtime,
    portal_uri: &str,
) -> Result<Option<Reference>, String> {
    match (options.target.as_str(), options.fault) {
        ("reference", fault) => runtime
            .block_on(async { Reference::start(fault, portal_uri, stderr_log()) })
            .map(Some)
            .map_err(|e| format!("cannot start the reference e-service: {e}")),
        (_, Some(_)) => Err("--fault works with --target reference only".into()),
        _ => Ok(None),
    }
}
