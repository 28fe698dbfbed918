//! `cpc coverage DIR`: the suite's trace matrix, clause by clause (console, Markdown, CSV,
//! HTML).

use std::path::Path;

use super::args::CoverageArgs;
use crate::i18n::Lang;
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
        Format::Console => table::console(&header, &body),
        Format::Markdown => table::markdown(&header, &body),
        Format::Csv => table::csv(&header, &body),
        Format::Html => {
            let meta = &suite.meta;
            let title = match args.lang {
                Lang::Th => format!(
                    "การโยงข้อกำหนดกับกรณีทดสอบ — {} ({})",
                    meta.name_th, meta.service_code
                ),
                Lang::En => format!(
                    "Requirement coverage — {} ({})",
                    meta.name_en.as_deref().unwrap_or(&meta.name_th),
                    meta.service_code
                ),
            };
            let notes = [match args.lang {
                Lang::Th => format!("ข้อเสนอทางเทคนิค ฉบับ {}", meta.proposal_version),
                Lang::En => format!("technical proposal, version {}", meta.proposal_version),
            }];
            let page = table::Page {
                lang: args.lang,
                title: &title,
                notes: &notes,
                nowrap: false,
            };
            table::html(&page, &header, &body, |_| "")
        }
    };
    super::say(text.trim_end());
    exit::PASS
}

/// The suite as validate sees it; coverage of a suite with problems would mislead.
fn load(dir: &Path) -> Result<crate::suite::Suite, u8> {
    crate::run::setup::load_checked(dir).map(|(suite, _)| suite)
}
