//! What `cpc run` is asked to do (its command line).

use std::path::PathBuf;

use clap::Args;

use crate::i18n::Lang;
use crate::results::Shard;

#[derive(Args)]
pub struct RunOptions {
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
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub jobs: u64,
    /// Run shard K of N: a stable share of the cases (by case id, the same on every machine).
    /// Merge the shards' runs with `cpc merge`; a shard alone never passes the gate.
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    pub shard: Option<Shard>,
    /// The run's id: give every shard of one run the same (e.g. the CI pipeline's id);
    /// `cpc merge` refuses shards of different runs. Default: a new random id.
    #[arg(long, value_name = "ID", env = "CPC_RUN_ID", value_parser = parse_run_id)]
    pub run_id: Option<String>,
    /// Where rounds are kept (ครั้งที่ ๑, ๒ …): a run knows its round and compares itself with
    /// the last one against the same target. Default: cpc-history/<suite id>/ beside --out;
    /// `off` keeps none.
    #[arg(long, value_name = "DIR", env = "CPC_HISTORY")]
    pub history: Option<PathBuf>,
    /// Run a case that fails again, up to N more times: one that then passes is flaky
    /// (ไม่เสถียร), reported with every attempt, and still does not pass its requirements.
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=10))]
    pub rerun_failed: u32,
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

fn parse_run_id(s: &str) -> Result<String, String> {
    let ok = (1..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._:/-".contains(&b));
    if ok {
        Ok(s.to_string())
    } else {
        Err("1 to 128 characters of A-Z, a-z, 0-9, `.`, `_`, `:`, `/` and `-`".into())
    }
}

fn parse_shard(s: &str) -> Result<Shard, String> {
    let shard = s.split_once('/').and_then(|(k, n)| {
        Some(Shard {
            index: k.trim().parse().ok()?,
            total: n.trim().parse().ok()?,
        })
    });
    match shard {
        Some(shard) if shard.index >= 1 && shard.index <= shard.total && shard.total <= 1000 => {
            Ok(shard)
        }
        _ => Err(format!(
            "`{s}` is not K/N with 1 <= K <= N <= 1000 (e.g. 2/3)"
        )),
    }
}

pub fn parse_var(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.trim().to_string(), v.to_string()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("`{s}` is not NAME=VALUE"))
}

/// What the Thai test report says about who tested, and how it writes numbers.
#[derive(Args)]
pub struct ReportFlags {
    /// The tester's name, for the report's header.
    #[arg(long)]
    pub tester: Option<String>,
    /// Which test round this is (ครั้งที่ทดสอบ).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=crate::history::MAX_ROUND as i64))]
    pub round: Option<u32>,
    /// Arabic digits in the Thai report (Thai digits by default).
    #[arg(long)]
    pub arabic_digits: bool,
    /// Waivers the committee approved (YAML): a requirement not passed that has a valid one
    /// does not fail the gate, and the verdict says so.
    #[arg(long, value_name = "FILE")]
    pub waivers: Option<PathBuf>,
}
