//! `cpc report RUN_DIR`: redo a run's reports (and junit.xml, gate.json) from results.json, so
//! a report can be restyled or reworded without running the tests again; or, for a run that was
//! killed before it wrote them, write every file from its stream (results.jsonl).

use std::path::Path;

use super::args::ReportArgs;
use crate::i18n::Lang;
use crate::redact::{Redactor, Secrets};
use crate::report::files::{OutDir, RESULTS};
use crate::report::stream::{self, STREAM};
use crate::results::RunResults;
use crate::run::ReportFlags;
use crate::run::exit;
use crate::waiver::{Waiver, WaiverFile};

/// Applies the report flags given on the command line; absent ones keep what results.json says.
/// Fails only on a waivers file that cannot be read.
pub fn apply_report_flags(
    flags: &ReportFlags,
    lang: Lang,
    results: &mut RunResults,
) -> Result<(), String> {
    if let Some(tester) = &flags.tester {
        results.tester = Some(tester.clone());
    }
    if let Some(round) = flags.round {
        results.round = Some(round);
    }
    results.report.arabic_digits |= flags.arabic_digits;
    results.report.english |= lang == Lang::En;
    if let Some(path) = &flags.waivers {
        results.waivers = read_waivers(path)?;
    }
    Ok(())
}

/// The waivers file, each waiver with its place; a file that is not one is an error with its
/// place (a waiver with a missing field is not: the gate reports it as incomplete).
fn read_waivers(path: &Path) -> Result<Vec<Waiver>, String> {
    let bytes = crate::read::bounded(path, crate::read::MAX_TEXT_FILE)
        .map_err(|e| format!("--waivers: {e}"))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| format!("--waivers: `{}` is not UTF-8 text", path.display()))?;
    let file: WaiverFile =
        crate::suite::parse_yaml(path, &text).map_err(|d| format!("--waivers: {d}"))?;
    Ok(file
        .waivers
        .into_iter()
        .map(|w| Waiver {
            place: format!("{}:{}", path.display(), w.referenced.line()),
            ..w.value
        })
        .collect())
}

/// results.json when the run ended; else the run rebuilt from its stream (results.jsonl), as
/// far as it got before it was killed.
/// Either way, the outcomes in it must follow from its checks (`evidence::check`).
pub(crate) fn read(dir: &Path) -> Result<RunResults, String> {
    read_with(dir, None)
}

/// As `read`, compared with `suite` (the one the command was given) rather than `suites/<id>`.
pub(crate) fn read_with(
    dir: &Path,
    suite: Option<&crate::suite::Suite>,
) -> Result<RunResults, String> {
    let path = dir.join(RESULTS);
    let (results, from) = if !path.exists() && dir.join(STREAM).exists() {
        (stream::rebuild(&dir.join(STREAM))?, dir.join(STREAM))
    } else {
        let bytes = crate::read::bounded(&path, crate::read::MAX_RESULTS_FILE)?;
        let results = serde_json::from_slice(&bytes).map_err(|e| {
            format!(
                "{}:{}:{}: not a cpc results file: {e}",
                path.display(),
                e.line(),
                e.column()
            )
        })?;
        (results, path)
    };
    crate::evidence::check(&results)
        .and_then(|()| match suite {
            Some(suite) => against_given(&results, suite),
            None => against_suite(&results),
        })
        .map_err(|e| format!("{}: {e}", from.display()))?;
    Ok(results)
}

/// The suite given on the command line: compared when it is the one that was run.
fn against_given(
    results: &RunResults,
    suite: &crate::suite::Suite,
) -> Result<(), crate::evidence::EvidenceError> {
    if suite.digest != results.suite.digest {
        crate::complain!(
            "note: the run was not compared with `{}`: it has changed since (digest {}, the run's {}); the levels, traces and waiver policy in results.json are taken as written",
            suite.dir.display(),
            suite.digest,
            crate::report::escape::console_text(&results.suite.digest)
        );
        return Ok(());
    }
    crate::evidence::against(results, suite)
}

/// When the suite that was run is at hand (`suites/<id>`, with the run's digest), what the gate
/// weighs besides the checks — levels, traces, the waiver policy — must be as it says.
fn against_suite(results: &RunResults) -> Result<(), crate::evidence::EvidenceError> {
    let Some(dir) = crate::suite::dir_of_id(&results.suite.id) else {
        crate::complain!(
            "note: the run was not compared with its suite (its id is not a plain name): the levels, traces and waiver policy in results.json are taken as written"
        );
        return Ok(());
    };
    let Ok(suite) = crate::suite::load(&dir) else {
        crate::complain!(
            "note: the run was not compared with its suite (`{}` is not here: give it with --suite DIR): the levels, traces and waiver policy in results.json are taken as written",
            dir.display()
        );
        return Ok(());
    };
    if suite.digest != results.suite.digest {
        crate::complain!(
            "note: the run was not compared with its suite: `{}` has changed since (digest {}, the run's {}); the levels, traces and waiver policy in results.json are taken as written",
            dir.display(),
            suite.digest,
            crate::report::escape::console_text(&results.suite.digest)
        );
        return Ok(());
    }
    crate::evidence::against(results, &suite)
}

pub fn report(args: ReportArgs) -> u8 {
    // A suite that no longer loads (since edited, or refused by a newer cpc) is said and left
    // out, as `suites/<id>` would be: the reports can still be made.
    let suite = args.suite.as_deref().and_then(|dir| match crate::suite::load(dir) {
        Ok(suite) => Some(suite),
        Err(e) => {
            crate::complain!(
                "note: the run was not compared with `{}`: it does not load ({} problem(s); cpc validate names them); the levels, traces and waiver policy in results.json are taken as written",
                dir.display(),
                e.problems.len()
            );
            None
        }
    });
    let mut results = match read_with(&args.run_dir, suite.as_ref()) {
        Ok(results) => results,
        Err(e) => {
            crate::complain!("error: {e}");
            return exit::INVALID;
        }
    };
    if let Err(e) = apply_report_flags(&args.report, args.lang, &mut results) {
        crate::complain!("error: {e}");
        return exit::INVALID;
    }
    let gate = crate::gate::decide(&results);
    // The digest is the harness's own: never mistaken for an ID.
    let secrets = Secrets::new(Redactor::default().protecting(results.suite.digests()));
    let written = OutDir::open(&args.run_dir, secrets)
        .and_then(|out| out.all(&results, &gate, args.lang, None));
    if let Err(e) = written {
        crate::complain!("error: cannot write to `{}`: {e}", args.run_dir.display());
        return exit::OUTPUT;
    }
    if args.pdf {
        let mut langs = vec!["th"];
        if results.report.english {
            langs.push("en");
        }
        for code in langs {
            let html = args.run_dir.join(format!("report.{code}.html"));
            let pdf = html.with_extension("pdf");
            if let Err(e) = crate::pdf::print(&html, &pdf) {
                crate::complain!("error: {}: {e}", pdf.display());
                return exit::OUTPUT;
            }
            super::say(format_args!("→ {}", pdf.display()));
        }
    }
    super::say(format_args!("→ {}", args.run_dir.display()));
    exit::PASS
}
