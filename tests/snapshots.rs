//! What people read, pinned with insta: the console and JUnit of a failing and a passing run.
//! Timings, ports, dates and the version are redacted.

mod support;

use support::{args, cpc, stdout};
use wiremock::MockServer;

fn filters() -> Vec<(&'static str, &'static str)> {
    vec![
        (r"\(\d+ ms\)", "([ms] ms)"),
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[port]"),
        (r"cpc \d+\.\d+\.\d+", "cpc [version]"),
        (r"→ /\S+", "→ [out]"),
        (r#"time="[^"]*""#, r#"time="[time]""#),
        (r#"timestamp="[^"]*""#, r#"timestamp="[timestamp]""#),
        (r"< date: .*", "< date: [date]"),
    ]
}

async fn run(server: &MockServer, extra: &[&str]) -> (String, String) {
    let out = tempfile::tempdir().unwrap();
    let mut list = args(&[
        "run",
        "tests/suites/mini",
        "--target",
        &server.uri(),
        "--out",
        out.path().to_str().unwrap(),
    ]);
    list.extend(args(extra));
    let output = cpc(list).await;
    let junit = std::fs::read_to_string(out.path().join("junit.xml")).unwrap();
    (stdout(&output), junit)
}

/// Cases finish in any order; their blocks (a case line and its detail lines) are sorted by
/// case id so the snapshot is stable.
fn sorted_case_blocks(console: &str) -> String {
    let lines: Vec<&str> = console.lines().collect();
    let end = lines
        .iter()
        .position(|l| l.is_empty())
        .unwrap_or(lines.len());
    let mut blocks: Vec<Vec<&str>> = Vec::new();
    let start = lines.iter().position(|l| l.starts_with("  ")).unwrap_or(0);
    for line in &lines[start..end] {
        match blocks.last_mut() {
            Some(block) if line.starts_with("      ") => block.push(line),
            _ => blocks.push(vec![line]),
        }
    }
    let id = |block: &Vec<&str>| {
        block[0]
            .split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_string()
    };
    blocks.sort_by_key(id);
    let mut out = lines[..start].to_vec();
    out.extend(blocks.concat());
    out.extend(&lines[end..]);
    out.join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_case_in_thai() {
    let server = support::mini_target(support::thing("down")).await;
    let (console, junit) = run(&server, &["--case", "MINI-001"]).await;
    insta::with_settings!({ filters => filters() }, {
        insta::assert_snapshot!("failing_console_th", console);
        insta::assert_snapshot!("failing_junit_th", junit);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whole_run_in_english() {
    let server = support::mini_target(support::thing("down")).await;
    let (console, junit) = run(&server, &["--lang", "en"]).await;
    insta::with_settings!({ filters => filters() }, {
        insta::assert_snapshot!("whole_console_en", sorted_case_blocks(&console));
        insta::assert_snapshot!("whole_junit_en", junit);
    });
}
