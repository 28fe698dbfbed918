//! The command line's shape (clap).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::i18n::Lang;

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
    /// Serve the mock portal alone (point the agency's PORTAL_URL at it); Ctrl-C stops it.
    Mock(MockArgs),
    /// Re-render a run's reports, junit.xml and gate.json from its results.json alone.
    Report(ReportArgs),
    /// List the reference e-service's fault switches and the requirements each breaks.
    Faults,
}

#[derive(Args)]
pub struct RunArgs {
    /// The suite directory.
    pub suite: PathBuf,
    /// Base URL of the agency's e-Service under test, or `reference` for the built-in
    /// reference e-service (no agency system needed).
    #[arg(long)]
    pub target: String,
    /// With `--target reference`: break one clause on purpose (see `cpc faults`).
    #[arg(long, value_enum)]
    pub fault: Option<crate::reference::Fault>,
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
    /// Language of the console and JUnit; `en` also writes English reports (report.en.*).
    #[arg(long, value_enum, default_value_t = Lang::Th)]
    pub lang: Lang,
    #[command(flatten)]
    pub report: ReportFlags,
    /// Address of the in-process mock portal the agency calls back (port 0: any free port,
    /// printed at the start). The suite reads its URL as `{{ portal_url }}`.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub portal_addr: std::net::SocketAddr,
    /// Use a `cpc mock` running elsewhere (e.g. on a host the agency's network reaches)
    /// instead of the in-process portal: its journal and behaviour through its admin API.
    #[arg(long, value_name = "URL", conflicts_with_all = ["portal_addr", "mappings"])]
    pub portal: Option<reqwest::Url>,
    /// The admin token of the `--portal` (as `cpc mock` printed it).
    #[arg(long, value_name = "TOKEN", requires = "portal")]
    pub portal_admin_token: Option<String>,
    /// Add to or override the bundled portal stubs with a WireMock root (mappings/, __files/).
    #[arg(long, value_name = "DIR")]
    pub mappings: Option<PathBuf>,
    /// Trust this CA certificate (PEM) besides the platform's: the agency's test CA
    /// (repeatable).
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Vec<PathBuf>,
    /// Present this certificate (PEM) for mutual TLS; with --client-key.
    #[arg(long, value_name = "FILE", requires = "client_key")]
    pub client_cert: Option<PathBuf>,
    /// The private key (PEM) of --client-cert.
    #[arg(long, value_name = "FILE", requires = "client_cert")]
    pub client_key: Option<PathBuf>,
    /// Accept any TLS certificate: the last resort for a self-signed test server (prefer
    /// --ca-cert).
    #[arg(long)]
    pub insecure: bool,
}

fn parse_var(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.trim().to_string(), v.to_string()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("`{s}` is not NAME=VALUE"))
}

#[derive(Args)]
pub struct MockArgs {
    /// Serve this suite's portal too: its stubs (`portal/` in the suite) and the consumers it
    /// registers with the gateway (`portal.consumers` in suite.yaml).
    #[arg(long, value_name = "DIR")]
    pub suite: Option<PathBuf>,
    /// Set a suite variable used by `portal.consumers`: --var name=value (with --suite).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var, requires = "suite")]
    pub vars: Vec<(String, String)>,
    /// Where to listen. Loopback by default; any other address is an explicit choice, and then
    /// the admin API needs a bearer token.
    #[arg(long, default_value = "127.0.0.1:8089")]
    pub addr: std::net::SocketAddr,
    /// Add to or override the bundled portal stubs with a WireMock root (mappings/, __files/).
    #[arg(long, value_name = "DIR")]
    pub mappings: Option<PathBuf>,
    /// Bearer token for /__admin (generated and printed when needed and not given).
    #[arg(long)]
    pub admin_token: Option<String>,
    /// How many requests the journal keeps (the oldest are dropped, and counted).
    #[arg(long, default_value_t = crate::portal::journal::DEFAULT_CAP as u64,
          value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub journal_cap: u64,
    /// How many bytes the journal keeps, at most (the oldest requests are dropped past it).
    #[arg(long, default_value_t = crate::portal::journal::DEFAULT_MAX_BYTES as u64,
          value_parser = clap::value_parser!(u64).range(1024..=16 * 1024 * 1024 * 1024))]
    pub journal_bytes: u64,
    /// Largest request body accepted; a larger one is answered 413.
    #[arg(long, default_value_t = crate::serve::Limits::default().max_body_bytes as u64,
          value_parser = clap::value_parser!(u64).range(0..=1024 * 1024 * 1024))]
    pub max_body_bytes: u64,
    /// A connection that has not sent a whole request head within this is closed.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(100..=600_000))]
    pub header_timeout_ms: u64,
    /// Do not log each request (the journal still keeps them).
    #[arg(long)]
    pub quiet: bool,
}

/// What the Thai test report says about who tested, and how it writes numbers.
#[derive(Args)]
pub struct ReportFlags {
    /// The tester's name, for the report's header.
    #[arg(long)]
    pub tester: Option<String>,
    /// Which test round this is (ครั้งที่ทดสอบ).
    #[arg(long)]
    pub round: Option<u32>,
    /// Arabic digits in the Thai report (Thai digits by default).
    #[arg(long)]
    pub arabic_digits: bool,
}

#[derive(Args)]
pub struct ReportArgs {
    /// A run's output directory (holding results.json).
    pub run_dir: PathBuf,
    /// `en` also writes English reports, and JUnit in English.
    #[arg(long, value_enum, default_value_t = Lang::Th)]
    pub lang: Lang,
    #[command(flatten)]
    pub report: ReportFlags,
}
