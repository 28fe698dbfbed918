//! `cpc validate`: a suite checked without touching the network.

use std::path::Path;

use crate::run::exit;
use crate::run::setup::load_checked;

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
            exit::PASS
        }
        Err(code) => code,
    }
}
