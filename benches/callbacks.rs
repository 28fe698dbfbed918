//! Benchmark: 40 cases each awaiting a callback that the agency sends 500 ms after the
//! request. Waiting is event-driven, so the run should take about one callback delay per wave
//! of `--jobs` cases, never the sum of the `within_ms` windows. Run: `cargo bench --bench callbacks`.

use std::time::{Duration, Instant};

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const CASES: usize = 40;
const CALLBACK_DELAY: Duration = Duration::from_millis(500);
const WITHIN_MS: u64 = 10_000;

/// Answers `POST /work` at once and calls the portal back `CALLBACK_DELAY` later.
struct Agency {
    portal: String,
}

impl Respond for Agency {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let reference = uuid::Uuid::new_v4().to_string();
        let url = format!("{}/cb/{reference}", self.portal);
        tokio::spawn(async move {
            tokio::time::sleep(CALLBACK_DELAY).await;
            let _ = reqwest::Client::new().post(url).body("{}").send().await;
        });
        ResponseTemplate::new(201).set_body_json(serde_json::json!({ "ref": reference }))
    }
}

fn write_suite(root: &std::path::Path) {
    let dir = root.join("suites/bench");
    std::fs::create_dir_all(dir.join("cases")).unwrap();
    std::fs::write(
        dir.join("suite.yaml"),
        "id: bench\nservice_code: BENCH\nname_th: ทดสอบความเร็ว\nagency_th: ทดสอบ\nproposal_version: \"1\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("requirements.yaml"),
        "requirements:\n  - id: B-1\n    level: must\n    text_th: แจ้งกลับ\n",
    )
    .unwrap();
    let mut cases = String::from("cases:\n");
    for n in 0..CASES {
        cases.push_str(&format!(
            "  - id: B-{n:03}\n    title_th: รอการแจ้งกลับ\n    requirements: [B-1]\n    steps:\n      - request: {{ method: POST, path: /work }}\n        expect: {{ status: 201 }}\n        capture: {{ ref: $.ref }}\n      - await:\n          request: {{ method: POST, path: \"/cb/{{{{ ref }}}}\" }}\n          within_ms: {WITHIN_MS}\n"
        ));
    }
    std::fs::write(dir.join("cases/cases.yaml"), cases).unwrap();
}

async fn run(jobs: usize) -> Duration {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let portal = format!("127.0.0.1:{port}");
    let agency = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/work"))
        .respond_with(Agency {
            portal: format!("http://{portal}"),
        })
        .mount(&agency)
        .await;
    let root = tempfile::tempdir().unwrap();
    write_suite(root.path());
    let suite = root.path().join("suites/bench");
    let out = root.path().join("out");
    let uri = agency.uri();
    let started = Instant::now();
    let status = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_cpc"))
            .args([
                "run",
                suite.to_str().unwrap(),
                "--target",
                &uri,
                "--portal-addr",
                &portal,
            ])
            .args(["--jobs", &jobs.to_string(), "--out", out.to_str().unwrap()])
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap()
    })
    .await
    .unwrap();
    let took = started.elapsed();
    assert!(
        status.success(),
        "the benchmark suite did not pass: {status}"
    );
    took
}

#[tokio::main]
async fn main() {
    println!(
        "{CASES} cases, each awaiting a callback sent {} ms after its request (within_ms {WITHIN_MS})",
        CALLBACK_DELAY.as_millis()
    );
    println!(
        "sum of the await windows: {} s",
        CASES as u64 * WITHIN_MS / 1000
    );
    for jobs in [CASES, 8] {
        let took = run(jobs).await;
        let waves = CASES.div_ceil(jobs);
        println!(
            "--jobs {jobs:>2}: {:>6.2} s wall ({waves} wave(s) × {} ms callback delay = {:.2} s lower bound)",
            took.as_secs_f64(),
            CALLBACK_DELAY.as_millis(),
            waves as f64 * CALLBACK_DELAY.as_secs_f64()
        );
    }
}
