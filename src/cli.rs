//! The command line: `cpc validate` and `cpc run`. Exit codes: 0 the gate passed, 1 it failed,
//! 2 the suite or the command line is invalid (or the run could not start).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};

use crate::check::Outcome;
use crate::diagnostic::Diagnostic;
use crate::gate::Verdict;
use crate::http::Transport;
use crate::i18n::Lang;
use crate::redact::Redactor;
use crate::report::console::Console;
use crate::report::files::OutDir;
use crate::results::{RunResults, Selection};
use crate::runner::{self, RequestDefaults, RunContext, skeleton};
use crate::suite::{self, Suite};
use crate::vars::Vars;
use crate::{VERSION, clock};

/// The gate passed.
pub const EXIT_PASS: u8 = 0;
/// The gate failed (or the run was partial or interrupted).
pub const EXIT_FAIL: u8 = 1;
/// The suite or the command line is invalid, or the run could not start.
pub const EXIT_INVALID: u8 = 2;

/// Variables every suite has without declaring them.
pub const BUILTIN_VARS: &[&str] = &["target"];

#[derive(Parser)]
#[command(
    name = "cpc",
    version,
    about = "Citizen Portal conformance harness (step 10 of onboarding)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a suite without touching the network; exit 0 when clean, 2 with every problem.
    Validate {
        /// The suite directory (holding suite.yaml, requirements.yaml, cases/, schemas/).
        suite: PathBuf,
    },
    /// Run a suite against a target and write results.json, junit.xml and gate.json.
    Run(Box<RunArgs>),
}

#[derive(Args)]
struct RunArgs {
    /// The suite directory.
    suite: PathBuf,
    /// Base URL of the agency's e-Service under test.
    #[arg(long)]
    target: reqwest::Url,
    /// Where to write results.json, junit.xml and gate.json (created if missing).
    #[arg(long, default_value = "cpc-out")]
    out: PathBuf,
    /// Set a suite variable: --var name=value (repeatable; overrides defaults and env).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    vars: Vec<(String, String)>,
    /// How many cases run at once.
    #[arg(long, default_value_t = 8)]
    jobs: usize,
    /// Run only this case (repeatable). A partial run never passes the gate.
    #[arg(long = "case", value_name = "ID")]
    cases: Vec<String>,
    /// Run only cases with this tag (repeatable). A partial run never passes the gate.
    #[arg(long = "tag", value_name = "TAG")]
    tags: Vec<String>,
    /// Timeout of each request, unless the suite or step says otherwise.
    #[arg(long, default_value_t = 10_000)]
    timeout_ms: u64,
    /// Largest response body read; a larger one is an error (could not evaluate).
    #[arg(long, default_value_t = 10 * 1024 * 1024)]
    max_body_bytes: u64,
    /// Language of the console and JUnit.
    #[arg(long, value_enum, default_value_t = Lang::Th)]
    lang: Lang,
    /// Accept invalid TLS certificates (self-signed test servers only).
    #[arg(long)]
    insecure: bool,
}

fn parse_var(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.trim().to_string(), v.to_string()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("`{s}` is not NAME=VALUE"))
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Validate { suite } => validate(&suite),
        Command::Run(args) => run(*args),
    };
    ExitCode::from(code)
}

/// Prints problems rustc-style to stderr, each with its source line when it has a place.
fn print_problems(problems: &[Diagnostic]) {
    let mut err = std::io::stderr().lock();
    for d in problems {
        let source = d
            .place
            .as_ref()
            .and_then(|p| std::fs::read_to_string(&p.file).ok());
        let _ = writeln!(err, "{}", d.render(source.as_deref()));
    }
    let _ = writeln!(err, "{} problem(s) found", problems.len());
}

/// Loads and validates; on any problem prints them all (in file and line order) and gives
/// the exit code.
fn load_checked(dir: &Path) -> Result<(Suite, crate::check::Schemas), u8> {
    let (suite, mut problems, complete) = match suite::load(dir) {
        Ok(suite) => (Some(suite), Vec::new(), true),
        Err(e) => (e.partial.map(|s| *s), e.problems, e.cases_complete),
    };
    let schemas = suite.as_ref().map(|s| {
        suite::validate(s, complete)
            .map_err(|more| problems.extend(more))
            .ok()
    });
    match (suite, schemas) {
        (Some(suite), Some(Some(schemas))) if problems.is_empty() => Ok((suite, schemas)),
        _ => {
            problems.sort_by_key(|d| d.place.as_ref().map(|p| (p.file.clone(), p.line, p.column)));
            print_problems(&problems);
            Err(EXIT_INVALID)
        }
    }
}

fn validate(dir: &Path) -> u8 {
    match load_checked(dir) {
        Ok((suite, _)) => {
            let cases = suite.cases().count();
            println!(
                "{}: {} requirement(s), {} case(s) — OK",
                dir.display(),
                suite.requirements.len(),
                cases
            );
            EXIT_PASS
        }
        Err(code) => code,
    }
}

/// Suite defaults, then the variable's environment variable, then `--var`.
fn resolve_vars(suite: &Suite, args: &RunArgs) -> Result<Vars, String> {
    let mut vars = Vars::default();
    vars.set(
        "target",
        args.target.as_str().trim_end_matches('/').into(),
        false,
    );
    for (name, _) in &args.vars {
        let declared = suite.meta.variables.iter().any(|(k, _)| &k.value == name);
        if !declared {
            return Err(format!(
                "--var {name}: the suite declares no variable `{name}`"
            ));
        }
    }
    for (name, decl) in suite.meta.variables.iter() {
        let name = &name.value;
        let from_cli = args
            .vars
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

fn run(args: RunArgs) -> u8 {
    let (suite, schemas) = match load_checked(&args.suite) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let fail = |message: String| {
        eprintln!("error: {message}");
        EXIT_INVALID
    };
    let vars = match resolve_vars(&suite, &args) {
        Ok(vars) => vars,
        Err(e) => return fail(e),
    };
    let plan = match runner::plan(&suite, &args.cases, &args.tags) {
        Ok(plan) => plan,
        Err(e) => return fail(e),
    };
    let transport = match Transport::new(args.insecure, args.max_body_bytes) {
        Ok(t) => t,
        Err(e) => return fail(format!("cannot set up HTTP: {e}")),
    };
    let redactor = Redactor::new(vars.secret_values());
    let out = match OutDir::create(&args.out, redactor.clone()) {
        Ok(out) => out,
        Err(e) => return fail(format!("cannot create `{}`: {e}", args.out.display())),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(format!("cannot start the runtime: {e}")),
    };
    let selection = Selection {
        partial: !args.cases.is_empty() || !args.tags.is_empty(),
        cases: args.cases.clone(),
        tags: args.tags.clone(),
    };
    let target = redactor.text(args.target.as_str());
    let mut results = RunResults::start(&suite, &target, selection, clock::rfc3339(clock::now()));
    let defaults = RequestDefaults {
        target: args.target.clone(),
        headers: suite.meta.defaults.headers.0.clone(),
        timeout_ms: suite.meta.defaults.timeout_ms.unwrap_or(args.timeout_ms),
    };
    let ctx = Arc::new(RunContext {
        transport,
        schemas,
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
        let _ = stdout.write_all(redactor.text(text).as_bytes());
        let _ = stdout.flush();
    };
    say(&format!(
        "cpc {VERSION} · {} ({}) · {} case(s) → {target}\n",
        suite.meta.id,
        suite.meta.name_th,
        plan.len()
    ));

    let suite = Arc::new(suite);
    let interrupted = runtime.block_on(async {
        let (handle, mut finished) = runner::start(suite.clone(), ctx, plan.clone(), args.jobs);
        let mut ctrl_c = std::pin::pin!(tokio::signal::ctrl_c());
        loop {
            tokio::select! {
                case = finished.recv() => match case {
                    Some(case) => {
                        say(&console.case(&case));
                        results.cases.push(case);
                        if let Err(e) = out.results(&results) {
                            eprintln!("error: cannot write results: {e}");
                        }
                    }
                    None => break false,
                },
                _ = &mut ctrl_c => {
                    handle.abort();
                    break true;
                }
            }
        }
    });
    // Shut down now: the cases still running were aborted with the runner.
    runtime.shutdown_background();

    // Unfinished cases are interrupted; every case goes in suite order.
    for case_ref in &plan {
        let (file, case) = case_ref.get(&suite);
        if results.case(&case.value.id.value).is_none() {
            results
                .cases
                .push(skeleton(file, case, Outcome::Interrupted));
        }
    }
    let order: Vec<&str> = plan
        .iter()
        .map(|r| r.get(&suite).1.value.id.value.as_str())
        .collect();
    results
        .cases
        .sort_by_key(|c| order.iter().position(|id| *id == c.id));
    results.interrupted = interrupted;
    results.finished_at = Some(clock::rfc3339(clock::now()));

    match out.all(&results, args.lang) {
        Ok(gate) => {
            say(&console.summary(&results, &gate));
            say(&format!("→ {}\n", out.path().display()));
            match gate.verdict {
                Verdict::Pass => EXIT_PASS,
                Verdict::Fail => EXIT_FAIL,
            }
        }
        Err(e) => fail(format!("cannot write to `{}`: {e}", out.path().display())),
    }
}
