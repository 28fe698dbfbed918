//! `cpc run`: a run from start to verdict (`session`), what it is asked to do (`options`), how it
//! is set up (`setup`), who listens to the runner (`consumers`), and how it ends on a signal
//! (`stop`).

mod consumers;
pub mod history;
mod options;
mod session;
pub mod setup;
pub mod stop;

pub use crate::results::Shard;
pub use options::{ReportFlags, RunOptions, parse_var};
pub use session::execute;

/// Exit codes of cpc (README: "Exit codes").
pub mod exit {
    /// The gate passed.
    pub const PASS: u8 = 0;
    /// The gate failed (or the run was partial).
    pub const FAIL: u8 = 1;
    /// The suite or the command line is invalid, or the run could not start.
    pub const INVALID: u8 = 2;
    /// A file of the run could not be written (full disk, read-only `--out`): the verdict is
    /// printed, but the files are incomplete or missing.
    pub const OUTPUT: u8 = 3;
    // A run ended by a signal writes every file, its verdict is fail, and it exits with 128 +
    // the signal's number: 129 SIGHUP, 130 SIGINT, 143 SIGTERM (`stop::Signal::exit_code`).
}
