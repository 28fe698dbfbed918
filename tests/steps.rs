//! The existing steps do what the docs say: two parallel cases overriding the same portal path
//! each see their own answers (or run alone, and the console says so); `quiet_ms` is watched in
//! full; a `wait` honours a captured `Retry-After`; a path can be a captured `Location`; a
//! partly tested requirement is said to be so.

mod support;

use serde_json::Value;
use support::{args, cpc, read_json, stderr, stdout};

fn case<'a>(results: &'a Value, id: &str) -> &'a Value {
    results["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overrides_stay_in_their_case_windows_are_honoured_and_waits_wait() {
    let port = support::pay::free_port();
    let target = support::steps::start(&format!("127.0.0.1:{port}")).await;
    let out = tempfile::tempdir().unwrap();
    let output = cpc(args(&[
        "run",
        "tests/suites/steps",
        "--target",
        &target.uri(),
        "--portal-addr",
        &format!("127.0.0.1:{port}"),
        "--lang",
        "en",
        "--jobs",
        "8",
        "--out",
        out.path().to_str().unwrap(),
    ]))
    .await;
    let console = stdout(&output);
    let results = read_json(&out.path().join("results.json"));
    // Running at the same time, each case got its own answer from the same portal path.
    for id in ["STEP-OWN-A", "STEP-OWN-B"] {
        assert_eq!(case(&results, id)["outcome"], "pass", "{id}\n{console}");
    }
    // The retry came after its gap, with the same body.
    assert_eq!(
        case(&results, "STEP-RETRY")["outcome"],
        "pass",
        "{}",
        case(&results, "STEP-RETRY")
    );
    // Both calls are the await's evidence, each when it came and what it carried: the second
    // after its gap, with the same bytes.
    let retry = &case(&results, "STEP-RETRY")["steps"][1];
    let arrivals = retry["arrivals"].as_array().expect("arrivals kept");
    assert_eq!(arrivals.len(), 2, "{retry}");
    assert!(arrivals[0]["gap_ms"].is_null(), "{retry}");
    let gap = arrivals[1]["gap_ms"].as_u64().unwrap();
    assert!(gap >= 500, "{retry}");
    assert_eq!(
        arrivals[1]["after_ms"].as_i64().unwrap() - arrivals[0]["after_ms"].as_i64().unwrap(),
        gap as i64
    );
    assert_eq!(arrivals[0]["sha256"], arrivals[1]["sha256"], "{retry}");
    assert_eq!(arrivals[0]["sha256"].as_str().unwrap().len(), 64);
    for a in arrivals {
        assert_eq!(a["path"], "/webhook", "{a}");
        assert_eq!(a["exchange"]["request"]["method"], "POST", "{a}");
    }
    // `since:` is strict: the webhook of the step before `later` does not count in its window.
    assert_eq!(
        case(&results, "STEP-SINCE")["outcome"],
        "pass",
        "{}",
        case(&results, "STEP-SINCE")
    );
    // Overrides that cannot be told apart: those cases ran alone, and the console said so.
    for id in ["STEP-SHARED-A", "STEP-SHARED-B"] {
        assert_eq!(case(&results, id)["outcome"], "pass", "{id}\n{console}");
        assert!(
            console.contains(&format!("{id} runs alone (no other case beside it)")),
            "{console}"
        );
    }
    assert!(!console.contains("STEP-OWN-A runs alone"), "{console}");
    // The second call came after `within_ms` but inside `quiet_ms`: it was seen.
    let quiet = case(&results, "STEP-QUIET");
    assert_eq!(quiet["outcome"], "fail", "{quiet}");
    let count = &quiet["steps"][1]["checks"][0];
    assert_eq!(count["actual"], "2", "{count}");
    assert!(quiet["duration_ms"].as_u64().unwrap() >= 3000, "{quiet}");
    // The wait honoured the captured Retry-After; the captured Location was the next path.
    assert_eq!(case(&results, "STEP-WAIT")["outcome"], "pass", "{console}");
    assert_eq!(
        case(&results, "STEP-LOCATION")["outcome"],
        "pass",
        "{console}"
    );

    // S-5 is tested only in part: the gate, the console, JUnit and the report say so.
    let gate = read_json(&out.path().join("gate.json"));
    assert_eq!(gate["partly_tested"][0]["id"], "S-5");
    assert!(
        console.contains("Partly tested: S-5 — only a Location that is a path is tested"),
        "{console}"
    );
    let junit = std::fs::read_to_string(out.path().join("junit.xml")).unwrap();
    assert!(
        junit.contains(r#"<property name="cpc.partly_tested" value="S-5: only a Location that is a path is tested, not a full URL"/>"#),
        "{junit}"
    );
    let report = std::fs::read_to_string(out.path().join("report.th.md")).unwrap();
    assert!(
        report.contains("ทดสอบเพียงบางส่วน: ทดสอบเฉพาะ Location ที่เป็น path"),
        "{report}"
    );
}

/// Records when each request arrived, by path.
struct Arrivals(std::sync::Arc<std::sync::Mutex<Vec<(String, std::time::Instant)>>>);

impl wiremock::Match for Arrivals {
    fn matches(&self, request: &wiremock::Request) -> bool {
        self.0
            .lock()
            .unwrap()
            .push((request.url.path().to_string(), std::time::Instant::now()));
        true
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exclusive_case_runs_with_no_other_case_beside_it() {
    let work = tempfile::tempdir().unwrap();
    let suite = work.path().join("x");
    support::copy_dir(&support::repo().join("tests/suites/mini"), &suite);
    std::fs::remove_dir_all(suite.join("cases")).unwrap();
    std::fs::create_dir(suite.join("cases")).unwrap();
    let case = |id: &str, exclusive: bool| {
        format!(
            "  - id: {id}\n    title_th: กรณี {id}\n    requirements: [R-1, R-2]\n    exclusive: {exclusive}\n    steps:\n      - request: {{ method: GET, path: /{id} }}\n        expect: {{ status: 200 }}\n"
        )
    };
    let cases = format!(
        "cases:\n{}{}{}",
        case("A", false),
        case("C", false),
        case("B", true)
    );
    std::fs::write(suite.join("cases/x.yaml"), cases).unwrap();
    let arrivals = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let target = wiremock::MockServer::start().await;
    wiremock::Mock::given(Arrivals(arrivals.clone()))
        .respond_with(
            wiremock::ResponseTemplate::new(200).set_delay(std::time::Duration::from_millis(400)),
        )
        .mount(&target)
        .await;
    let out = work.path().join("out");
    let run = cpc(args(&[
        "run",
        suite.to_str().unwrap(),
        "--target",
        &target.uri(),
        "--jobs",
        "3",
        "--out",
        out.to_str().unwrap(),
    ]))
    .await;
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}{}",
        stdout(&run),
        stderr(&run)
    );
    assert!(
        stdout(&run).contains("B ทดสอบแยกเดี่ยว") || stdout(&run).contains("B runs alone"),
        "{}",
        stdout(&run)
    );
    let arrivals = arrivals.lock().unwrap().clone();
    let at = |path: &str| arrivals.iter().find(|(p, _)| p == path).unwrap().1;
    let apart = |a: std::time::Instant, b: std::time::Instant| {
        a.max(b).duration_since(a.min(b)) >= std::time::Duration::from_millis(350)
    };
    assert!(
        apart(at("/B"), at("/A")) && apart(at("/B"), at("/C")),
        "B overlapped another case: {arrivals:?}"
    );
    assert!(
        !apart(at("/A"), at("/C")),
        "A and C run side by side: {arrivals:?}"
    );
}
