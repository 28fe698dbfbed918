//! `cpc history DIR`: the requirement × round matrix of the rounds kept in a history directory,
//! one matrix per suite and target, for the console, Markdown, CSV or an HTML page (stdout).

use std::collections::BTreeSet;

use super::args::HistoryArgs;
use crate::history::{matrix, rounds_of};
use crate::report::escape::console_text;
use crate::run::exit;

pub fn history(args: HistoryArgs) -> u8 {
    if !args.dir.is_dir() {
        crate::complain!(
            "error: `{}` is not a history directory (cpc run keeps one in cpc-history/<suite>/ beside --out, or where --history says)",
            args.dir.display()
        );
        return exit::INVALID;
    }
    let (records, warnings) = crate::run::history::read(&args.dir);
    for warning in warnings {
        crate::complain!("warning: {}", console_text(&warning));
    }
    let groups: BTreeSet<(String, String)> = records
        .iter()
        .filter(|r| args.target.as_ref().is_none_or(|t| *t == r.target))
        .map(|r| (r.suite.clone(), r.target.clone()))
        .collect();
    if groups.is_empty() {
        crate::complain!("error: no rounds in `{}`", args.dir.display());
        return exit::INVALID;
    }
    let mut out = String::new();
    for (suite, target) in &groups {
        let m = matrix::build(rounds_of(&records, suite, target));
        if args.format == matrix::Format::Console && groups.len() > 1 {
            out.push_str(&format!(
                "== {} — {} ==\n",
                console_text(suite),
                console_text(target)
            ));
        }
        out.push_str(&matrix::render(&m, args.format, args.lang));
        if groups.len() > 1 {
            out.push('\n');
        }
    }
    super::say(out.trim_end());
    exit::PASS
}
