//! The load step: percentiles reflect a known delay; failures are counted by status.

mod support;

use std::time::Duration;

use serde_json::Value;
use support::{args, cpc, read_json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn run_case(server: &MockServer, case: &str) -> Value {
    let out = tempfile::tempdir().unwrap();
    cpc(args(&[
        "run",
        "tests/suites/load",
        "--target",
        &server.uri(),
        "--case",
        case,
        "--out",
        out.path().to_str().unwrap(),
    ]))
    .await;
    let results = read_json(&out.path().join("results.json"));
    results["cases"][0]["steps"][0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn percentiles_reflect_a_known_delay() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/slow"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(200)))
        .mount(&server)
        .await;
    let step = run_case(&server, "LOAD-SLOW").await;
    let load = &step["load"];
    assert_eq!(load["requests"], 20);
    assert_eq!(load["errors"], 0);
    assert_eq!(load["outcomes"]["200"], 20);
    let latency = &load["latency_ms"];
    for q in ["min", "p50", "p95", "p99", "max"] {
        let ms = latency[q].as_f64().unwrap();
        // Every request waited the target's 200 ms; none can be faster.
        assert!(ms >= 200.0, "{q} = {ms} ms");
    }
    assert!(latency["p50"].as_f64() <= latency["p99"].as_f64());
    assert_eq!(step["outcome"], "pass", "{step}");
    // 4 users, 20 requests of 200 ms: at most about 20 requests per second.
    assert!(load["throughput_rps"].as_f64().unwrap() <= 20.5, "{load}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_counted_and_judged() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/flaky"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(5)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/flaky"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let step = run_case(&server, "LOAD-FLAKY").await;
    let load = &step["load"];
    assert_eq!(load["requests"], 20);
    assert_eq!(load["errors"], 5);
    assert_eq!(load["error_rate"], 0.25);
    assert_eq!(load["outcomes"], serde_json::json!({"200": 15, "503": 5}));
    assert_eq!(load["error_samples"][0], "GET /flaky → 503");
    assert_eq!(step["outcome"], "fail");
    let check = &step["checks"][0];
    assert_eq!(check["check"], "error rate");
    assert_eq!(check["actual"], "0.25");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn percentiles_are_of_successful_answers_only() {
    // Every answer is a fast 500: there is no latency to judge, so the p95 check fails.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/broken"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let step = run_case(&server, "LOAD-RESET").await;
    let load = &step["load"];
    assert_eq!(load["requests"], 10);
    assert_eq!(load["successes"], 0);
    assert_eq!(load["throughput_rps"], 0.0);
    assert_eq!(step["outcome"], "fail", "{step}");
    let check = &step["checks"][0];
    assert_eq!(check["check"], "latency p95");
    assert_eq!(check["actual"], "no successful answer");
}

/// Records when each request arrived.
struct Arrivals(std::sync::Arc<std::sync::Mutex<Vec<std::time::Instant>>>);

impl wiremock::Match for Arrivals {
    fn matches(&self, _: &wiremock::Request) -> bool {
        self.0.lock().unwrap().push(std::time::Instant::now());
        true
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paced_rate_is_kept_and_answers_are_counted_by_status() {
    let server = MockServer::start().await;
    let arrivals = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    // The first ten are served, the rest refused: a rate limit of ten.
    Mock::given(path("/limited"))
        .and(Arrivals(arrivals.clone()))
        .respond_with(ResponseTemplate::new(200))
        .up_to_n_times(10)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path("/limited"))
        .respond_with(ResponseTemplate::new(429))
        .with_priority(2)
        .mount(&server)
        .await;
    let step = run_case(&server, "LOAD-PACED").await;
    let load = &step["load"];
    assert_eq!(load["requests"], 20, "{load}");
    assert_eq!(step["outcome"], "pass", "{step}");
    // Paced at 20/s: the first ten arrived over about half a second, not in a burst.
    let arrivals = arrivals.lock().unwrap().clone();
    let spread = arrivals.last().unwrap().duration_since(arrivals[0]);
    assert!(
        spread >= Duration::from_millis(400),
        "ten requests at 20/s took {spread:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_by_status_that_do_not_hold_fail_the_step() {
    let server = MockServer::start().await;
    Mock::given(path("/limited"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let step = run_case(&server, "LOAD-PACED").await;
    assert_eq!(step["outcome"], "fail", "{step}");
    let failed: Vec<&str> = step["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["outcome"] == "fail")
        .map(|c| c["check"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["answers 2xx", "answers 429"], "{step}");
}
