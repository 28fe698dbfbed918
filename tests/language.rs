//! The suite language on a second service (suites/pay, against tests/support/pay.rs):
//! the suite passes against a good agency, and each broken rule fails exactly its requirement.

mod support;

use serde_json::Value;
use support::pay::{self, Break};
use support::{args, cpc, read_json, stdout};

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

async fn run(broken: Option<Break>) -> (std::process::Output, Value, Value) {
    run_with(broken, &[]).await
}

async fn run_with(broken: Option<Break>, extra: &[&str]) -> (std::process::Output, Value, Value) {
    let port = pay::free_port();
    let agency = pay::start(broken, &format!("http://127.0.0.1:{port}")).await;
    let out = tempfile::tempdir().unwrap();
    let mut list = args(&[
        "run",
        "suites/pay",
        "--target",
        &agency.uri(),
        "--portal-addr",
        &format!("127.0.0.1:{port}"),
        "--lang",
        "en",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    list.extend(args(extra));
    let output = cpc(list).await;
    let gate = read_json(&out.path().join("gate.json"));
    let results = read_json(&out.path().join("results.json"));
    (output, gate, results)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_second_service_passes_against_a_good_agency() {
    let (output, gate, results) = run(None).await;
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert_eq!(gate["verdict"], "pass");
    // Every invariant judged something; the envelope one every JSON answer.
    for inv in gate["invariants"].as_array().unwrap() {
        assert_eq!(inv["result"], "pass", "{inv}");
        assert!(inv["checked"].as_u64().unwrap() > 0, "{inv}");
    }
    // The notification's delay is measured from the payment result.
    let notified = results["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "PAY-NOTIFY-001")
        .unwrap()["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "await")
        .unwrap()
        .clone();
    assert!(notified["delay_ms"].as_u64().unwrap() < 5000, "{notified}");
    // The list was followed over more than one page (60 orders or more, 50 a page).
    let listed = results["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "PAY-LIST-001")
        .unwrap()["steps"][0]
        .clone();
    assert_eq!(listed["kind"], "follow", "{listed}");
    assert!(listed["attempts"].as_u64().unwrap() >= 2, "{listed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_broken_rule_fails_exactly_its_requirement() {
    let cases: [(Break, &[&str], &[&str]); 18] = [
        (Break::Auth, &["PAY-1"], &[]),
        // The bare answer has no message either: the Thai check (a should clause) fails too.
        (Break::Envelope, &["PAY-2"], &["PAY-7"]),
        (Break::Ref1, &["PAY-3"], &[]),
        (Break::LateNotify, &["PAY-4"], &[]),
        // The portal refuses the notification: where PAY-11's case awaits it too, the
        // portal-side invariant fails there as well.
        (Break::NoBearer, &["PAY-11", "PAY-4"], &[]),
        (Break::Hash, &["PAY-5"], &[]),
        (Break::NotPdf, &["PAY-5"], &[]),
        (Break::BigPage, &["PAY-6"], &[]),
        (Break::DuplicateIds, &["PAY-6"], &[]),
        // Mojibake in the list's message: the Thai invariant (a should clause) fails, and so
        // does the list's case where it was seen.
        (Break::Mojibake, &["PAY-6"], &["PAY-7"]),
        (Break::Xml, &["PAY-8"], &[]),
        // Every order's answer is then off the API description (`amount` is a number), so
        // PAY-16 fails, and so does each case that orders copies on its way (PAY-INV-API
        // fails the step that saw it).
        (
            Break::FeeAsText,
            &["PAY-10", "PAY-12", "PAY-14", "PAY-15", "PAY-16", "PAY-9"],
            &[],
        ),
        (Break::UploadCorrupt, &["PAY-10"], &[]),
        (Break::BadSignature, &["PAY-11"], &[]),
        (Break::NoBackoff, &["PAY-12"], &[]),
        (Break::RateLimited, &["PAY-13"], &[]),
        (Break::FormAsJson, &["PAY-14"], &[]),
        (Break::NoCopiesLimit, &["PAY-15"], &[]),
    ];
    let mut runs = tokio::task::JoinSet::new();
    for (broken, must, should) in cases {
        runs.spawn(async move { (broken, must, should, run(Some(broken)).await) });
    }
    while let Some(done) = runs.join_next().await {
        let (broken, must, should, (output, gate, _)) = done.unwrap();
        assert_eq!(
            ids(&gate["failed_must"]),
            must,
            "{broken:?}\n{}",
            stdout(&output)
        );
        assert_eq!(
            ids(&gate["observations"]),
            should,
            "{broken:?}\n{}",
            stdout(&output)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invariant_nothing_matched_is_said_to_be_not_exercised() {
    // Only the bad-token case runs: no notification reaches the portal.
    let (output, gate, _) = run_with(None, &["--case", "PAY-AUTH-001"]).await;
    let notify = gate["invariants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "PAY-INV-NOTIFY-BEARER")
        .unwrap()
        .clone();
    assert_eq!(notify["result"], "not_exercised", "{notify}");
    assert_eq!(notify["checked"], 0);
    let console = stdout(&output);
    assert!(
        console.contains("Invariants not exercised (no exchange matched): PAY-INV-NOTIFY-BEARER"),
        "{console}"
    );
    // PAY-4's case did not run and its invariant saw nothing: not run, not passed.
    let pay4 = gate["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "PAY-4")
        .unwrap()
        .clone();
    assert_eq!(pay4["result"], "not_run");
}
