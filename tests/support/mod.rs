//! Shared by the end-to-end tests: a way to run the real `cpc` binary and read what it wrote.
#![allow(dead_code)]

pub mod hostile;
pub mod library;
pub mod pay;
pub mod steps;
pub mod tls;

use std::path::{Path, PathBuf};
use std::process::Output;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `cpc` with these arguments from the repository root, off the async runtime so the
/// fake targets keep serving.
pub async fn cpc(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_cpc"))
            .args(&args)
            .current_dir(repo())
            .env("NO_COLOR", "1")
            // Each test is its own run: no rounds shared through a history beside /tmp's runs
            // (the history tests give --history).
            .env("CPC_HISTORY", "off")
            .env_remove("CPC_CSG_TOKEN")
            .env_remove("CPC_CSG_CONSUMER_KEY")
            .output()
            .expect("cpc runs")
    })
    .await
    .expect("cpc finishes")
}

/// `cpc run suites/csg --target reference --fault FAULT --out OUT`, and `more` arguments: the
/// CSG suite against the built-in reference with one fault put in.
pub async fn csg_with_fault(fault: &str, out: &str, more: &[&str]) -> Output {
    let mut list = args(&[
        "run",
        "suites/csg",
        "--target",
        "reference",
        "--fault",
        fault,
        "--out",
        out,
    ]);
    list.extend(args(more));
    cpc(list).await
}

/// A copy of a directory tree (a suite, fixtures) to change without touching the repository.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

pub fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

pub fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A target for `tests/suites/mini`: `GET /thing` answers `thing`, `GET /health` 204.
pub async fn mini_target(thing: wiremock::ResponseTemplate) -> wiremock::MockServer {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/thing"))
        .respond_with(thing)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/health"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    server
}

/// `/thing` with this status word and a national ID to be masked.
pub fn thing(status: &str) -> wiremock::ResponseTemplate {
    wiremock::ResponseTemplate::new(200)
        .set_body_json(serde_json::json!({"status": status, "citizen_id": "1101401234566"}))
}
