//! The command line: argument shapes and the small commands; a run itself is `crate::run`.
//! Exit codes are `crate::run::exit`.

mod args;
mod bundle;
mod coverage;
mod faults;
mod history;
mod init;
mod merge;
mod mock;
mod report;
mod validate;

pub(crate) use report::apply_report_flags;

use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};

pub fn main() -> ExitCode {
    // Before anything else: a signal during start-up must not kill a run without a verdict.
    crate::run::stop::hold_signals();
    let cli = Cli::parse();
    if !matches!(cli.command, Command::Run(_) | Command::Mock(_)) {
        crate::run::stop::release_signals();
    }
    let code = match cli.command {
        Command::Validate { suite, list } => validate::validate(&suite, list),
        Command::Run(options) => crate::run::execute(*options),
        Command::Mock(args) => mock::mock(args),
        Command::Report(args) => report::report(args),
        Command::Merge(args) => merge::merge_runs(args),
        Command::History(args) => history::history(args),
        Command::Keygen(args) => bundle::keygen(args),
        Command::Bundle(args) => bundle::bundle(args),
        Command::Verify(args) => bundle::verify(args),
        Command::Init(args) => init::init(args),
        Command::Coverage(args) => coverage::coverage(args),
        Command::Faults => faults::list_faults(),
    };
    ExitCode::from(code)
}

/// A line to stdout; a closed pipe (`cpc faults | head`) is not an error worth a panic.
pub(crate) fn say(line: impl std::fmt::Display) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}
