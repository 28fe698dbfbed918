//! Every input is bounded and nothing blocks forever: TLS files that are FIFOs or endless
//! devices, a results stream that is a FIFO, a symbolic link in a portal's `__files/`, a second
//! run into the same `--out`, a run whose stderr is closed, and a password in `--portal`.

mod support;

use std::process::Stdio;
use std::time::{Duration, Instant};

use support::{args, cpc, stderr, stdout};

/// A FIFO nobody writes to: opening it for reading would block forever.
fn fifo(dir: &std::path::Path, name: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_that_never_end_or_block_are_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let pipe = fifo(dir.path(), "ca.pem");
    for (option, path) in [
        ("--ca-cert", "/dev/zero".into()),
        ("--ca-cert", pipe.display().to_string()),
    ] {
        let started = Instant::now();
        let out = cpc(args(&[
            "run",
            "tests/suites/mini",
            "--target",
            "https://127.0.0.1:9",
            option,
            &path,
            "--out",
            dir.path().join("out").to_str().unwrap(),
        ]))
        .await;
        assert_eq!(out.status.code(), Some(2), "{path}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("is not a regular file"),
            "{}",
            stderr(&out)
        );
        assert!(started.elapsed() < Duration::from_secs(30), "{path}");
    }
    // A run directory whose stream is a FIFO.
    let run = dir.path().join("run");
    std::fs::create_dir_all(&run).unwrap();
    fifo(&run, "results.jsonl");
    let out = cpc(args(&["report", run.to_str().unwrap()])).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is not a regular file"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_in_the_portals_files_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("portal");
    std::fs::create_dir_all(root.join("__files")).unwrap();
    std::fs::create_dir_all(root.join("mappings")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", root.join("__files/passwd.txt")).unwrap();
    let out = cpc(args(&[
        "run",
        "tests/suites/mini",
        "--target",
        "http://127.0.0.1:9",
        "--mappings",
        root.to_str().unwrap(),
        "--out",
        dir.path().join("out").to_str().unwrap(),
    ]))
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("is a symbolic link"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_into_the_same_out_is_refused_while_the_first_goes_on() {
    let server = support::mini_target(support::thing("ok").set_delay(Duration::from_secs(3))).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let first = std::process::Command::new(env!("CARGO_BIN_EXE_cpc"))
        .args([
            "run",
            "tests/suites/mini",
            "--target",
            &server.uri(),
            "--out",
        ])
        .arg(&out)
        .current_dir(support::repo())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The first holds the directory once results.jsonl is there.
    let started = Instant::now();
    while !out.join("results.jsonl").exists() && started.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let second = cpc(args(&[
        "run",
        "tests/suites/mini",
        "--target",
        &server.uri(),
        "--out",
        out.to_str().unwrap(),
    ]))
    .await;
    assert_eq!(second.status.code(), Some(3), "{}", stderr(&second));
    assert!(
        stderr(&second).contains("another cpc (a run, report or merge) is writing into"),
        "{}",
        stderr(&second)
    );
    let first = first.wait_with_output().unwrap();
    assert!(matches!(first.status.code(), Some(0 | 1)), "{first:?}");
    assert!(out.join("gate.json").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_stderr_closed_a_bad_suite_still_exits_with_its_code() {
    let out = tokio::task::spawn_blocking(|| {
        std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "{} validate tests/suites/does-not-exist 2>&-",
                env!("CARGO_BIN_EXE_cpc")
            ))
            .current_dir(support::repo())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}
