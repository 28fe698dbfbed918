//! `cpc validate`: a suite checked without touching the network.

use std::path::Path;

use unicode_width::UnicodeWidthStr;

use crate::run::exit;
use crate::run::setup::load_checked;

pub fn validate(dir: &Path, list: bool) -> u8 {
    let suite = match load_checked(dir) {
        Ok((suite, _)) => suite,
        Err(code) => return code,
    };
    let cases = suite.cases().count();
    let generated = suite
        .cases()
        .filter(|(_, c)| c.value.generated.is_some())
        .count();
    if list {
        let width = suite
            .cases()
            .map(|(_, c)| crate::report::escape::console_text(&c.value.id.value).width())
            .max()
            .unwrap_or(0);
        for (_, case) in suite.cases() {
            let c = &case.value;
            let requirements: Vec<&str> = c.requirements.iter().map(|r| r.value.as_str()).collect();
            let pad = " ".repeat(width - crate::report::escape::console_text(&c.id.value).width());
            let pending = if c.pending { " (pending)" } else { "" };
            // Generated ids and titles hold names from the schema and the body: escaped.
            let text = crate::report::escape::console_text;
            super::say(format_args!(
                "{}{pad}  {}  {}{pending}",
                text(&c.id.value),
                text(&requirements.join(",")),
                text(&c.title_th)
            ));
        }
    }
    let made = if generated > 0 {
        format!(" ({generated} generated)")
    } else {
        String::new()
    };
    super::say(format_args!(
        "{}: {} requirement(s), {} case(s){made} — OK",
        dir.display(),
        suite.requirements.len(),
        cases
    ));
    exit::PASS
}
