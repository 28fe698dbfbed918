//! Every way a run ends leaves a verdict: SIGINT, SIGTERM and SIGHUP mid-run and at start-up
//! write every file (verdict fail, unfinished cases interrupted) and exit with 128 + the
//! signal; an `--out` that cannot be written stops the run before it starts; a disk that fills
//! up mid-run leaves no stale verdict and no temp file, and says so with exit code 3.

mod support;

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{read_json, stdout};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const MINI: &str = "tests/suites/mini";

/// MINI-002 answers at once, MINI-001 after a minute.
async fn slow_target() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/thing"))
        .respond_with(support::thing("ok").set_delay(Duration::from_secs(60)))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/health"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    server
}

/// The line of the results stream that says MINI-002 finished.
const FAST_CASE_DONE: &str = r#"{"event":"case","case":{"id":"MINI-002""#;

fn cpc(target: &str, out: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cpc"));
    command
        .args(["run", MINI, "--target", target, "--out"])
        .arg(out)
        .args(["--timeout-ms", "120000"])
        .current_dir(support::repo())
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

fn signal(child: &Child, signal: libc::c_int) {
    // SAFETY: sends a signal to a child this test started and has not reaped.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, signal) }, 0);
}

async fn finish(child: Child) -> std::process::Output {
    tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap()
}

/// Waits until `file` holds `text` (a line of the results stream, say).
async fn wait_for(file: &Path, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !std::fs::read_to_string(file).is_ok_and(|t| t.contains(text)) {
        assert!(
            Instant::now() < deadline,
            "{} never held {text}",
            file.display()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn outcome(results: &Value, id: &str) -> String {
    results["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .map(|c| c["outcome"].as_str().unwrap().to_string())
        .unwrap()
}

/// Every file is there and says: interrupted, fail.
fn assert_interrupted_run(out: &Path) -> Value {
    let gate = read_json(&out.join("gate.json"));
    assert_eq!(gate["verdict"], "fail");
    assert_eq!(gate["interrupted"], true);
    for name in ["junit.xml", "report.th.html", "report.th.md"] {
        assert!(out.join(name).exists(), "{name} missing");
    }
    let junit = std::fs::read_to_string(out.join("junit.xml")).unwrap();
    assert!(junit.contains(r#"type="interrupted""#), "{junit}");
    read_json(&out.join("results.json"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_sigterm_and_sighup_mid_run_leave_every_file_and_a_failed_verdict() {
    let server = slow_target().await;
    for (sig, code) in [
        (libc::SIGINT, 130),
        (libc::SIGTERM, 143),
        (libc::SIGHUP, 129),
    ] {
        let out = tempfile::tempdir().unwrap();
        let child = cpc(&server.uri(), out.path()).spawn().unwrap();
        // Once the fast case is streamed, the slow one is still waiting for its answer.
        wait_for(&out.path().join("results.jsonl"), FAST_CASE_DONE).await;
        signal(&child, sig);
        let output = finish(child).await;
        assert_eq!(output.status.code(), Some(code), "{}", stdout(&output));
        let results = assert_interrupted_run(out.path());
        assert_eq!(outcome(&results, "MINI-002"), "pass");
        assert_eq!(outcome(&results, "MINI-001"), "interrupted");
        assert!(
            stdout(&output).contains("ผลการตัดสิน: ไม่ผ่าน"),
            "{}",
            stdout(&output)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_sigkill_cpc_report_rebuilds_every_file_from_the_stream() {
    let server = slow_target().await;
    let out = tempfile::tempdir().unwrap();
    let child = cpc(&server.uri(), out.path()).spawn().unwrap();
    let stream = out.path().join("results.jsonl");
    wait_for(&stream, FAST_CASE_DONE).await;
    signal(&child, libc::SIGKILL);
    let output = finish(child).await;
    assert_eq!(output.status.code(), None, "killed by the signal");
    // Nothing but the stream was written: no verdict stands for a run that did not end.
    assert!(!out.path().join("gate.json").exists());
    assert!(!out.path().join("results.json").exists());
    // A torn last line, as a kill in the middle of a write leaves.
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&stream)
        .unwrap();
    std::io::Write::write_all(&mut file, br#"{"event":"case","case":{"id":"MINI-0"#).unwrap();

    let output = Command::new(env!("CARGO_BIN_EXE_cpc"))
        .arg("report")
        .arg(out.path())
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results = assert_interrupted_run(out.path());
    assert_eq!(outcome(&results, "MINI-002"), "pass");
    assert_eq!(outcome(&results, "MINI-001"), "interrupted");
    // The finished case keeps everything it had: its exchange too.
    let fast = results["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "MINI-002")
        .unwrap();
    assert_eq!(fast["steps"][0]["exchange"]["response"]["status"], 204);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signal_before_any_case_finished_still_writes_every_file() {
    let server = slow_target().await;
    let out = tempfile::tempdir().unwrap();
    let child = cpc(&server.uri(), out.path()).spawn().unwrap();
    // The portal banner is printed before the cases start.
    tokio::time::sleep(Duration::from_millis(200)).await;
    signal(&child, libc::SIGTERM);
    let output = finish(child).await;
    assert_eq!(output.status.code(), Some(143), "{}", stdout(&output));
    assert_interrupted_run(out.path());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signal_during_start_up_waits_for_the_handler_and_ends_the_run_with_a_verdict() {
    let server = slow_target().await;
    let out = tempfile::tempdir().unwrap();
    let mut command = cpc(&server.uri(), out.path());
    // SIGINT is held from exec on, as if it arrived during start-up: it must reach cpc's
    // handler (released only once it exists), not the default action.
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(|| {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, libc::SIGINT);
            libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
            Ok(())
        });
    }
    let child = command.spawn().unwrap();
    signal(&child, libc::SIGINT);
    let output = finish(child).await;
    assert_eq!(output.status.code(), Some(130), "{}", stdout(&output));
    let results = assert_interrupted_run(out.path());
    assert!(
        results["cases"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["outcome"] == "interrupted"),
        "no case ran: {results}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_out_that_cannot_be_written_stops_the_run_before_it_starts() {
    let server = slow_target().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    let output = tokio::task::spawn_blocking({
        let uri = server.uri();
        move || cpc(&uri, &file.join("out")).output().unwrap()
    })
    .await
    .unwrap();
    assert_eq!(output.status.code(), Some(3));
    assert!(support::stderr(&output).contains("--out must be a directory cpc can write"));
    assert!(
        server.received_requests().await.unwrap().is_empty(),
        "no case ran"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_leaves_no_stale_verdict_and_no_temp_file() {
    let server = support::mini_target(support::thing("ok")).await;
    let out = tempfile::tempdir().unwrap();
    // The previous run passed.
    std::fs::write(out.path().join("gate.json"), r#"{"verdict":"pass"}"#).unwrap();
    std::fs::write(out.path().join("report.th.md"), "old").unwrap();
    let mut command = cpc(&server.uri(), out.path());
    // Files may grow to 2 KiB: the results do not fit (as on a full disk).
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 2048,
                rlim_max: 2048,
            };
            libc::setrlimit(libc::RLIMIT_FSIZE, &limit);
            Ok(())
        });
    }
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(3),
        "{}",
        support::stderr(&output)
    );
    assert!(support::stderr(&output).contains("cannot write"));
    // The verdict is printed, and no file says otherwise.
    assert!(
        stdout(&output).contains("ผลการตัดสิน: ผ่าน"),
        "{}",
        stdout(&output)
    );
    let left: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!left.iter().any(|n| n.ends_with(".tmp")), "{left:?}");
    assert!(!left.contains(&"gate.json".to_string()), "{left:?}");
    assert!(!left.contains(&"report.th.md".to_string()), "{left:?}");
}
