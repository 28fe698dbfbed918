//! `cpc validate`, and the loading every command starts with.

use std::io::Write;
use std::path::Path;

use super::{EXIT_INVALID, EXIT_PASS};
use crate::diagnostic::Diagnostic;
use crate::suite::{self, Checked, Suite};

/// Prints problems rustc-style to stderr, each with its source line when it has a place.
pub fn print_problems(problems: &[Diagnostic]) {
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
            Err(EXIT_INVALID)
        }
    }
}

pub fn validate(dir: &Path) -> u8 {
    match load_checked(dir) {
        Ok((suite, _)) => {
            let cases = suite.cases().count();
            super::say(format_args!(
                "{}: {} requirement(s), {} case(s) — OK",
                dir.display(),
                suite.requirements.len(),
                cases
            ));
            EXIT_PASS
        }
        Err(code) => code,
    }
}
