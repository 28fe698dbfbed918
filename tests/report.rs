//! The Thai test report: every run writes it; `cpc report` redoes it byte for byte from
//! results.json; snapshots of what a committee reads, for a failing and a passing run.

mod support;

use std::path::Path;

use serde_json::{Value, json};
use support::{args, cpc};

const REPORTS: [&str; 4] = [
    "report.th.html",
    "report.th.md",
    "report.en.html",
    "report.en.md",
];

async fn run_mini(status: &str, out: &Path) {
    let server = support::mini_target(support::thing(status)).await;
    cpc(args(&[
        "run",
        "tests/suites/mini",
        "--target",
        &server.uri(),
        "--out",
        out.to_str().unwrap(),
        "--lang",
        "en",
        "--tester",
        "นางสาวสมใจ ทดสอบดี",
        "--round",
        "2",
    ]))
    .await;
}

/// Fixes what changes from run to run (times, ports, dates), so the rendering can be pinned.
fn pin(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                match key.as_str() {
                    "duration_ms" | "elapsed_ms" => *v = json!(0),
                    "started_at" => *v = json!("2026-11-23T10:15:00+07:00"),
                    "cpc_version" => *v = json!("0.0.0"),
                    // Each run's id is new.
                    "run" => v["id"] = json!("pinned-run-id"),
                    "finished_at" => *v = json!("2026-11-23T10:15:42+07:00"),
                    "target" | "url" => *v = json!(pin_port(v.as_str().unwrap_or_default())),
                    "headers" => {
                        if let Some(list) = v.as_array_mut() {
                            list.retain(|h| h[0] != "date");
                        }
                    }
                    _ => pin(v),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(pin),
        _ => {}
    }
}

fn pin_port(text: &str) -> String {
    regex::Regex::new(r"127\.0\.0\.1:\d+")
        .unwrap()
        .replace_all(text, "127.0.0.1:8080")
        .into_owned()
}

/// A run, pinned, re-rendered with `cpc report`; returns the run directory.
async fn pinned_run(status: &str) -> tempfile::TempDir {
    let out = tempfile::tempdir().unwrap();
    run_mini(status, out.path()).await;
    let results_path = out.path().join("results.json");
    let mut results: Value =
        serde_json::from_str(&std::fs::read_to_string(&results_path).unwrap()).unwrap();
    pin(&mut results);
    std::fs::write(
        &results_path,
        serde_json::to_string_pretty(&results).unwrap(),
    )
    .unwrap();
    let output = rerender(out.path()).await;
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        support::stderr(&output)
    );
    out
}

/// `cpc report DIR --lang en`.
async fn rerender(dir: &Path) -> std::process::Output {
    cpc(args(&["report", dir.to_str().unwrap(), "--lang", "en"])).await
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_run_reads_as_a_committee_expects() {
    let out = pinned_run("down").await;
    insta::assert_snapshot!("failing_th_md", read(out.path(), "report.th.md"));
    insta::assert_snapshot!("failing_th_html", read(out.path(), "report.th.html"));
    insta::assert_snapshot!("failing_en_md", read(out.path(), "report.en.md"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passing_run_reads_as_a_committee_expects() {
    let out = pinned_run("ok").await;
    let th = read(out.path(), "report.th.md");
    assert!(th.contains("## ผลการตัดสิน: **ผ่าน**"), "{th}");
    assert!(
        th.contains("ขั้นตอนที่ ๑๑ หน่วยงานมอบหมายเจ้าหน้าที่ดูแลระบบของงานบริการ"),
        "{th}"
    );
    assert!(th.contains("๒๓ พฤศจิกายน ๒๕๖๙ เวลา ๑๐:๑๕ น."), "{th}");
    insta::assert_snapshot!("passing_th_md", th);
    insta::assert_snapshot!("passing_en_html", read(out.path(), "report.en.html"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cpc_report_reproduces_a_run_byte_for_byte() {
    let out = tempfile::tempdir().unwrap();
    run_mini("down", out.path()).await;
    let names = ["results.json", "junit.xml", "gate.json"]
        .into_iter()
        .chain(REPORTS);
    let before: Vec<Vec<u8>> = names
        .clone()
        .map(|n| std::fs::read(out.path().join(n)).unwrap())
        .collect();
    let output = rerender(out.path()).await;
    assert_eq!(output.status.code(), Some(0));
    for (name, old) in names.zip(before) {
        assert_eq!(
            std::fs::read(out.path().join(name)).unwrap(),
            old,
            "{name} changed"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arabic_digits_on_request_and_bad_results_are_named() {
    let out = pinned_run("ok").await;
    let output = cpc(args(&[
        "report",
        out.path().to_str().unwrap(),
        "--arabic-digits",
    ]))
    .await;
    assert_eq!(output.status.code(), Some(0));
    assert!(read(out.path(), "report.th.md").contains("23 พฤศจิกายน 2569 เวลา 10:15 น."));

    std::fs::write(out.path().join("results.json"), "{\"cpc_version\": 3}").unwrap();
    let output = cpc(args(&["report", out.path().to_str().unwrap()])).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(
        support::stderr(&output).contains("results.json:1:"),
        "{}",
        support::stderr(&output)
    );

    // Rebuilt from the stream, a case the run did not plan is not taken in.
    std::fs::remove_file(out.path().join("results.json")).unwrap();
    let stream = out.path().join("results.jsonl");
    let text = std::fs::read_to_string(&stream).unwrap();
    let case = text
        .lines()
        .find(|l| l.starts_with(r#"{"event":"case""#) && l.contains("MINI-001"))
        .unwrap();
    let forged = case.replace("MINI-001", "MINI-999");
    std::fs::write(&stream, format!("{text}{forged}\n")).unwrap();
    let output = cpc(args(&["report", out.path().to_str().unwrap()])).await;
    assert_eq!(output.status.code(), Some(2));
    let said = support::stderr(&output);
    assert!(
        said.contains("case `MINI-999` is not in the run's plan"),
        "{said}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_and_no_national_id_in_any_report() {
    let out = tempfile::tempdir().unwrap();
    run_mini("down", out.path()).await;
    for name in REPORTS {
        let text = read(out.path(), name);
        assert!(!text.contains("mini-secret-token"), "{name}");
        assert!(!text.contains("1101401234566"), "{name}");
        assert!(
            text.contains("1-1014-xxxxx-xx-6"),
            "{name}: the masked ID should be there"
        );
    }
}
