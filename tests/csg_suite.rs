//! The bundled CSG suite against the built-in reference e-service: it passes the gate as it
//! is, and every fault switch fails it, naming exactly the requirements that fault breaks.

mod support;

use std::process::Output;

use cpc::reference::Fault;
use serde_json::{Value, json};
use support::{args, cpc, read_json, stdout};

/// At most this many runs at once across the tests of this file: the load step's latency
/// (TP-10.1) must not suffer from the tests' own contention on a 2-core machine.
static RUNS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(3);

async fn run_reference(extra: &[&str]) -> (Output, Value, tempfile::TempDir) {
    let _turn = RUNS.acquire().await.unwrap();
    let out = tempfile::tempdir().unwrap();
    let mut list = args(&[
        "run",
        "suites/csg",
        "--target",
        "reference",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    list.extend(args(extra));
    let output = cpc(list).await;
    let gate = read_json(&out.path().join("gate.json"));
    (output, gate, out)
}

fn ids(list: &Value) -> Vec<String> {
    let mut ids: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_passes_the_gate() {
    let (output, gate, out) = run_reference(&[]).await;
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert_eq!(gate["verdict"], "pass");
    assert_eq!(gate["next_step"], 11);
    assert_eq!(gate["reference_target"], true);
    assert_eq!(gate["failed_must"], json!([]));
    assert_eq!(gate["observations"], json!([]));
    // TP-2.5 (HTTPS in production) is the one clause a test environment cannot show.
    assert_eq!(gate["untested"], json!(["TP-2.5"]));
    assert_eq!(gate["cases"]["passed"], gate["cases"]["total"]);
    assert!(stdout(&output).contains("ผลการตัดสิน: ผ่าน"));
    // A passing schema check says the body matches, never that it does not.
    let results = read_json(&out.path().join("results.json"));
    let schema_checks: Vec<&Value> = results["cases"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["steps"].as_array().into_iter().flatten())
        .flat_map(|s| s["checks"].as_array().into_iter().flatten())
        .filter(|c| c["check"].as_str().unwrap().starts_with("schema "))
        .collect();
    assert!(!schema_checks.is_empty());
    for check in schema_checks {
        assert_eq!(check["outcome"], "pass");
        assert_eq!(
            check["message"]["en"], "the body matches the JSON Schema",
            "{check}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_is_caught_naming_its_requirements() {
    // The slow ones (waiting out the proposal's 10 s and 60 s windows) start first; each run
    // is a separate cpc process with its own reference and portal.
    let mut faults: Vec<Fault> = Fault::all().to_vec();
    let slow = [
        Fault::NoRetry,
        Fault::SlowSubmit,
        Fault::NoCallback,
        Fault::NoToken,
    ];
    faults.sort_by_key(|f| !slow.contains(f));
    let mut runs = tokio::task::JoinSet::new();
    for fault in faults {
        runs.spawn(async move { (fault, run_reference(&["--fault", &fault.name()]).await) });
    }
    while let Some(joined) = runs.join_next().await {
        let (fault, (output, gate, _out)) = joined.unwrap();
        let mut expected: Vec<String> = fault.breaks().iter().map(|s| s.to_string()).collect();
        expected.sort();
        if fault == Fault::Mojibake {
            // A `should` clause: an observation; the gate still passes.
            assert_eq!(ids(&gate["observations"]), expected, "{fault:?}");
            assert_eq!(gate["verdict"], "pass", "{fault:?}");
            continue;
        }
        assert_eq!(
            ids(&gate["failed_must"]),
            expected,
            "{fault:?}\n{}",
            stdout(&output)
        );
        assert_eq!(output.status.code(), Some(1), "{fault:?}");
    }
}

/// A standalone run of exactly 13 digits (not part of a longer number, a hex digest or a
/// word): an unmasked national ID.
fn unmasked_id(text: &str) -> Option<String> {
    regex::Regex::new(r"(^|[^0-9A-Za-z])([0-9]{13})($|[^0-9A-Za-z])")
        .unwrap()
        .captures(text)
        .map(|c| c[2].to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_and_no_national_id_appears_in_any_output() {
    let (output, _gate, out) = run_reference(&["--lang", "en"]).await;
    let mut all = stdout(&output) + &support::stderr(&output);
    for entry in std::fs::read_dir(out.path()).unwrap() {
        all.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    for secret in ["csg-portal-token", "csg-portal-key", "csg-agency-key"] {
        assert!(!all.contains(secret), "{secret} leaked");
    }
    assert_eq!(unmasked_id(&all), None);
    // The IDs were there to leak: requests and status answers carry them, masked.
    assert!(all.matches("-xxxxx-xx-").count() > 50);
}
