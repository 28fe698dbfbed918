//! Rounds of step 10: three runs of the CSG suite against the reference, each with another
//! fault, kept in one history directory. Each run knows its round and compares itself with the
//! last (fixed, still failing, regressions) in the console and the report; `cpc history` draws
//! the requirement × round matrix (console, Markdown, CSV, HTML).

mod support;

use std::path::Path;

use support::{args, cpc, csg_with_fault, read_json, stderr, stdout};

async fn round(history: &Path, out: &Path, fault: &str) -> String {
    let run = csg_with_fault(
        fault,
        out.to_str().unwrap(),
        &["--history", history.to_str().unwrap()],
    )
    .await;
    assert_eq!(run.status.code(), Some(1), "{}", stderr(&run));
    stdout(&run)
}

fn row<'a>(table: &'a str, id: &str) -> Vec<&'a str> {
    let line = table
        .lines()
        .find(|l| l.starts_with(id) || l.starts_with(&format!("| {id}")))
        .unwrap_or_else(|| panic!("no row {id} in\n{table}"));
    line.split(['|', ','])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_rounds_show_what_was_fixed_what_still_fails_and_what_regressed() {
    let work = tempfile::tempdir().unwrap();
    let history = work.path().join("history");
    let out = work.path().join("run");

    // Round 1: TP-4.4 broken. Nothing to compare with.
    let first = round(&history, &out, "no-checksum").await;
    assert!(first.contains("ประวัติ: ครั้งที่ 1"), "{first}");
    assert!(!first.contains("เทียบกับครั้งก่อน"), "{first}");

    // Round 2: TP-4.4 fixed, TP-2.1 broken (a regression).
    let second = round(&history, &out, "no-auth-check").await;
    assert!(second.contains("เทียบกับครั้งก่อน (ครั้งที่ 1,"), "{second}");
    assert!(second.contains("  แก้ไขแล้ว: TP-4.4\n"), "{second}");
    assert!(second.contains("  ยังไม่ผ่าน: ไม่มี\n"), "{second}");
    assert!(second.contains("  ไม่ผ่านใหม่ (ถดถอย): TP-2.1\n"), "{second}");
    let results = read_json(&out.join("results.json"));
    assert_eq!(results["round"], 2);
    assert_eq!(results["previous_round"]["round"], 1);

    // Round 3: TP-2.1 still broken.
    let third = round(&history, &out, "no-auth-check").await;
    assert!(third.contains("เทียบกับครั้งก่อน (ครั้งที่ 2,"), "{third}");
    assert!(third.contains("  แก้ไขแล้ว: ไม่มี\n"), "{third}");
    assert!(third.contains("  ยังไม่ผ่าน: TP-2.1\n"), "{third}");
    assert!(third.contains("  ไม่ผ่านใหม่ (ถดถอย): ไม่มี\n"), "{third}");
    let report = std::fs::read_to_string(out.join("report.th.md")).unwrap();
    assert!(report.contains("### เทียบกับครั้งก่อน (ครั้งที่ ๒ — "), "{report}");
    assert!(report.contains("- ยังไม่ผ่าน: TP-2.1\n"), "{report}");
    let html = std::fs::read_to_string(out.join("report.th.html")).unwrap();
    assert!(
        html.contains("<h2>เทียบกับครั้งก่อน (ครั้งที่ ๒ — "),
        "report.th.html"
    );
    // `cpc report` redoes the comparison from results.json alone.
    let redone = cpc(args(&["report", out.to_str().unwrap()])).await;
    assert_eq!(redone.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(out.join("report.th.md")).unwrap(),
        report
    );

    let dir = history.to_str().unwrap();
    let matrix = cpc(args(&["history", dir])).await;
    assert_eq!(matrix.status.code(), Some(0), "{}", stderr(&matrix));
    let console = stdout(&matrix);
    assert!(
        console.contains("ครั้งที่ 1: ") && console.contains("ครั้งที่ 3: "),
        "{console}"
    );
    assert_eq!(
        row(&console, "TP-4.4")
            .join(" ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
        "TP-4.4 ต้อง ✗ ไม่ผ่าน ✓ ผ่าน ✓ ผ่าน ครั้งที่ 1 ครั้งที่ 2"
    );
    assert_eq!(
        row(&console, "TP-2.1")
            .join(" ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
        "TP-2.1 ต้อง ✓ ผ่าน ✗ ไม่ผ่าน ✗ ไม่ผ่าน ครั้งที่ 2"
    );

    let csv = stdout(&cpc(args(&["history", dir, "--format", "csv", "--lang", "en"])).await);
    assert!(csv.starts_with('\u{feff}'), "a BOM for spreadsheets");
    assert!(
        csv.contains("ID,Level,Round 1,Round 2,Round 3,First failed,Fix verified\r\n"),
        "{csv}"
    );
    assert!(
        csv.contains("TP-4.4,must,✗ fail,✓ pass,✓ pass,Round 1,Round 2\r\n"),
        "{csv}"
    );

    let md = stdout(&cpc(args(&["history", dir, "--format", "markdown"])).await);
    assert!(
        md.contains("| TP-2.1 | ต้อง | ✓ ผ่าน | ✗ ไม่ผ่าน | ✗ ไม่ผ่าน | ครั้งที่ 2 |  |"),
        "{md}"
    );

    let html = stdout(&cpc(args(&["history", dir, "--format", "html"])).await);
    assert!(
        html.starts_with("<!DOCTYPE html>") && html.contains("<thead>"),
        "{html}"
    );
    assert!(html.contains("<td class=\"fail\">✗ ไม่ผ่าน</td>"), "{html}");
}

#[tokio::test]
async fn a_damaged_history_file_is_skipped_with_a_warning() {
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("round-001-bad.json"), "{not json").unwrap();
    let out = cpc(args(&["history", work.path().to_str().unwrap()])).await;
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("round-001-bad.json:1:2") && err.contains("no rounds"),
        "{err}"
    );
}
