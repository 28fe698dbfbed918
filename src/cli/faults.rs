//! `cpc faults`: the reference e-service's fault switches.

use crate::reference::Fault;
use crate::run::exit;

/// `cpc faults`: one line per switch, with the requirements it breaks.
pub fn list_faults() -> u8 {
    use clap::ValueEnum;
    for fault in Fault::all() {
        let help = fault
            .to_possible_value()
            .and_then(|v| v.get_help().map(ToString::to_string))
            .unwrap_or_default();
        super::say(format_args!(
            "{:<24} {:<40} {help}",
            fault.name(),
            fault.breaks().join(", ")
        ));
    }
    exit::PASS
}
