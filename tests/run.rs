//! `cpc run` end to end against fake targets built with wiremock: passing, failing, hanging,
//! oversized, garbage and absent targets, and a run stopped with Ctrl-C.

mod support;

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use support::{args, cpc, read_json, stdout};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const MINI: &str = "tests/suites/mini";

async fn run_mini(uri: &str, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut list = args(&["run", MINI, "--target", uri, "--out", out.to_str().unwrap()]);
    list.extend(args(extra));
    cpc(list).await
}

fn case<'a>(results: &'a Value, id: &str) -> &'a Value {
    results["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap()
}

/// Every output file and the console, as one text, for leak checks.
fn everything(out: &Path, console: &str) -> String {
    let mut all = console.to_string();
    for name in [
        "results.json",
        "junit.xml",
        "gate.json",
        "report.th.html",
        "report.th.md",
    ] {
        all.push_str(&std::fs::read_to_string(out.join(name)).unwrap());
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passing_target_passes_the_gate_with_exit_0() {
    let server = support::mini_target(support::thing("ok")).await;
    let out = tempfile::tempdir().unwrap();
    let output = run_mini(&server.uri(), out.path(), &[]).await;
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let gate = read_json(&out.path().join("gate.json"));
    assert_eq!(gate["verdict"], "pass");
    assert_eq!(gate["next_step"], 11);
    assert_eq!(gate["failed_must"], json!([]));
    assert_eq!(gate["suite_digest"].as_str().unwrap().len(), 64);
    assert!(stdout(&output).contains("ผลการตัดสิน: ผ่าน"));

    // The request carried the secret and the ID; no output shows either.
    let all = everything(out.path(), &stdout(&output));
    assert!(!all.contains("mini-secret-token"));
    assert!(!all.contains("1101401234566"));
    assert!(all.contains("1-1014-xxxxx-xx-6"));
    let received = server.received_requests().await.unwrap();
    assert_eq!(
        received[0].headers.get("token").unwrap(),
        "mini-secret-token"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_check_fails_the_gate_and_names_the_requirement() {
    let server = support::mini_target(
        ResponseTemplate::new(200)
            .set_body_json(json!({"status": "down", "citizen_id": "1234545678789"})),
    )
    .await;
    let out = tempfile::tempdir().unwrap();
    let output = run_mini(&server.uri(), out.path(), &["--lang", "en"]).await;
    assert_eq!(output.status.code(), Some(1));
    let gate = read_json(&out.path().join("gate.json"));
    assert_eq!(gate["verdict"], "fail");
    assert_eq!(gate["next_step"], 9);
    assert_eq!(gate["failed_must"], json!(["R-1"]));
    let results = read_json(&out.path().join("results.json"));
    let checks = &case(&results, "MINI-001")["steps"][0]["checks"];
    let status = checks
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "body $.status")
        .unwrap();
    assert_eq!(status["outcome"], "fail");
    assert_eq!(status["expected"], "\"ok\"");
    assert_eq!(status["actual"], "\"down\"");
    assert_eq!(
        (
            status["place"]["line"].as_u64(),
            status["place"]["column"].as_u64()
        ),
        (Some(17), Some(13))
    );
    let id = checks
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "body $.citizen_id")
        .unwrap();
    assert_eq!(id["outcome"], "fail");
    let junit = std::fs::read_to_string(out.path().join("junit.xml")).unwrap();
    assert!(junit.contains(r#"<failure type="assertion" message="[request 1] body $.status: expected &quot;ok&quot;, got &quot;down&quot;"#), "{junit}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_target_is_an_error_within_the_timeout() {
    let server =
        support::mini_target(support::thing("ok").set_delay(Duration::from_secs(30))).await;
    let out = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let output = run_mini(&server.uri(), out.path(), &["--timeout-ms", "300"]).await;
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the run waited for the target"
    );
    assert_eq!(output.status.code(), Some(1));
    let results = read_json(&out.path().join("results.json"));
    let thing = case(&results, "MINI-001");
    assert_eq!(thing["outcome"], "error");
    assert_eq!(
        thing["steps"][0]["error"]["en"],
        "no complete response within 300 ms"
    );
    assert_eq!(case(&results, "MINI-002")["outcome"], "pass");
    let junit = std::fs::read_to_string(out.path().join("junit.xml")).unwrap();
    assert!(junit.contains(r#"<error type="error""#), "{junit}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_body_is_an_error_not_a_crash() {
    let server =
        support::mini_target(ResponseTemplate::new(200).set_body_string("x".repeat(200_000))).await;
    let out = tempfile::tempdir().unwrap();
    let output = run_mini(&server.uri(), out.path(), &["--max-body-bytes", "1000"]).await;
    assert_eq!(output.status.code(), Some(1));
    let results = read_json(&out.path().join("results.json"));
    let thing = case(&results, "MINI-001");
    assert_eq!(thing["outcome"], "error");
    assert_eq!(
        thing["steps"][0]["error"]["en"],
        "the response body exceeds the 1000-byte cap"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_bytes_are_recorded_as_binary_and_judged_as_not_json() {
    let garbage: Vec<u8> = (0..=255u8).rev().cycle().take(4096).collect();
    let server =
        support::mini_target(ResponseTemplate::new(200).set_body_raw(garbage, "application/json"))
            .await;
    let out = tempfile::tempdir().unwrap();
    let output = run_mini(&server.uri(), out.path(), &[]).await;
    assert_eq!(output.status.code(), Some(1));
    let results = read_json(&out.path().join("results.json"));
    let step = &case(&results, "MINI-001")["steps"][0];
    assert_eq!(step["outcome"], "error");
    assert_eq!(step["exchange"]["response"]["body"]["binary"], true);
    assert_eq!(step["exchange"]["response"]["body"]["bytes"], 4096);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_absent_target_is_an_error_per_case() {
    // Bind and drop a listener: nothing listens on that port afterwards.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = tempfile::tempdir().unwrap();
    let output = run_mini(&format!("http://127.0.0.1:{port}"), out.path(), &[]).await;
    assert_eq!(output.status.code(), Some(1));
    let gate = read_json(&out.path().join("gate.json"));
    assert_eq!(gate["cases"]["error"], 2);
    let results = read_json(&out.path().join("results.json"));
    let error = case(&results, "MINI-001")["steps"][0]["error"]["en"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(error.starts_with("cannot connect to the target"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partial_run_never_passes() {
    let server = support::mini_target(support::thing("ok")).await;
    let out = tempfile::tempdir().unwrap();
    let output = run_mini(&server.uri(), out.path(), &["--tag", "thing"]).await;
    assert_eq!(output.status.code(), Some(1));
    let gate = read_json(&out.path().join("gate.json"));
    assert_eq!(gate["partial"], true);
    assert_eq!(gate["verdict"], "fail");
    assert_eq!(gate["cases"]["total"], 1);
    // R-1's only case passed; R-2 was not run.
    let results: Vec<(&str, &str)> = gate["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["id"].as_str().unwrap(), r["result"].as_str().unwrap()))
        .collect();
    assert_eq!(results, [("R-1", "pass"), ("R-2", "not_run")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_keeps_what_finished_and_marks_the_rest_interrupted() {
    let server =
        support::mini_target(support::thing("ok").set_delay(Duration::from_secs(60))).await;
    let out = tempfile::tempdir().unwrap();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_cpc"))
        .args([
            "run",
            MINI,
            "--target",
            &server.uri(),
            "--out",
            out.path().to_str().unwrap(),
        ])
        .args(["--timeout-ms", "120000"])
        .current_dir(support::repo())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the fast case is written, then interrupt the slow one.
    let results_path = out.path().join("results.json");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !results_path.exists() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The shell's own `kill`, so no extra package is needed.
    let sent = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("kill -INT {}", child.id()))
        .status()
        .unwrap();
    assert!(sent.success());
    let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(130), "{}", stdout(&output));
    let gate = read_json(&out.path().join("gate.json"));
    assert_eq!(gate["interrupted"], true);
    assert_eq!(gate["verdict"], "fail");
    let results = read_json(&results_path);
    assert_eq!(case(&results, "MINI-002")["outcome"], "pass");
    assert_eq!(case(&results, "MINI-001")["outcome"], "interrupted");
    let junit = std::fs::read_to_string(out.path().join("junit.xml")).unwrap();
    assert!(junit.contains(r#"type="interrupted""#), "{junit}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_errors_exit_2() {
    let out = tempfile::tempdir().unwrap();
    let o = out.path().to_str().unwrap();
    for bad in [
        args(&[
            "run",
            MINI,
            "--target",
            "http://127.0.0.1:9",
            "--out",
            o,
            "--case",
            "NOPE",
        ]),
        args(&[
            "run",
            MINI,
            "--target",
            "http://127.0.0.1:9",
            "--out",
            o,
            "--var",
            "nope=1",
        ]),
        args(&["run", MINI, "--target", "not a url", "--out", o]),
        args(&[
            "run",
            "tests/suites/does-not-exist",
            "--target",
            "http://127.0.0.1:9",
            "--out",
            o,
        ]),
    ] {
        let output = cpc(bad.clone()).await;
        assert_eq!(
            output.status.code(),
            Some(2),
            "{bad:?}: {}",
            support::stderr(&output)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn captures_polling_and_environment_variables_work_together() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/jobs"))
        .respond_with(
            ResponseTemplate::new(201)
                .insert_header("Location", "/jobs/7")
                .set_body_json(json!({"id": 7})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/jobs/7"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"id": 7, "state": "pending"})),
        )
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/jobs/7"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": 7, "state": "done"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/echo"))
        .and(wiremock::matchers::header(
            "X-Key",
            "key-from-the-environment",
        ))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let out = tempfile::tempdir().unwrap();
    let o = out.path().to_str().unwrap().to_string();
    let uri = server.uri();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_cpc"))
            .args(["run", "tests/suites/flow", "--target", &uri, "--out", &o])
            .env("CPC_TEST_API_KEY", "key-from-the-environment")
            .current_dir(support::repo())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let results = read_json(&out.path().join("results.json"));
    let steps = &case(&results, "FLOW-001")["steps"];
    assert_eq!(steps[1]["attempts"], 3);
    assert_eq!(steps[1]["kind"], "poll");
    let all = everything(out.path(), &stdout(&output));
    assert!(!all.contains("key-from-the-environment"));
    assert!(all.contains(r#"["X-Key","***"]"#), "{all}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_variable_without_a_value_stops_the_run_before_it_starts() {
    let out = tempfile::tempdir().unwrap();
    let output = cpc(args(&[
        "run",
        "tests/suites/flow",
        "--target",
        "http://127.0.0.1:9",
        "--out",
        out.path().to_str().unwrap(),
    ]))
    .await;
    assert_eq!(output.status.code(), Some(2));
    assert!(
        support::stderr(&output).contains(
            "variable `api_key` has no value: give --var api_key=… or set CPC_TEST_API_KEY"
        )
    );
}

#[tokio::test]
async fn a_proxy_named_in_the_environment_carries_the_requests() {
    // A "proxy" that records the request line of each connection and answers 502.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy = format!("http://{}", listener.local_addr().unwrap());
    let (lines, seen) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::{BufRead, Write};
        for stream in listener.incoming().flatten() {
            let mut reader = std::io::BufReader::new(stream);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let _ = lines.send(line);
            let _ = reader.get_mut().write_all(
                b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    let out = tempfile::tempdir().unwrap();
    let output = tokio::task::spawn_blocking({
        let out = out.path().to_path_buf();
        move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_cpc"))
                .args(["run", MINI, "--target", "http://agency.invalid:8080"])
                .arg("--out")
                .arg(out)
                .current_dir(support::repo())
                .env("CPC_HISTORY", "off")
                .env("HTTP_PROXY", &proxy)
                .env_remove("NO_PROXY")
                .env_remove("no_proxy")
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let line = seen.recv_timeout(Duration::from_secs(5)).unwrap();
    // The absolute form a client sends to a proxy: the target never had to resolve.
    assert!(
        line.starts_with("GET http://agency.invalid:8080/"),
        "{line:?}"
    );
}

/// The mini suite with one invariant: every answer is JSON, `when` as given.
async fn mini_with_invariant(when: &str) -> (serde_json::Value, String) {
    let work = tempfile::tempdir().unwrap();
    let suite = work.path().join("mini");
    support::copy_dir(&support::repo().join("tests/suites/mini"), &suite);
    std::fs::write(
        suite.join("invariants.yaml"),
        format!(
            "invariants:\n  - id: INV-JSON\n    title_th: ทุกคำตอบเป็น JSON\n    requirements: [R-1]\n    when: {when}\n    expect:\n      headers: {{ Content-Type: {{ matches: json }} }}\n"
        ),
    )
    .unwrap();
    let target = support::mini_target(support::thing("ok")).await;
    let out = work.path().join("out");
    let run = run_against(&suite, &target, &out).await;
    (read_json(&out.join("gate.json")), stdout(&run))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_in_an_invariant_leaves_out_what_it_matches() {
    // /health answers 204 without a body: not JSON.
    let (gate, said) = mini_with_invariant("{ status: 2xx }").await;
    assert_eq!(gate["verdict"], "fail", "{said}");
    let (gate, said) = mini_with_invariant("{ status: 2xx, not: { path_matches: /health } }").await;
    assert_eq!(gate["verdict"], "pass", "{said}");
    // `not` with more than one thing leaves out only what matches them all.
    let (gate, said) =
        mini_with_invariant("{ not: { path_matches: /health, method: POST } }").await;
    assert_eq!(gate["verdict"], "fail", "{said}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_default_header_removed_on_the_request_that_obtains_its_value_is_not_rendered() {
    let work = tempfile::tempdir().unwrap();
    let suite = work.path().join("t");
    support::copy_dir(&support::repo().join("tests/suites/mini"), &suite);
    only_cases(&suite);
    let meta = std::fs::read_to_string(suite.join("suite.yaml"))
        .unwrap()
        .replace(
            "Token: \"{{ token }}\"",
            "Authorization: \"Bearer {{ issued }}\"",
        );
    std::fs::write(suite.join("suite.yaml"), meta).unwrap();
    std::fs::write(
        suite.join("cases/t.yaml"),
        "cases:\n  - id: T-1\n    title_th: ขอ token แล้วใช้\n    requirements: [R-1, R-2]\n    steps:\n      - request:\n          method: POST\n          path: /token\n          headers: { Authorization: null }\n        capture: { issued: $.token }\n      - request: { method: GET, path: /thing }\n        expect: { status: 200 }\n",
    )
    .unwrap();
    let target = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"token": "t0k3n-abc"})))
        .mount(&target)
        .await;
    Mock::given(method("GET"))
        .and(path("/thing"))
        .and(wiremock::matchers::header(
            "Authorization",
            "Bearer t0k3n-abc",
        ))
        .respond_with(ResponseTemplate::new(200))
        .mount(&target)
        .await;
    let checked = cpc(args(&["validate", suite.to_str().unwrap()])).await;
    assert_eq!(checked.status.code(), Some(0));
    let out = work.path().join("out");
    let run = run_against(&suite, &target, &out).await;
    assert_eq!(run.status.code(), Some(0), "{}", stdout(&run));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_and_regex_captures_follow_what_the_answers_say() {
    let work = tempfile::tempdir().unwrap();
    let suite = work.path().join("t");
    support::copy_dir(&support::repo().join("tests/suites/mini"), &suite);
    only_cases(&suite);
    std::fs::write(
        suite.join("cases/t.yaml"),
        r#"cases:
  - id: PAGE-1
    title_th: ตามลิงก์หน้าถัดไปจนหมด
    requirements: [R-1, R-2]
    steps:
      - request: { method: GET, path: /items, query: { page: "1" } }
        capture:
          next: { link: next }
          thing: { header: Location, regex: '/things/(\d+)$' }
          code: { body: true, regex: '"code":\s*"(?P<value>[A-Z]+-\d+)"' }
          pages: { json: $.page, all: true }
      - request: { method: GET, url: "{{ next }}" }
        expect: { body: { $.page: { equals: 2 } } }
        capture:
          after: { link: next, optional: true }
      - request: { method: GET, path: "/things/{{ thing }}/{{ code }}", json: { pages: "{{ pages }}" } }
        expect: { status: 200 }
"#,
    )
    .unwrap();
    let target = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/items"))
        .and(wiremock::matchers::query_param("page", "1"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header(
                    "Link",
                    r#"</items?page=2>; rel="next", </items?page=9>; rel="last""#,
                )
                .insert_header("Location", "/things/42")
                .set_body_raw(r#"{"page": 1, "code":  "ORD-7"}"#, "application/json"),
        )
        .mount(&target)
        .await;
    Mock::given(method("GET"))
        .and(path("/items"))
        .and(wiremock::matchers::query_param("page", "2"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Link", r#"</items?page=1>; rel="prev""#)
                .set_body_json(json!({"page": 2})),
        )
        .mount(&target)
        .await;
    Mock::given(method("GET"))
        .and(path("/things/42/ORD-7"))
        // `all: true` made one node a list.
        .and(wiremock::matchers::body_json(json!({"pages": [1]})))
        .respond_with(ResponseTemplate::new(200))
        .mount(&target)
        .await;
    let out = work.path().join("out");
    let run = run_against(&suite, &target, &out).await;
    assert_eq!(run.status.code(), Some(0), "{}", stdout(&run));
}

/// A list of three pages, linked by `Link: rel="next"`; `third` is page 3's ids.
async fn paged_target(third: &[u64]) -> MockServer {
    let target = MockServer::start().await;
    let pages: [&[u64]; 3] = [&[1, 2], &[3, 4], third];
    for (i, ids) in pages.iter().enumerate() {
        let page = i + 1;
        let mut answer = ResponseTemplate::new(200).set_body_json(
            json!({"page": page, "items": ids.iter().map(|id| json!({"id": id})).collect::<Vec<_>>()}),
        );
        if page < 3 {
            // Relative to the page (RFC 8288 §3.2): `?page=2` is /list?page=2.
            answer = answer.insert_header("Link", format!("<?page={}>; rel=\"next\"", page + 1));
        }
        Mock::given(method("GET"))
            .and(path("/list"))
            .and(wiremock::matchers::query_param("page", page.to_string()))
            .respond_with(answer)
            .mount(&target)
            .await;
    }
    target
}

/// Runs a `follow` over the paged list; the step's result.
async fn follow(target: &MockServer, max_pages: u32) -> Value {
    let work = tempfile::tempdir().unwrap();
    let suite = work.path().join("t");
    support::copy_dir(&support::repo().join("tests/suites/mini"), &suite);
    only_cases(&suite);
    std::fs::write(
        suite.join("cases/t.yaml"),
        format!(
            r#"cases:
  - id: LIST-1
    title_th: ทุกรายการครั้งเดียว ตามลำดับ ครบ 6 รายการ
    requirements: [R-1, R-2]
    steps:
      - follow:
          request: {{ method: GET, path: /list, query: {{ page: "1" }} }}
          next: {{ link: next }}
          max_pages: {max_pages}
          items: $.items[*]
          union:
            unique: $.id
            order: {{ by: $.id }}
            count: {{ equals: 6 }}
        expect: {{ status: 200, body: {{ $.items: {{ length: {{ max: 2 }} }} }} }}
"#
        ),
    )
    .unwrap();
    let out = work.path().join("out");
    run_against(&suite, target, &out).await;
    read_json(&out.join("results.json"))["cases"][0]["steps"][0].clone()
}

fn failed_checks(step: &Value) -> Vec<String> {
    step["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["outcome"] != "pass")
        .map(|c| c["check"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_pages_along_links_and_judges_the_union() {
    let good = follow(&paged_target(&[5, 6]).await, 10).await;
    assert_eq!(good["outcome"], "pass", "{good}");
    assert_eq!(good["attempts"], 3, "three pages: {good}");

    // A page that repeats an earlier item, so out of order too.
    let repeated = follow(&paged_target(&[2, 6]).await, 10).await;
    assert_eq!(
        failed_checks(&repeated),
        ["every item once", "items in order"],
        "{repeated}"
    );
    let short = follow(&paged_target(&[5]).await, 10).await;
    assert_eq!(failed_checks(&short), ["item count"], "{short}");

    let bounded = follow(&paged_target(&[5, 6]).await, 2).await;
    assert_eq!(failed_checks(&bounded), ["pages"], "{bounded}");
}

/// A mini suite whose one case checks the answer's signature and timestamp.
async fn signed(signature: &str, timestamp: &str) -> Value {
    let work = tempfile::tempdir().unwrap();
    let suite = work.path().join("t");
    support::copy_dir(&support::repo().join("tests/suites/mini"), &suite);
    let meta = std::fs::read_to_string(suite.join("suite.yaml")).unwrap()
        + "  hook_secret:\n    default: whsec-0123456789\n    secret: true\n";
    std::fs::write(suite.join("suite.yaml"), meta).unwrap();
    only_cases(&suite);
    std::fs::write(
        suite.join("cases/t.yaml"),
        r#"cases:
  - id: SIG-1
    title_th: ลายมือชื่อและเวลาถูกต้อง
    requirements: [R-1, R-2]
    steps:
      - request: { method: GET, path: /signed }
        expect:
          signature:
            header: X-Signature
            secret: "{{ hook_secret }}"
            message: "{{ answer.header('X-Timestamp') }}."
            prefix: "sha256="
          timestamp: { header: X-Timestamp, within_s: 300 }
"#,
    )
    .unwrap();
    let target = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/signed"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("X-Signature", signature)
                .insert_header("X-Timestamp", timestamp)
                .set_body_raw("{\"paid\":true}", "application/json"),
        )
        .mount(&target)
        .await;
    let out = work.path().join("out");
    run_against(&suite, &target, &out).await;
    read_json(&out.join("results.json"))["cases"][0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signature_and_a_timestamp_are_judged_with_the_suite_secret() {
    let now = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs())
    .to_string();
    let sign = |ts: &str, key: &[u8]| {
        let mac = cpc::check::signature::hmac_sha256(
            key,
            format!("{ts}.").as_bytes(),
            b"{\"paid\":true}",
        );
        format!(
            "sha256={}",
            mac.iter().map(|b| format!("{b:02x}")).collect::<String>()
        )
    };
    let good = signed(&sign(&now, b"whsec-0123456789"), &now).await;
    assert_eq!(good["outcome"], "pass", "{good}");
    let forged = signed(&sign(&now, b"another-secret"), &now).await;
    assert_eq!(forged["outcome"], "fail", "{forged}");
    let stale_ts = "1000000000";
    let stale = signed(&sign(stale_ts, b"whsec-0123456789"), stale_ts).await;
    let failed: Vec<&str> = stale["steps"][0]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["outcome"] == "fail")
        .map(|c| c["check"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["timestamp X-Timestamp"], "{stale}");
    // The secret and the signatures made with it are in no output.
    assert!(!good.to_string().contains("whsec-0123456789"));
}

/// The suite at `suite` without its case files (a test writes its own).
fn only_cases(suite: &Path) {
    std::fs::remove_dir_all(suite.join("cases")).unwrap();
    std::fs::create_dir(suite.join("cases")).unwrap();
}

/// `cpc run SUITE --target TARGET --out OUT`.
async fn run_against(suite: &Path, target: &MockServer, out: &Path) -> std::process::Output {
    cpc(args(&[
        "run",
        suite.to_str().unwrap(),
        "--target",
        &target.uri(),
        "--out",
        out.to_str().unwrap(),
    ]))
    .await
}
