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
    let (header, body) = if args.api {
        let Some(api) = &suite.api else {
            crate::complain!(
                "error: {} has no OpenAPI document (`openapi:` in suite.yaml)",
                args.dir.display()
            );
            return exit::INVALID;
        };
        let run = match args
            .results
            .as_deref()
            .map(|dir| super::report::read_with(dir, Some(&suite)))
            .transpose()
        {
            Ok(run) => run,
            Err(e) => {
                crate::complain!("error: {e}");
                return exit::INVALID;
            }
        };
        if let Some(run) = &run
            && run.suite.id != suite.meta.id
        {
            crate::complain!(
                "error: the run is of suite `{}`, not `{}`",
                crate::report::escape::console_text(&run.suite.id),
                suite.meta.id
            );
            return exit::INVALID;
        }
        let rows = crate::coverage::operations(&suite, api, run.as_ref());
        crate::coverage::operations_table(&rows, args.lang)
    } else {
        crate::coverage::table(&crate::coverage::rows(&suite), args.lang)
    };
    let text = match args.format {
        Format::Console => table::console(&header, &body),
        Format::Markdown => table::markdown(&header, &body),
        Format::Csv => table::csv(&header, &body),
        Format::Html => {
            let meta = &suite.meta;
            let what = match (args.lang, args.api) {
                (Lang::Th, false) => "การโยงข้อกำหนดกับกรณีทดสอบ",
                (Lang::Th, true) => "การทดสอบ API ตาม operation และสถานะ",
                (Lang::En, false) => "Requirement coverage",
                (Lang::En, true) => "API coverage by operation and status",
            };
            let title = match args.lang {
                Lang::Th => format!("{what} — {} ({})", meta.name_th, meta.service_code),
                Lang::En => format!(
                    "{what} — {} ({})",
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
