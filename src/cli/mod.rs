//! The command line: `cpc validate` and `cpc run`. Exit codes: 0 the gate passed, 1 it failed,
//! 2 the suite or the command line is invalid (or the run could not start).

mod args;
mod mock;
mod report;
mod run;
mod stop;
mod validate;

use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};

/// The gate passed.
pub const EXIT_PASS: u8 = 0;
/// The gate failed (or the run was partial).
pub const EXIT_FAIL: u8 = 1;
/// The suite or the command line is invalid, or the run could not start.
pub const EXIT_INVALID: u8 = 2;
/// A file of the run could not be written (full disk, read-only `--out`): the verdict is
/// printed, but the files are incomplete or missing.
pub const EXIT_OUTPUT: u8 = 3;
// A run ended by a signal writes every file, its verdict is fail, and it exits with 128 + the
// signal's number: 129 SIGHUP, 130 SIGINT, 143 SIGTERM (`stop::Signal::exit_code`).

pub fn main() -> ExitCode {
    // Before anything else: a signal during start-up must not kill a run without a verdict.
    stop::hold_signals();
    let cli = Cli::parse();
    if !matches!(cli.command, Command::Run(_) | Command::Mock(_)) {
        stop::release_signals();
    }
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
