//! `cpc run`: load, run the cases concurrently, show each as it finishes, write the files.

use std::io::{IsTerminal, Write};
use std::sync::Arc;

use super::args::RunArgs;
use super::stop::Stop;
use super::validate::load_checked;
use super::{EXIT_FAIL, EXIT_INVALID, EXIT_OUTPUT, EXIT_PASS};
use crate::check::Outcome;
use crate::gate::{self, Verdict};
use crate::http::{TlsOptions, Transport};
use crate::i18n::Lang;
use crate::portal::{MockPortal, PortalLimits, PortalLink, PortalSetup};
use crate::redact::{MIN_SECRET_LEN, Redactor, Secrets};
use crate::reference::{Fault, Reference};
use crate::report::console::Console;
use crate::report::files::OutDir;
use crate::results::{RunResults, Selection};
use crate::runner::{self, CaseRef, RequestDefaults, RunContext, skeleton};
use crate::suite::Suite;
use crate::vars::Vars;
use crate::{VERSION, clock};

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
            .map(|(_, v)| v.clone());
        let from_env = decl.env.as_ref().and_then(|e| std::env::var(e).ok());
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
        vars.set(name, value.into(), decl.secret);
    }
    Ok(vars)
}

pub fn run(args: RunArgs) -> u8 {
    let fail = |message: String| {
        eprintln!("error: {message}");
        EXIT_INVALID
    };
    // The runtime and the signal handlers come first: from here on, any signal ends the run
    // with a verdict and every file written.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(format!("cannot start the runtime: {e}")),
    };
    let mut stop = match runtime.block_on(async { Stop::listen() }) {
        Ok(stop) => stop,
        Err(e) => return fail(format!("cannot handle signals: {e}")),
    };
    let (suite, checked) = match load_checked(&args.suite) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let mut vars = match resolve_vars(&suite, &args.vars) {
        Ok(vars) => vars,
        Err(e) => return fail(e),
    };
    let plan = match runner::plan(&suite, &args.cases, &args.tags) {
        Ok(plan) => plan,
        Err(e) => return fail(e),
    };
    let tls = TlsOptions {
        ca_certs: args.ca_cert.clone(),
        client_cert: args.client_cert.clone().zip(args.client_key.clone()),
        insecure: args.insecure,
    };
    let transport = match Transport::new(&tls, args.max_body_bytes) {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    // The in-process portal's stubs (none with `--portal`: that one is elsewhere).
    let mappings = match &args.portal {
        Some(_) => None,
        None => match super::mock::mapping_set(Some(&suite), args.mappings.as_deref()) {
            Ok(set) => Some(set),
            Err(code) => return code,
        },
    };
    let secrets = match run_secrets(&suite, &checked, &vars, &args) {
        Ok(secrets) => secrets,
        Err(e) => return fail(e),
    };
    if let Some(set) = &mappings {
        secrets.add(set.credentials());
    }
    let out = match OutDir::prepare(&args.out, secrets.clone()) {
        Ok(out) => out,
        Err(e) => {
            eprintln!(
                "error: cannot write to `{}`: {e} (--out must be a directory cpc can write)",
                args.out.display()
            );
            return EXIT_OUTPUT;
        }
    };
    let consumers = match super::mock::consumers(&suite, &vars) {
        Ok(consumers) => consumers,
        Err(e) => return fail(e),
    };
    secrets.add(
        consumers
            .iter()
            .flat_map(|c| [Some(c.consumer_key.clone()), c.consumer_secret.clone()])
            .flatten(),
    );
    let (portal, admin_token) = match start_portal(&args, mappings, consumers, &runtime) {
        Ok(started) => started,
        Err(code) => return code,
    };
    let portal_uri = portal.uri();
    vars.set("portal_url", portal_uri.clone().into(), false);
    let selection = Selection {
        partial: !args.cases.is_empty() || !args.tags.is_empty(),
        cases: args.cases.clone(),
        tags: args.tags.clone(),
    };
    // The built-in reference calls back to the portal, so it starts after it.
    let _reference = match start_target(&args, &runtime, &portal_uri) {
        Ok(started) => started,
        Err(e) => return fail(e),
    };
    let (target_url, reference) = match &_reference {
        Some(r) => (r.uri(), true),
        None => (args.target.clone(), false),
    };
    let target_url = match reqwest::Url::parse(&target_url) {
        Ok(url) => url,
        Err(e) => {
            return fail(format!(
                "--target `{}`: {e} (a URL, or `reference`)",
                args.target
            ));
        }
    };
    vars.set(
        "target",
        target_url.as_str().trim_end_matches('/').into(),
        false,
    );
    let target = shown_url(&target_url);
    let shown_target = if reference {
        format!("{target} (ระบบอ้างอิงในตัว / built-in reference e-service)")
    } else {
        target.clone()
    };
    let mut results = RunResults::start(&suite, &target, selection, clock::rfc3339(clock::now()));
    super::report::apply(&args.report, args.lang, &mut results);
    results.reference_target = reference;
    let defaults = RequestDefaults {
        target: target_url.clone(),
        portal: reqwest::Url::parse(&portal_uri).ok(),
        headers: suite
            .meta
            .defaults
            .headers
            .iter()
            .map(|(k, v)| (k.value.clone(), v.value.clone()))
            .collect(),
        timeout_ms: suite
            .meta
            .defaults
            .timeout_ms
            .as_ref()
            .map_or(args.timeout_ms, |t| t.value),
    };
    let ctx = Arc::new(RunContext {
        secrets: secrets.clone(),
        transport,
        portal: Some(portal),
        schemas: checked.schemas,
        namespaces: suite.meta.xml_namespaces.0.clone(),
        invariants: runner::prepare_invariants(&suite),
        defaults,
        vars,
    });
    let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let ids = plan
        .iter()
        .map(|r| unicode_width::UnicodeWidthStr::width(r.get(&suite).1.value.id.value.as_str()));
    let console = Console::new(args.lang, colour, ids);
    let say = |text: &str| {
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(secrets.redactor().text(text).as_bytes());
        let _ = stdout.flush();
    };
    say(&format!(
        "cpc {VERSION} · {} ({}) · {} case(s) → {shown_target}\nPortal จำลอง (mock portal): {}\n",
        suite.meta.id,
        suite.meta.name_th,
        plan.len(),
        portal_uri
    ));
    if let Some(token) = &admin_token {
        say(&format!(
            "  admin token (Authorization: Bearer …): {token}\n"
        ));
    }
    // Cases that change the portal for requests they cannot tell apart run alone: say so.
    for case_ref in plan.iter().filter(|r| r.alone) {
        let case = &case_ref.get(&suite).1.value;
        if let Some(why) = crate::suite::runs_alone(&suite, case) {
            let (label, why) = match args.lang {
                Lang::Th => ("ทดสอบแยกเดี่ยว (ไม่พร้อมกับกรณีอื่น)", why.th),
                Lang::En => ("runs alone (no other case beside it)", why.en),
            };
            say(&format!("  {} {label}: {why}\n", case.id.value));
        }
    }

    let suite = Arc::new(suite);
    let mut write_failed = false;
    // A signal during start-up means no case runs: every one is interrupted.
    let signal = match stop.received() {
        Some(signal) => Some(signal),
        None => runtime.block_on(async {
            let (handle, mut finished) =
                runner::start(suite.clone(), ctx, plan.clone(), args.jobs);
            loop {
                tokio::select! {
                    case = finished.recv() => match case {
                        Some(case) => {
                            say(&console.case(&case));
                            results.cases.push(case);
                            if let Err(e) = out.results(&results) {
                                if !write_failed {
                                    eprintln!("error: cannot write to `{}`: {e}", out.path().display());
                                }
                                write_failed = true;
                            }
                        }
                        None => break None,
                    },
                    signal = stop.signalled() => {
                        handle.abort();
                        break Some(signal);
                    }
                }
            }
        }),
    };
    // Shut down now: the cases still running were aborted with the runner.
    runtime.shutdown_background();

    if let Some(signal) = signal {
        say(&format!(
            "\n{} — {}\n",
            signal.name(),
            match args.lang {
                Lang::Th => "หยุดการทดสอบ กรณีที่ยังไม่เสร็จถือว่าถูกขัดจังหวะ",
                Lang::En => "stopping: unfinished cases count as interrupted",
            }
        ));
    }
    close(&mut results, &suite, &plan, signal.is_some());
    let gate = gate::decide(&results);
    let written = out.all(&results, &gate, args.lang);
    say(&console.summary(&results, &gate));
    match written {
        Ok(()) => {
            if write_failed {
                eprintln!(
                    "note: results.json could not be rewritten during the run; every file in `{}` was written at its end and is complete",
                    out.path().display()
                );
            }
            say(&format!("→ {}\n", out.path().display()));
            match (signal, gate.verdict) {
                (Some(signal), _) => signal.exit_code(),
                (None, Verdict::Pass) => EXIT_PASS,
                (None, Verdict::Fail) => EXIT_FAIL,
            }
        }
        Err(e) => {
            eprintln!(
                "error: cannot write the run's files to `{}`: {e}; the verdict above is not on disk",
                out.path().display()
            );
            EXIT_OUTPUT
        }
    }
}

/// Every secret known before the first case: declared secret variables, credentials written in
/// the suite and the portal's stubs, `env.NAME` values the suite does not call public, and the
/// password of `--target`. Each must be long enough to mask.
fn run_secrets(
    suite: &Suite,
    checked: &crate::suite::Checked,
    vars: &Vars,
    args: &RunArgs,
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
    if let Ok(url) = reqwest::Url::parse(&args.target)
        && let Some(password) = url.password()
    {
        let password = percent_encoding::percent_decode_str(password)
            .decode_utf8_lossy()
            .into_owned();
        if password.chars().count() < MIN_SECRET_LEN {
            return Err(too_short("the password in --target".into(), &password));
        }
        all.push(password);
    }
    if let Some(token) = &args.portal_admin_token {
        all.push(token.clone());
    }
    Ok(Secrets::new(
        Redactor::new(all).protecting([suite.digest.clone()]),
    ))
}

/// A URL as it may be shown: no user name or password.
fn shown_url(url: &reqwest::Url) -> String {
    let mut shown = url.clone();
    if !shown.username().is_empty() {
        let _ = shown.set_username("***");
    }
    if shown.password().is_some() {
        let _ = shown.set_password(Some("***"));
    }
    shown.to_string()
}

/// Unfinished cases become interrupted, and every case goes in plan (suite) order, so the
/// files are the same whatever order the cases finished in.
fn close(results: &mut RunResults, suite: &Suite, plan: &[CaseRef], interrupted: bool) {
    for case_ref in plan {
        let (file, case) = case_ref.get(suite);
        if results.case(&case.value.id.value).is_none() {
            results
                .cases
                .push(skeleton(file, case, Outcome::Interrupted));
        }
    }
    let order: Vec<&str> = plan
        .iter()
        .map(|r| r.get(suite).1.value.id.value.as_str())
        .collect();
    results
        .cases
        .sort_by_key(|c| order.iter().position(|id| *id == c.id));
    results.interrupted = interrupted;
    results.finished_at = Some(clock::rfc3339(clock::now()));
}

/// The in-process mock portal on `--portal-addr`, or a `cpc mock` elsewhere (`--portal URL`),
/// checked to answer before any case runs. Gives the admin token to print, if one was made.
fn start_portal(
    args: &RunArgs,
    mappings: Option<crate::portal::MappingSet>,
    consumers: Vec<crate::portal::Consumer>,
    runtime: &tokio::runtime::Runtime,
) -> Result<(PortalLink, Option<String>), u8> {
    let fail = |message: String| {
        eprintln!("error: {message}");
        EXIT_INVALID
    };
    if let Some(url) = &args.portal {
        let link =
            PortalLink::remote(url.as_str(), args.portal_admin_token.clone()).map_err(fail)?;
        runtime.block_on(link.next_seq()).map_err(fail)?;
        return Ok((link, None));
    }
    let set = mappings.unwrap_or_default();
    let listener = std::net::TcpListener::bind(args.portal_addr).map_err(|e| {
        fail(format!(
            "cannot start the mock portal on {}: {e}",
            args.portal_addr
        ))
    })?;
    // Off loopback the journal (tokens, personal data) is guarded, as with `cpc mock`.
    let admin_token =
        (!args.portal_addr.ip().is_loopback()).then(|| uuid::Uuid::new_v4().simple().to_string());
    let setup = PortalSetup {
        set,
        consumers,
        admin_token: admin_token.clone(),
        limits: PortalLimits::default(),
        on_request: None,
        log: super::mock::stderr_log(),
    };
    let portal = runtime
        .block_on(async { MockPortal::start(listener, setup) })
        .map_err(|e| fail(format!("cannot start the mock portal: {e}")))?;
    Ok((PortalLink::Local(Arc::new(portal)), admin_token))
}

/// `--target reference` starts the built-in reference e-service; a URL starts nothing.
fn start_target(
    args: &RunArgs,
    runtime: &tokio::runtime::Runtime,
    portal_uri: &str,
) -> Result<Option<Reference>, String> {
    match (args.target.as_str(), args.fault) {
        ("reference", fault) => runtime
            .block_on(async { Reference::start(fault, portal_uri, super::mock::stderr_log()) })
            .map(Some)
            .map_err(|e| format!("cannot start the reference e-service: {e}")),
        (_, Some(_)) => Err("--fault works with --target reference only".into()),
        _ => Ok(None),
    }
}

/// `cpc faults`: one line per switch, with the requirements it breaks.
pub fn list_faults() -> u8 {
    use clap::ValueEnum;
    for fault in Fault::all() {
        let help = fault
            .to_possible_value()
            .and_then(|v| v.get_help().map(ToString::to_string))
            .unwrap_or_default();
        super::say(format_args!(
            "{:<24} {:<40} {help}",
            fault.name(),
            fault.breaks().join(", ")
        ));
    }
    EXIT_PASS
}
