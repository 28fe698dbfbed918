//! `--rerun-failed N`: a case that fails and then passes when run again is flaky (ไม่เสถียร):
//! its must requirement does not pass, and the console, results, report and JUnit (Surefire's
//! `<flakyFailure>`, read here by python's junitparser as Jenkins and GitLab read it) say it
//! was unstable, with each attempt's evidence. A case that fails every time stays failed.

mod support;

use std::process::Command;

use support::{args, cpc, mini_target, read_json, stderr, stdout, thing};
use wiremock::Mock;
use wiremock::matchers::{method, path};

/// A target whose `/thing` answers `broken` the first `times` times, then `ok`.
async fn unstable(times: u64) -> wiremock::MockServer {
    let server = mini_target(thing("ok")).await;
    Mock::given(method("GET"))
        .and(path("/thing"))
        .respond_with(thing("broken"))
        .up_to_n_times(times)
        .with_priority(1)
        .mount(&server)
        .await;
    server
}

/// What python's junitparser (Surefire's xunit2 schema) reads of MINI-001.
fn junitparser(junit: &std::path::Path) -> serde_json::Value {
    let script = r#"
import json, sys
from junitparser.xunit2 import JUnitXml
for suite in JUnitXml.fromfile(sys.argv[1]):
    for case in suite:
        if case.name.startswith("MINI-001"):
            print(json.dumps({
                "passed": case.is_passed,
                "flaky": [f.message for f in case.flaky_failures()],
                "rerun": [f.message for f in case.rerun_failures()],
                "flaky_out": [f.system_out or "" for f in case.flaky_failures()],
            }))
"#;
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(junit)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "junitparser (pip install junitparser; .ci/test installs it): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one line of JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_that_fails_then_passes_is_flaky_everywhere_and_keeps_the_gate_shut() {
    let target = unstable(1).await;
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().to_str().unwrap();
    let run = cpc(args(&[
        "run",
        "tests/suites/mini",
        "--target",
        &target.uri(),
        "--out",
        dir,
        "--rerun-failed",
        "2",
    ]))
    .await;
    let console = stdout(&run);
    assert_eq!(run.status.code(), Some(1), "{console}{}", stderr(&run));
    assert!(
        console
            .lines()
            .any(|l| l.trim_start().starts_with("ไม่เสถียร") && l.contains("MINI-001")),
        "{console}"
    );
    assert!(console.contains("ครั้งที่ 1: ไม่ผ่าน"), "{console}");
    assert!(console.contains("ครั้งที่ 2: ไม่เสถียร"), "{console}");
    assert!(console.contains("ไม่เสถียร 1"), "{console}");

    let results = read_json(&out.path().join("results.json"));
    let case = &results["cases"][0];
    assert_eq!(case["outcome"], "flaky");
    assert_eq!(case["attempts"].as_array().unwrap().len(), 1);
    assert_eq!(case["attempts"][0]["outcome"], "fail");
    // The failed attempt keeps its evidence: what came back, masked.
    let evidence = case["attempts"][0]["steps"][0].to_string();
    assert!(
        evidence.contains("broken") && !evidence.contains("1101401234566"),
        "{evidence}"
    );

    let gate = read_json(&out.path().join("gate.json"));
    assert_eq!(gate["verdict"], "fail");
    assert_eq!(gate["failed_must"], serde_json::json!(["R-1"]));
    assert_eq!(gate["requirements"][0]["result"], "flaky");
    assert_eq!(gate["cases"]["flaky"], 1);

    let html = std::fs::read_to_string(out.path().join("report.th.html")).unwrap();
    assert!(
        html.contains("r-flaky") && html.contains("ครั้งที่ 1 · request 1"),
        "report"
    );

    let junit = junitparser(&out.path().join("junit.xml"));
    assert_eq!(junit["passed"], true, "{junit}");
    assert_eq!(junit["flaky"].as_array().unwrap().len(), 1, "{junit}");
    assert!(
        junit["flaky"][0].as_str().unwrap().contains("$.status"),
        "{junit}"
    );
    assert!(
        junit["flaky_out"][0].as_str().unwrap().contains("broken"),
        "{junit}"
    );
    assert_eq!(junit["rerun"], serde_json::json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_that_always_fails_is_failed_with_each_rerun_and_without_reruns_nothing_changes() {
    let target = unstable(10).await;
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().to_str().unwrap();
    let run = cpc(args(&[
        "run",
        "tests/suites/mini",
        "--target",
        &target.uri(),
        "--out",
        dir,
        "--rerun-failed",
        "2",
    ]))
    .await;
    assert_eq!(run.status.code(), Some(1), "{}", stderr(&run));
    let results = read_json(&out.path().join("results.json"));
    assert_eq!(results["cases"][0]["outcome"], "fail");
    assert_eq!(results["cases"][0]["attempts"].as_array().unwrap().len(), 2);
    let junit = junitparser(&out.path().join("junit.xml"));
    assert_eq!(junit["passed"], false);
    assert_eq!(junit["rerun"].as_array().unwrap().len(), 2, "{junit}");
    assert_eq!(junit["flaky"], serde_json::json!([]));

    // Without --rerun-failed, the first answer decides: failed, no attempts.
    let target = unstable(1).await;
    let run = cpc(args(&[
        "run",
        "tests/suites/mini",
        "--target",
        &target.uri(),
        "--out",
        dir,
    ]))
    .await;
    assert_eq!(run.status.code(), Some(1));
    let results = read_json(&out.path().join("results.json"));
    assert_eq!(results["cases"][0]["outcome"], "fail");
    assert!(results["cases"][0].get("attempts").is_none());
}
