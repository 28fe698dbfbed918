//! `cpc merge OUT RUN_DIR…`: shard runs combined into the run of the whole suite.

use super::args::MergeArgs;
use super::report::{apply_report_flags, read};
use crate::gate::{self, Verdict};
use crate::merge::{ShardRun, merge};
use crate::redact::{Redactor, Secrets};
use crate::report::console::Console;
use crate::report::files::OutDir;
use crate::run::{exit, history};
use unicode_width::UnicodeWidthStr;

pub fn merge_runs(args: MergeArgs) -> u8 {
    let mut runs = Vec::new();
    for dir in &args.runs {
        match read(dir) {
            Ok(results) => runs.push(ShardRun {
                from: dir.display().to_string(),
                results,
            }),
            Err(e) => {
                crate::complain!("error: {e}");
                return exit::INVALID;
            }
        }
    }
    let mut merged = match merge(runs) {
        Ok(merged) => merged,
        Err(e) => {
            // It quotes the runs' files, which anyone may have edited.
            crate::complain!(
                "error: {}",
                crate::report::escape::console_text(&e.to_string())
            );
            return exit::INVALID;
        }
    };
    if !merged.missing_shards.is_empty() {
        let missing: Vec<String> = merged.missing_shards.iter().map(u32::to_string).collect();
        crate::complain!(
            "ขาด shard {} — ผลรวมไม่ครบ ไม่ผ่านเกณฑ์ (missing shard(s) {}: the merged run is partial and fails the gate)",
            missing.join(", "),
            missing.join(", ")
        );
    }
    let results = &mut merged.results;
    if let Err(e) = apply_report_flags(&args.report, args.lang, results) {
        crate::complain!("error: {e}");
        return exit::INVALID;
    }
    // Every shard together is a round of the suite, as one whole run is.
    let history = (!results.selection.partial)
        .then(|| history::dir_for(args.history.as_deref(), &args.out, &results.suite.id))
        .flatten();
    if let Some(dir) = &history {
        history::assign_round(dir, results);
    }
    let gate = gate::decide(results);
    // The digest is the harness's own: never mistaken for an ID.
    let secrets = Secrets::new(Redactor::default().protecting(results.suite.digests()));
    let written = OutDir::prepare(&args.out, secrets)
        .and_then(|out| out.all(results, &gate, args.lang, None));
    if let Err(e) = written {
        crate::complain!("error: cannot write to `{}`: {e}", args.out.display());
        return exit::OUTPUT;
    }
    let ids = results.cases.iter().map(|c| c.id.as_str().width());
    let console = Console::new(args.lang, false, ids);
    let kept = history
        .as_deref()
        .and_then(|dir| history::keep_round(dir, results, &gate, args.lang));
    super::say(format_args!(
        "{}{}→ {}",
        console.summary(results, &gate),
        kept.unwrap_or_default(),
        args.out.display()
    ));
    match gate.verdict {
        Verdict::Pass => exit::PASS,
        Verdict::Fail => exit::FAIL,
    }
}
