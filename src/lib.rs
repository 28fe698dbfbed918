//! cpc — the conformance harness for e-Services joining Thailand's Citizen Portal.
//!
//! A pure core (suite model, templating, checks, gate, rendering) and a thin shell
//! (CLI, HTTP transport, file writing). See `docs/suite-format.md` for the suite format.

/// `eprintln!` that never panics: with stderr closed (`2>&-`), the message is lost but the run
/// still ends with its documented exit code, not a panic's 101.
#[macro_export]
macro_rules! complain {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

pub mod bundle;
pub mod check;
pub mod citizen_id;
pub mod cli;
pub mod clock;
pub mod coverage;
pub mod diagnostic;
pub mod evidence;
pub mod gate;
pub mod history;
pub mod http;
pub mod i18n;
pub mod merge;
pub mod openapi;
pub mod pdf;
pub mod portal;
pub mod proposal;
pub mod read;
pub mod redact;
pub mod reference;
pub mod report;
pub mod results;
pub mod run;
pub mod runner;
pub mod scaffold;
pub mod serve;
pub mod suite;
pub mod template;
pub mod vars;
pub mod waiver;

/// The cpc version written into every result and gate file.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
