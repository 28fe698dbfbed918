//! A run from start to verdict: signals, the suite, secrets, the mock portal, the target, the
//! plan; then the runner, whose events the consumers take; then the files, on any ending.

use std::io::{IsTerminal, Write};
use std::sync::Arc;

use super::consumers::Consumers;
use super::exit;
use super::history;
use super::options::RunOptions;
use super::setup::{self, Failure};
use super::stop::Stop;
use crate::check::Outcome;
use crate::gate::{self, Verdict};
use crate::http::{TlsOptions, Transport};
use crate::i18n::Lang;
use crate::report::console::Console;
use crate::report::files::OutDir;
use crate::report::stream::StreamWriter;
use crate::results::{RunResults, Selection};
use crate::runner::{self, CaseRef, Events, RequestDefaults, RunContext, skeleton};
use crate::suite::Suite;
use crate::{VERSION, clock};

pub fn execute(options: RunOptions) -> u8 {
    match run(options) {
        Ok(code) => code,
        Err(failure) => {
            crate::complain!("error: {}", failure.message);
            failure.code
        }
    }
}

fn run(options: RunOptions) -> Result<u8, Failure> {
    // The runtime and the signal handlers come first: from here on, any signal ends the run
    // with a verdict and every file written.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::invalid(format!("cannot start the runtime: {e}")))?;
    let mut stop = runtime
        .block_on(async { Stop::listen() })
        .map_err(|e| Failure::invalid(format!("cannot handle signals: {e}")))?;
    // The TLS settings (the platform's trusted roots) load while the suite does.
    let tls = TlsOptions {
        ca_certs: options.ca_cert.clone(),
        client_cert: options.client_cert.clone().zip(options.client_key.clone()),
        insecure: options.insecure,
        preload_roots: options.target.to_ascii_lowercase().starts_with("https:"),
    };
    let max_body_bytes = options.max_body_bytes;
    let transport = std::thread::spawn(move || Transport::new(&tls, max_body_bytes));
    let (suite, checked) = setup::load_checked(&options.suite).map_err(|code| Failure {
        code,
        message: "the suite has problems (above)".into(),
    })?;
    let mut vars = setup::resolve_vars(&suite, &options.vars).map_err(Failure::invalid)?;
    let plan = runner::plan(&suite, &options.cases, &options.tags, options.shard)
        .map_err(Failure::invalid)?;
    let transport = transport
        .join()
        .map_err(|_| Failure::invalid("cannot set up TLS"))?
        .map_err(Failure::invalid)?;
    // The in-process portal's stubs (none with `--portal`: that one is elsewhere).
    let mappings = match &options.portal {
        Some(_) => None,
        None => Some(
            setup::mapping_set(Some(&suite), options.mappings.as_deref()).map_err(|code| {
                Failure {
                    code,
                    message: "the portal's stubs have problems (above)".into(),
                }
            })?,
        ),
    };
    let secrets = setup::secrets(&suite, &checked, &vars, &options).map_err(Failure::invalid)?;
    if let Some(set) = &mappings {
        secrets.add(set.credentials());
    }
    let out = OutDir::prepare(&options.out, secrets.clone()).map_err(|e| Failure {
        code: exit::OUTPUT,
        message: format!(
            "cannot write to `{}`: {e} (--out must be a directory cpc can write)",
            options.out.display()
        ),
    })?;
    let consumers = setup::consumers(&suite, &vars).map_err(Failure::invalid)?;
    secrets.add(
        consumers
            .iter()
            .flat_map(|c| [Some(c.consumer_key.clone()), c.consumer_secret.clone()])
            .flatten(),
    );
    let (portal, admin_token) = setup::start_portal(&options, mappings, consumers, &runtime)?;
    let portal_uri = portal.uri();
    vars.set("portal_url", portal_uri.clone().into(), false);
    // The built-in reference calls back to the portal, so it starts after it.
    let reference =
        setup::start_target(&options, &runtime, &portal_uri).map_err(Failure::invalid)?;
    let target_url = reference
        .as_ref()
        .map_or_else(|| options.target.clone(), |r| r.uri());
    let target_url = reqwest::Url::parse(&target_url).map_err(|e| {
        Failure::invalid(format!(
            "--target `{}`: {e} (a URL, or `reference`)",
            options.target
        ))
    })?;
    vars.set(
        "target",
        target_url.as_str().trim_end_matches('/').into(),
        false,
    );
    let target = setup::shown_url(&target_url);
    let selection = Selection {
        partial: !options.cases.is_empty() || !options.tags.is_empty() || options.shard.is_some(),
        cases: options.cases.clone(),
        tags: options.tags.clone(),
        shard: options.shard,
    };
    let mut results = RunResults::start(&suite, &target, selection, clock::rfc3339(clock::now()));
    crate::cli::apply_report_flags(&options.report, options.lang, &mut results).map_err(
        |message| Failure {
            code: exit::INVALID,
            message,
        },
    )?;
    results.reference_target = reference.is_some();
    results.run = identity(&options, &suite);
    // A complete run is a round of step 10: its number follows the last one of this suite
    // against this target, unless --round says.
    let history = (!results.selection.partial)
        .then(|| history::dir_for(options.history.as_deref(), &options.out, &suite.meta.id))
        .flatten();
    if let Some(dir) = &history {
        history::assign_round(dir, &mut results);
    }
    let (events, mut received) = Events::channel();
    let ctx = Arc::new(RunContext {
        secrets: secrets.clone(),
        transport,
        portal: Some(portal),
        schemas: checked.schemas,
        namespaces: suite.meta.xml_namespaces.0.clone(),
        invariants: runner::prepare_invariants(&suite),
        api: suite.api.clone(),
        defaults: request_defaults(&suite, &options, target_url, &portal_uri),
        vars,
        events,
    });

    let say = |text: &str| {
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(secrets.redactor().text(text).as_bytes());
        let _ = stdout.flush();
    };
    say(&banner(
        &suite,
        plan.len(),
        &target,
        reference.is_some(),
        &portal_uri,
        options.lang,
    ));
    if let Some(token) = &admin_token {
        let label = match options.lang {
            Lang::Th => "โทเค็นผู้ดูแล",
            Lang::En => "admin token",
        };
        say(&format!("  {label} (Authorization: Bearer …): {token}\n"));
    }
    say_alone(&suite, &plan, options.lang, &say);

    let stream = start_stream(&out, &secrets, &results, &suite, &plan)?;
    let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let widths = plan
        .iter()
        .map(|r| unicode_width::UnicodeWidthStr::width(r.get(&suite).1.value.id.value.as_str()));
    let console = Console::new(options.lang, colour, widths);
    let mut consumers = Consumers::new(console, &say, stream, results);

    let suite = Arc::new(suite);
    // A signal during start-up means no case runs: every one is interrupted.
    let signal = match stop.received() {
        Some(signal) => Some(signal),
        None => runtime.block_on(async {
            let handle = runner::start(
                suite.clone(),
                ctx,
                plan.clone(),
                options.jobs as usize,
                options.rerun_failed,
            );
            // Events are taken as many as are waiting at a time, at most once per
            // `EVENT_PAUSE`: one wake-up and one console write for a batch of cases, not one
            // per event.
            let mut batch = Vec::with_capacity(EVENT_BATCH);
            let ended = loop {
                tokio::select! {
                    taken = received.recv_many(&mut batch, EVENT_BATCH) => {
                        let finished = taken == 0
                            || batch.iter().any(|e| matches!(e, runner::Event::RunFinished));
                        for event in batch.drain(..) {
                            consumers.on(event);
                        }
                        if finished {
                            break None;
                        }
                        consumers.flush();
                        // Then a pause: events that come meanwhile wait in the channel
                        // instead of waking this thread one by one (a wake-up costs the
                        // runner's threads a system call and a switch).
                        tokio::time::sleep(EVENT_PAUSE).await;
                    },
                    signal = stop.signalled() => {
                        handle.abort();
                        // Cases that finished before the signal wait in the channel: they
                        // count as finished, not interrupted.
                        while let Ok(event) = received.try_recv() {
                            consumers.on(event);
                        }
                        break Some(signal);
                    }
                }
            };
            consumers.flush();
            ended
        }),
    };
    // Shut down now: the cases still running were aborted with the runner.
    runtime.shutdown_background();
    drop(reference);

    if let Some(signal) = signal {
        say(&format!(
            "\n{} — {}\n",
            signal.name(),
            match options.lang {
                Lang::Th => "หยุดการทดสอบ กรณีที่ยังไม่เสร็จถือว่าถูกขัดจังหวะ",
                Lang::En => "stopping: unfinished cases count as interrupted",
            }
        ));
    }
    let Consumers {
        console,
        mut stream,
        mut results,
        stream_error,
        ..
    } = consumers;
    close(&mut results, &suite, &plan, signal.is_some());
    let ended = stream.end(results.interrupted, results.finished_at.clone());
    let gate = gate::decide(&results);
    let written = stream
        .reader()
        .and_then(|mut reader| out.all(&results, &gate, options.lang, Some(&mut reader)));
    say(&console.summary(&results, &gate));
    if let Err(e) = written {
        return Err(Failure {
            code: exit::OUTPUT,
            message: format!(
                "cannot write the run's files to `{}`: {e}; the verdict above is not on disk",
                out.path().display()
            ),
        });
    }
    if stream_error.is_some() || ended.is_err() {
        crate::complain!(
            "note: results.jsonl could not be written in full during the run; the other files in `{}` were written at its end with every case's outcome, but a passing case whose line is missing from results.jsonl is there without its steps",
            out.path().display()
        );
    }
    if let Some(said) = history
        .as_deref()
        .and_then(|dir| history::keep_round(dir, &results, &gate, options.lang))
    {
        say(&said);
    }
    say(&format!("→ {}\n", out.path().display()));
    Ok(match (signal, gate.verdict) {
        (Some(signal), _) => signal.exit_code(),
        (None, _) if options.shard.is_some() => shard_code(&gate),
        (None, Verdict::Pass) => exit::PASS,
        (None, Verdict::Fail) => exit::FAIL,
    })
}

/// Events taken from the runner at a time, at most.
const EVENT_BATCH: usize = 256;
/// The pause after taking events: a console line or a stream line is at most this late, and a
/// run of 1000 cases with `--jobs 8` switches threads about half as often (BENCHMARKS.md).
const EVENT_PAUSE: std::time::Duration = std::time::Duration::from_millis(1);

/// A shard's gate is partial by nature (the verdict is the merged run's, `cpc merge`), so its
/// exit code says whether its own cases broke a must requirement: a CI job shows red where the
/// failure is.
fn shard_code(gate: &gate::Gate) -> u8 {
    if gate.must_broken() {
        exit::FAIL
    } else {
        exit::PASS
    }
}

fn request_defaults(
    suite: &Suite,
    options: &RunOptions,
    target: reqwest::Url,
    portal_uri: &str,
) -> RequestDefaults {
    RequestDefaults {
        target,
        portal: reqwest::Url::parse(portal_uri).ok(),
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
            .map_or(options.timeout_ms, |t| t.value),
    }
}

/// Cases that change the portal for requests they cannot tell apart run alone: say so.
fn say_alone(suite: &Suite, plan: &[CaseRef], lang: Lang, say: &dyn Fn(&str)) {
    for case_ref in plan.iter().filter(|r| r.alone) {
        let case = &case_ref.get(suite).1.value;
        if let Some(why) = crate::suite::runs_alone(suite, case) {
            let (label, why) = match lang {
                Lang::Th => ("ทดสอบแยกเดี่ยว (ไม่พร้อมกับกรณีอื่น)", why.th),
                Lang::En => ("runs alone (no other case beside it)", why.en),
            };
            say(&format!("  {} {label}: {why}\n", case.id.value));
        }
    }
}

/// Unfinished cases become interrupted, and every case goes in plan (suite) order, so the
/// files are the same whatever order the cases finished in.
fn close(results: &mut RunResults, suite: &Suite, plan: &[CaseRef], interrupted: bool) {
    let order: std::collections::HashMap<&str, usize> = plan
        .iter()
        .enumerate()
        .map(|(i, r)| (r.get(suite).1.value.id.value.as_str(), i))
        .collect();
    let finished: std::collections::HashSet<String> =
        results.cases.iter().map(|c| c.id.clone()).collect();
    for case_ref in plan {
        let (file, case) = case_ref.get(suite);
        if !finished.contains(&case.value.id.value) {
            results
                .cases
                .push(skeleton(file, case, Outcome::Interrupted));
        }
    }
    results
        .cases
        .sort_by_key(|c| order.get(c.id.as_str()).copied().unwrap_or(usize::MAX));
    results.interrupted = interrupted;
    results.finished_at = Some(clock::rfc3339(clock::now()));
}

/// The stream starts with every planned case as not finished: a run killed at any moment can be
/// rebuilt from it.
fn start_stream(
    out: &OutDir,
    secrets: &crate::redact::Secrets,
    results: &RunResults,
    suite: &crate::suite::Suite,
    plan: &[runner::CaseRef],
) -> Result<StreamWriter, Failure> {
    let planned = RunResults {
        cases: plan
            .iter()
            .map(|r| {
                let (file, case) = r.get(suite);
                skeleton(file, case, Outcome::Interrupted)
            })
            .collect(),
        ..results.clone()
    };
    StreamWriter::create(out.path(), secrets.clone())
        .and_then(|mut stream| stream.start(&planned).map(|()| stream))
        .map_err(|e| Failure {
            code: exit::OUTPUT,
            message: format!("cannot write to `{}`: {e}", out.path().display()),
        })
}

/// The first lines of the console: the suite, how many cases, the target and the portal (its
/// password masked; the URL otherwise as given, no `/` added).
fn banner(
    suite: &crate::suite::Suite,
    cases: usize,
    target: &str,
    reference: bool,
    portal_uri: &str,
    lang: Lang,
) -> String {
    let target = match (reference, lang) {
        (true, Lang::Th) => format!("{target} (ระบบอ้างอิงในตัว)"),
        (true, Lang::En) => format!("{target} (built-in reference e-service)"),
        (false, _) => target.to_string(),
    };
    let portal = reqwest::Url::parse(portal_uri).map_or_else(
        |_| portal_uri.to_string(),
        |u| {
            let shown = setup::shown_url(&u);
            match portal_uri.ends_with('/') {
                true => shown,
                false => shown.trim_end_matches('/').to_string(),
            }
        },
    );
    let id = &suite.meta.id;
    match lang {
        Lang::Th => format!(
            "cpc {VERSION} · {id} ({}) · {cases} กรณี → {target}\nPortal จำลอง: {portal}\n",
            suite.meta.name_th
        ),
        Lang::En => format!(
            "cpc {VERSION} · {id} ({}) · {cases} case(s) → {target}\nmock portal: {portal}\n",
            suite.meta.name_en.as_deref().unwrap_or(&suite.meta.name_th)
        ),
    }
}

/// The run's id and the options that change what it finds, for `cpc merge` to compare.
fn identity(options: &RunOptions, suite: &crate::suite::Suite) -> crate::results::RunIdentity {
    let mut given = std::collections::BTreeMap::from([
        ("timeout_ms".to_string(), options.timeout_ms.to_string()),
        (
            "max_body_bytes".to_string(),
            options.max_body_bytes.to_string(),
        ),
        ("rerun_failed".to_string(), options.rerun_failed.to_string()),
    ]);
    for (name, value) in &options.vars {
        let secret = suite
            .meta
            .variables
            .iter()
            .any(|(k, v)| &k.value == name && v.secret);
        let shown = if secret {
            crate::redact::MASK.to_string()
        } else {
            value.clone()
        };
        given.insert(format!("var {name}"), shown);
    }
    crate::results::RunIdentity {
        id: options
            .run_id
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
        fault: options.fault.map(|f| f.name()),
        options: given,
    }
}
