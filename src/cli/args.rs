//! The command line's shape (clap).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::i18n::Lang;

/// Variables every suite has without declaring them.
pub const BUILTIN_VARS: &[&str] = &["target"];

#[derive(Parser)]
#[command(
    name = "cpc",
    version,
    about = "Citizen Portal conformance harness (step 10 of onboarding)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Check a suite without touching the network; exit 0 when clean, 2 with every problem.
    Validate {
        /// The suite directory (holding suite.yaml, requirements.yaml, cases/, schemas/).
        suite: PathBuf,
    },
    /// Run a suite against a target and write results.json, junit.xml and gate.json.
    Run(Box<RunArgs>),
}

#[derive(Args)]
pub struct RunArgs {
    /// The suite directory.
    pub suite: PathBuf,
    /// Base URL of the agency's e-Service under test.
    #[arg(long)]
    pub target: reqwest::Url,
    /// Where to write results.json, junit.xml and gate.json (created if missing).
    #[arg(long, default_value = "cpc-out")]
    pub out: PathBuf,
    /// Set a suite variable: --var name=value (repeatable; overrides defaults and env).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,
    /// How many cases run at once.
    #[arg(long, default_value_t = 8)]
    pub jobs: usize,
    /// Run only this case (repeatable). A partial run never passes the gate.
    #[arg(long = "case", value_name = "ID")]
    pub cases: Vec<String>,
    /// Run only cases with this tag (repeatable). A partial run never passes the gate.
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Timeout of each request, unless the suite or step says otherwise.
    #[arg(long, default_value_t = 10_000)]
    pub timeout_ms: u64,
    /// Largest response body read; a larger one is an error (could not evaluate).
    #[arg(long, default_value_t = 10 * 1024 * 1024)]
    pub max_body_bytes: u64,
    /// Language of the console and JUnit.
    #[arg(long, value_enum, default_value_t = Lang::Th)]
    pub lang: Lang,
    /// Accept invalid TLS certificates (self-signed test servers only).
    #[arg(long)]
    pub insecure: bool,
}

fn parse_var(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.trim().to_string(), v.to_string()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("`{s}` is not NAME=VALUE"))
}
