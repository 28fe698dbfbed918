//! `cpc run --shard K/N` and `cpc merge`: the shards of a suite merged are the suite's run;
//! runs that do not belong together are refused; a missing shard fails the gate.

mod support;

use std::path::Path;

use serde_json::Value;
use support::{args, copy_dir, cpc, read_json, stderr, stdout};

const CSG: &str = "suites/csg";
const MINI: &str = "tests/suites/mini";

async fn run(suite: &str, target: &str, shard: Option<&str>, out: &Path) -> std::process::Output {
    run_as("ci-pipeline-1", suite, target, shard, out, &[]).await
}

/// A run with its id (the CI job's), and more options.
async fn run_as(
    run_id: &str,
    suite: &str,
    target: &str,
    shard: Option<&str>,
    out: &Path,
    more: &[&str],
) -> std::process::Output {
    let mut list = args(&[
        "run", suite, "--target", target, "--run-id", run_id, "--out",
    ]);
    list.push(out.display().to_string());
    list.extend(args(more));
    if let Some(shard) = shard {
        list.extend(args(&["--shard", shard]));
    }
    cpc(list).await
}

async fn merge(out: &Path, runs: &[&Path]) -> std::process::Output {
    merge_with(out, runs, &[]).await
}

async fn merge_with(out: &Path, runs: &[&Path], extra: &[&str]) -> std::process::Output {
    let mut list = vec!["merge".to_string(), out.display().to_string()];
    list.extend(runs.iter().map(|p| p.display().to_string()));
    list.extend(args(extra));
    cpc(list).await
}

/// What a run decided, without its times: each case's outcome and each check's, in file order;
/// the gate's verdict, requirement results and counts.
fn decided(dir: &Path) -> (Vec<Value>, Value) {
    let results = read_json(&dir.join("results.json"));
    let cases = results["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let checks: Vec<Value> = c["steps"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|s| s["checks"].as_array().unwrap().clone())
                .map(|k| serde_json::json!([k["check"], k["outcome"]]))
                .collect();
            serde_json::json!([c["id"], c["outcome"], c["place"], checks])
        })
        .collect();
    let gate = read_json(&dir.join("gate.json"));
    let gate = serde_json::json!([
        gate["verdict"],
        gate["partial"],
        gate["requirements"],
        gate["failed_must"],
        gate["untested"],
        gate["invariants"],
        gate["cases"]
    ]);
    (cases, gate)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_shards_merged_are_the_whole_run() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole");
    let output = run(CSG, "reference", None, &whole).await;
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));

    let mut shards = Vec::new();
    let mut counted = 0;
    for k in 1..=3 {
        let out = dir.path().join(format!("shard-{k}"));
        let output = run(CSG, "reference", Some(&format!("{k}/3")), &out).await;
        // A shard's own cases all pass: its job is green, though its gate is partial.
        assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
        let gate = read_json(&out.join("gate.json"));
        assert_eq!(gate["partial"], true);
        let cases = gate["cases"]["total"].as_u64().unwrap();
        assert!(cases > 0, "shard {k}/3 of 41 cases holds some");
        counted += cases;
        shards.push(out);
    }
    let whole_cases = read_json(&whole.join("gate.json"))["cases"]["total"].as_u64();
    assert_eq!(
        Some(counted),
        whole_cases,
        "every case in exactly one shard"
    );

    let merged = dir.path().join("merged");
    // In any order.
    let output = merge(&merged, &[&shards[2], &shards[0], &shards[1]]).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(decided(&merged), decided(&whole));
    assert_eq!(read_json(&merged.join("gate.json"))["verdict"], "pass");
    for name in ["junit.xml", "report.th.html", "report.th.md"] {
        assert!(merged.join(name).exists(), "{name}");
    }
    // The merged JUnit holds every case once.
    let junit = std::fs::read_to_string(merged.join("junit.xml")).unwrap();
    assert_eq!(
        junit.matches("<testcase ").count() as u64,
        whole_cases.unwrap()
    );

    // Every shard merged is a round, as a whole run is: kept in the history, compared with
    // the round before.
    let history = dir.path().join("history");
    let kept = ["--history", history.to_str().unwrap()];
    let all = [&*shards[0], &*shards[1], &*shards[2]];
    let first = merge_with(&merged, &all, &kept).await;
    assert!(
        stdout(&first).contains("ประวัติ: ครั้งที่ 1 → "),
        "{}",
        stdout(&first)
    );
    let second = merge_with(&merged, &all, &kept).await;
    assert!(
        stdout(&second).contains("ประวัติ: ครั้งที่ 2 → "),
        "{}",
        stdout(&second)
    );
    let results = read_json(&merged.join("results.json"));
    assert_eq!(results["round"], 2);
    assert_eq!(results["previous_round"]["round"], 1);

    // A missing shard fails the gate, and says which; a partial merge is no round.
    let partial = dir.path().join("partial");
    let output = merge_with(&partial, &[&shards[0], &shards[2]], &kept).await;
    assert!(!stdout(&output).contains("ประวัติ"), "{}", stdout(&output));
    assert_eq!(std::fs::read_dir(&history).unwrap().count(), 2);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    assert!(
        stderr(&output).contains("missing shard(s) 2"),
        "{}",
        stderr(&output)
    );
    let gate = read_json(&partial.join("gate.json"));
    assert_eq!(gate["verdict"], "fail");
    assert_eq!(gate["partial"], true);
    assert!(!gate["untested"].as_array().unwrap().is_empty());

    // Runs that do not belong together are refused, each with its reason.
    let refused = dir.path().join("refused");
    let output = merge(&refused, &[&shards[0], &shards[0]]).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("are both shard 1/3"),
        "{}",
        stderr(&output)
    );
    let output = merge(&refused, &[&shards[0], &whole]).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("is not a shard"),
        "{}",
        stderr(&output)
    );
    assert!(!refused.join("gate.json").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_of_other_suites_digests_or_targets_are_refused() {
    let server = support::mini_target(support::thing("ok")).await;
    let other = support::mini_target(support::thing("ok")).await;
    let dir = tempfile::tempdir().unwrap();
    let shard = |k: u32| dir.path().join(format!("mini-{k}"));
    for k in 1..=2 {
        run(MINI, &server.uri(), Some(&format!("{k}/2")), &shard(k)).await;
    }
    // The same suite, its files changed: another digest.
    let changed = dir.path().join("changed-suite");
    copy_dir(&support::repo().join(MINI), &changed);
    let cases = changed.join("cases/mini.yaml");
    let text = std::fs::read_to_string(&cases).unwrap();
    std::fs::write(&cases, format!("{text}\n# edited\n")).unwrap();
    let changed_run = dir.path().join("changed-run");
    run(
        changed.to_str().unwrap(),
        &server.uri(),
        Some("2/2"),
        &changed_run,
    )
    .await;
    let elsewhere = dir.path().join("elsewhere");
    run(MINI, &other.uri(), Some("2/2"), &elsewhere).await;
    let csg = dir.path().join("csg");
    run(CSG, "reference", Some("2/2"), &csg).await;
    // The second shard of another run (another pipeline), or run with other options.
    let other_run = dir.path().join("other-run");
    run_as(
        "ci-pipeline-2",
        MINI,
        &server.uri(),
        Some("2/2"),
        &other_run,
        &[],
    )
    .await;
    let other_options = dir.path().join("other-options");
    run_as(
        "ci-pipeline-1",
        MINI,
        &server.uri(),
        Some("2/2"),
        &other_options,
        &["--timeout-ms", "500"],
    )
    .await;

    let out = dir.path().join("out");
    for (second, says) in [
        (&changed_run, "its suite digest is"),
        (&elsewhere, "its target is"),
        (&csg, "its suite is `csg`"),
        (
            &other_run,
            "its run id is `ci-pipeline-2` where the first run's is `ci-pipeline-1`",
        ),
        (&other_options, "timeout_ms=500"),
    ] {
        let output = merge(&out, &[&shard(1), second]).await;
        assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
        assert!(
            stderr(&output).contains(says),
            "{says}: {}",
            stderr(&output)
        );
        assert!(!out.join("gate.json").exists());
    }
    // A shard of the reference run with a fault switched on, beside one without.
    let faulty = dir.path().join("csg-faulty");
    run_as(
        "ci-pipeline-1",
        CSG,
        "reference",
        Some("1/2"),
        &faulty,
        &["--fault", "no-checksum"],
    )
    .await;
    let output = merge(&out, &[&faulty, &csg]).await;
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    assert!(
        stderr(&output)
            .contains("its fault switch is `none` where the first run's is `no-checksum`"),
        "{}",
        stderr(&output)
    );
    let output = merge(&out, &[&shard(1), &shard(2)]).await;
    // Its own two shards merge, and the whole suite passes.
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_shard_is_a_usage_error() {
    for bad in ["0/3", "4/3", "3", "a/b", "1/0"] {
        let output = cpc(args(&[
            "run",
            MINI,
            "--target",
            "http://127.0.0.1:9",
            "--shard",
            bad,
        ]))
        .await;
        assert_eq!(output.status.code(), Some(2), "{bad}");
        assert!(
            stderr(&output).contains("K/N"),
            "{bad}: {}",
            stderr(&output)
        );
    }
}
