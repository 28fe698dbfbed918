//! `cpc coverage DIR`: the suite's trace matrix, clause by clause (console, Markdown, CSV).

use std::path::Path;

use super::args::CoverageArgs;
use crate::report::table::{self, Format};
use crate::run::exit;

pub fn coverage(args: CoverageArgs) -> u8 {
    let suite = match load(&args.dir) {
        Ok(suite) => suite,
        Err(code) => return code,
    };
    let rows = crate::coverage::rows(&suite);
    let (header, body) = crate::coverage::table(&rows, args.lang);
    let text = match args.format {
        Format::Console | Format::Html => table::console(&header, &body),
        Format::Markdown => table::markdown(&header, &body),
        Format::Csv => table::csv(&header, &body),
    };
    super::say(text.trim_end());
    exit::PASS
}

/// The suite as validate sees it; coverage of a suite with problems would mislead.
fn load(dir: &Path) -> Result<crate::suite::Suite, u8> {
    crate::run::setup::load_checked(dir).map(|(suite, _)| suite)
}
