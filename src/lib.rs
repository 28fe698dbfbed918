//! cpc — the conformance harness for e-Services joining Thailand's Citizen Portal.
//!
//! A pure core (suite model, templating, checks, gate, rendering) and a thin shell
//! (CLI, HTTP transport, file writing). See `docs/suite-format.md` for the suite format.

pub mod check;
//TMP pub mod cli;
pub mod citizen_id;
pub mod clock;
pub mod diagnostic;
//TMP pub mod gate;
//TMP pub mod http;
pub mod i18n;
pub mod redact;
//TMP pub mod report;
//TMP pub mod results;
//TMP pub mod runner;
pub mod suite;
pub mod template;
pub mod vars;

/// The cpc version written into every result and gate file.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
