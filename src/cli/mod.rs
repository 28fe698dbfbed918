//! The command line: `cpc validate` and `cpc run`. Exit codes: 0 the gate passed, 1 it failed,
//! 2 the suite or the command line is invalid (or the run could not start).

mod args;
mod mock;
mod report;
mod run;
mod validate;

use std::process::ExitCode;

use clap::Parser;

pub use args::BUILTIN_VARS;
use args::{Cli, Command};

/// The gate passed.
pub const EXIT_PASS: u8 = 0;
/// The gate failed (or the run was partial or interrupted).
pub const EXIT_FAIL: u8 = 1;
/// The suite or the command line is invalid, or the run could not start.
pub const EXIT_INVALID: u8 = 2;

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Validate { suite } => validate::validate(&suite),
        Command::Run(args) => run::run(*args),
        Command::Mock(args) => mock::mock(args),
        Command::Report(args) => report::report(args),
        Command::Faults => run::list_faults(),
    };
    ExitCode::from(code)
}

/// A line to stdout; a closed pipe (`cpc faults | head`) is not an error worth a panic.
pub(crate) fn say(line: impl std::fmt::Display) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}
