//! The command line's shape (clap).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::i18n::Lang;
use crate::run::{ReportFlags, RunOptions, parse_var};

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
        /// List every case (generated ones too) with its requirements and title.
        #[arg(long)]
        list: bool,
    },
    /// Run a suite against a target and write results.json, junit.xml and gate.json.
    Run(Box<RunOptions>),
    /// Serve the mock portal alone (point the agency's PORTAL_URL at it); Ctrl-C stops it.
    Mock(MockArgs),
    /// Re-render a run's reports, junit.xml and gate.json from its results.json alone.
    Report(ReportArgs),
    /// Combine shard runs (`cpc run --shard K/N`) into the run of the whole suite: results.json,
    /// junit.xml, the reports and gate.json in OUT; exit code as `cpc run`'s.
    Merge(MergeArgs),
    /// The requirement × round matrix of a history directory: when each clause first failed and
    /// when its fix was verified.
    History(HistoryArgs),
    /// Make an Ed25519 key pair for signing evidence bundles (DIR/cpc-signing-key.pem and
    /// .pub.pem); never replaces a key.
    Keygen(KeygenArgs),
    /// Pack a finished run, the suite files as they were run, a SHA-256 manifest and its
    /// Ed25519 signature into one archive (tar).
    Bundle(BundleArgs),
    /// Check a bundle offline: every file against the manifest, the manifest's signature, the
    /// run digest and the suite digest. Exit 0 verified, 1 not.
    Verify(VerifyArgs),
    /// Write a new suite from a technical proposal (a pending case per clause), or bring a
    /// suite's requirements.yaml up to date with its proposal (--update).
    Init(InitArgs),
    /// The trace matrix: each clause, its level and section, the cases and invariants that test
    /// it, their kinds of checks, and what is not tested and why.
    Coverage(CoverageArgs),
    /// List the reference e-service's fault switches and the requirements each breaks.
    Faults,
}

#[derive(Args)]
pub struct InitArgs {
    /// The suite directory to write (new), or to update (--update).
    pub dir: PathBuf,
    /// The technical proposal: the agency's Word document (.docx) or Markdown (.md).
    #[arg(long, value_name = "FILE", conflicts_with = "update")]
    pub proposal: Option<PathBuf>,
    /// Bring requirements.yaml up to date with the proposal suite.yaml names, editing it in
    /// place (hand-written text, reasons and comments kept); cases untouched.
    #[arg(long)]
    pub update: bool,
    /// The agency's OpenAPI document (3.0 or 3.1, YAML or JSON): copied into the suite under
    /// openapi/ and named in suite.yaml, with a pending case per operation
    /// (cases/openapi.yaml) and each component schema under schemas/. With --proposal, added to
    /// the new suite; alone, added to the existing suite DIR.
    #[arg(long, value_name = "FILE", conflicts_with = "update")]
    pub openapi: Option<PathBuf>,
    /// Write the suite although the proposal holds what cpc could not read as clauses: each is
    /// listed under `proposal_skipped` in suite.yaml with a FILL-IN reason a person must write.
    #[arg(long, conflicts_with = "update")]
    pub allow_skipped: bool,
}

#[derive(Args)]
pub struct CoverageArgs {
    /// The suite directory.
    pub dir: PathBuf,
    /// The API's operations × documented statuses (from the suite's OpenAPI document) instead
    /// of the clauses: which cases call each, and with --results which a run reached.
    #[arg(long)]
    pub api: bool,
    /// A run's directory (holding results.json): what its answers reached, for --api.
    #[arg(long, requires = "api")]
    pub results: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = crate::report::table::Format::Console)]
    pub format: crate::report::table::Format,
    #[arg(long, value_enum, default_value_t = Lang::Th)]
    pub lang: Lang,
}

#[derive(Args)]
pub struct KeygenArgs {
    /// Where the two key files go (created if missing).
    pub dir: PathBuf,
}

#[derive(Args)]
pub struct BundleArgs {
    /// A finished run's directory (holding results.json).
    pub run_dir: PathBuf,
    /// The archive to write.
    #[arg(short, long)]
    pub output: PathBuf,
    /// The signing key (PKCS#8 PEM, from cpc keygen).
    #[arg(long, value_name = "FILE")]
    pub sign_key: PathBuf,
    /// The suite that was run (default: suites/<suite id>); its digest must be the run's.
    #[arg(long, value_name = "DIR")]
    pub suite: Option<PathBuf>,
}

#[derive(Args)]
pub struct VerifyArgs {
    /// The bundle (from cpc bundle).
    pub bundle: PathBuf,
    /// The signer's public key: checks who made the bundle.
    #[arg(long, value_name = "FILE", required_unless_present = "intact_only")]
    pub public_key: Option<PathBuf>,
    /// Check only that the bundle is intact, with the key inside it: anyone can make a bundle
    /// that passes this, so it says nothing about who made it.
    #[arg(long, conflicts_with = "public_key")]
    pub intact_only: bool,
}

#[derive(Args)]
pub struct HistoryArgs {
    /// A history directory (cpc-history/<suite>/ beside a run's --out, or --history's).
    pub dir: PathBuf,
    #[arg(long, value_enum, default_value_t = crate::history::matrix::Format::Console)]
    pub format: crate::history::matrix::Format,
    #[arg(long, value_enum, default_value_t = Lang::Th)]
    pub lang: Lang,
    /// Only the rounds against this target (as the report shows it, or `reference`).
    #[arg(long)]
    pub target: Option<String>,
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
    /// Connections open at once, at most; when all are open, the oldest one waiting for a
    /// request (not inside one) is closed to let a new client in.
    #[arg(long, default_value_t = crate::serve::Limits::default().max_connections as u64,
          value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub max_connections: u64,
    /// Do not log each request (the journal still keeps them).
    #[arg(long)]
    pub quiet: bool,
}

#[derive(Args)]
pub struct MergeArgs {
    /// Where the merged run's files go.
    pub out: PathBuf,
    /// The shards' run directories (each holding results.json, or results.jsonl if killed).
    #[arg(required = true)]
    pub runs: Vec<PathBuf>,
    /// `en` also writes English reports, and JUnit in English.
    #[arg(long, value_enum, default_value_t = Lang::Th)]
    pub lang: Lang,
    /// Where rounds are kept, as for `cpc run`: a merged run with every shard is a round.
    /// Default: cpc-history/<suite id>/ beside OUT; `off` keeps none.
    #[arg(long, value_name = "DIR", env = "CPC_HISTORY")]
    pub history: Option<PathBuf>,
    #[command(flatten)]
    pub report: ReportFlags,
}

#[derive(Args)]
pub struct ReportArgs {
    /// A run's output directory (holding results.json).
    pub run_dir: PathBuf,
    /// `en` also writes English reports, and JUnit in English.
    #[arg(long, value_enum, default_value_t = Lang::Th)]
    pub lang: Lang,
    /// Also print each HTML report to PDF (report.th.pdf …) with headless Chromium.
    #[arg(long)]
    pub pdf: bool,
    /// The suite the run ran, when it is not `suites/<id>` here: the run is compared with it
    /// (its levels, traces and waiver policy).
    #[arg(long, value_name = "DIR")]
    pub suite: Option<PathBuf>,
    #[command(flatten)]
    pub report: ReportFlags,
}
