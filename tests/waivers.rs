//! Waivers: a failed must requirement with a valid waiver passes the gate as ผ่าน (มีข้อยกเว้น),
//! with the waiver on the report's first page and the evidence kept; an expired one, one for a
//! requirement the suite does not have, or an incomplete one is not applied, and says why.

mod support;

use std::path::Path;
use std::process::Command;

use support::{args, cpc, csg_with_fault, read_json, stderr, stdout};

const VALID: &str = r#"waivers:
  - requirement: TP-4.4
    reason_th: หน่วยงานจะเพิ่มการตรวจ checksum ในรุ่นถัดไป
    approved_by: นางสาวทดสอบ อนุมัติ
    approved_on: 2026-01-15
    expires_on: 2099-12-31
  - requirement: TP-99.9
    reason_th: ข้อที่ไม่มีอยู่
    approved_by: ใครก็ได้
    approved_on: 2026-01-15
    expires_on: 2099-12-31
  - requirement: TP-4.1
    reason_th: ไม่ครบ
"#;

const EXPIRED: &str = r#"waivers:
  - requirement: TP-4.4
    reason_th: หน่วยงานจะเพิ่มการตรวจ checksum ในรุ่นถัดไป
    approved_by: นางสาวทดสอบ อนุมัติ
    approved_on: 2025-01-15
    expires_on: 2025-12-31
"#;

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

fn statuses(gate: &serde_json::Value) -> Vec<(String, String)> {
    gate["waivers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["requirement"].as_str().unwrap_or("").to_string(),
                w["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waived_must_failure_passes_with_the_waiver_on_page_one_and_an_expired_one_does_not() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("run");
    let dir = out.to_str().unwrap();
    let valid = write(work.path(), "valid.yaml", VALID);
    let expired = write(work.path(), "expired.yaml", EXPIRED);

    let run = csg_with_fault("no-checksum", dir, &["--waivers", &valid]).await;
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}{}",
        stdout(&run),
        stderr(&run)
    );
    let console = stdout(&run);
    assert!(console.contains("ผลการตัดสิน: ผ่าน (มีข้อยกเว้น)"), "{console}");
    // How much of the pass rests on waivers, said plainly.
    assert!(
        console.contains("ข้อกำหนด 1 จาก 24 ข้อ ผ่านเกณฑ์ด้วยข้อยกเว้น ไม่ใช่ผลการทดสอบ (TP-4.4)"),
        "{console}"
    );
    assert!(
        console.contains("ข้อยกเว้น: TP-4.4 — อนุมัติโดย นางสาวทดสอบ อนุมัติ"),
        "{console}"
    );
    assert!(
        console.contains("ข้อยกเว้นที่ไม่นำมาใช้: TP-99.9 — ไม่มีข้อกำหนดนี้ในชุดทดสอบ"),
        "{console}"
    );
    assert!(
        console.contains("ข้อยกเว้นที่ไม่นำมาใช้: TP-4.1 — ข้อมูลไม่ครบ"),
        "{console}"
    );

    let gate = read_json(&out.join("gate.json"));
    assert_eq!(gate["verdict"], "pass");
    assert_eq!(gate["next_step"], 11);
    assert_eq!(gate["waived"], serde_json::json!(["TP-4.4"]));
    assert_eq!(gate["failed_must"], serde_json::json!([]));
    assert_eq!(
        statuses(&gate),
        [
            ("TP-4.4".to_string(), "applied".to_string()),
            ("TP-99.9".to_string(), "unknown_requirement".to_string()),
            ("TP-4.1".to_string(), "incomplete".to_string()),
        ]
    );
    // The evidence stays: the requirement is still failed, its cases still fail in JUnit.
    let tp44 = gate["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "TP-4.4")
        .unwrap();
    assert_eq!(tp44["result"], "fail");
    assert_eq!(tp44["waived"], true);
    let junit = std::fs::read_to_string(out.join("junit.xml")).unwrap();
    assert!(junit.contains("<failure"), "JUnit lost the failures");

    // Page 1 of the printed report carries the verdict and the waiver with its approver.
    let printed = cpc(args(&["report", dir, "--pdf"])).await;
    assert_eq!(printed.status.code(), Some(0), "{}", stderr(&printed));
    let page_one = Command::new("pdftotext")
        .args(["-f", "1", "-l", "1"])
        .arg(out.join("report.th.pdf"))
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    let page_one: String = String::from_utf8_lossy(&page_one.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for wanted in [
        "ผ่าน (มีข้อยกเว้น)",
        "ผ่านเกณฑ์ด้วยข้อยกเว้น",
        "ข้อยกเว้นที่ได้รับอนุมัติ",
        "นางสาวทดสอบ อนุมัติ",
        "๓๑ ธันวาคม ๒๖๔๒",
    ] {
        assert!(
            page_one.contains(wanted),
            "page 1 lacks {wanted:?}: {page_one}"
        );
    }

    // The same run judged with an expired waiver: not applied, the gate fails.
    let again = cpc(args(&["report", dir, "--waivers", &expired])).await;
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    let gate = read_json(&out.join("gate.json"));
    assert_eq!(gate["verdict"], "fail");
    assert_eq!(gate["failed_must"], serde_json::json!(["TP-4.4"]));
    assert_eq!(
        statuses(&gate),
        [("TP-4.4".to_string(), "expired".to_string())]
    );
    let html = std::fs::read_to_string(out.join("report.th.html")).unwrap();
    assert!(!html.contains("ผ่าน (มีข้อยกเว้น)"));
    assert!(html.contains("ข้อยกเว้นที่ไม่นำมาใช้") && html.contains("หมดอายุแล้ว"));
}

#[tokio::test]
async fn a_waivers_file_that_is_not_one_is_refused_with_its_place() {
    let work = tempfile::tempdir().unwrap();
    let bad = write(
        work.path(),
        "bad.yaml",
        "waivers:\n  - requirement: TP-4.4\n    expires: 2099-12-31\n",
    );
    let out = work.path().join("run");
    let run = cpc(args(&[
        "run",
        "suites/csg",
        "--target",
        "reference",
        "--out",
        out.to_str().unwrap(),
        "--waivers",
        &bad,
    ]))
    .await;
    assert_eq!(run.status.code(), Some(2), "{}", stdout(&run));
    let err = stderr(&run);
    assert!(
        err.contains("--waivers") && err.contains("bad.yaml:3"),
        "{err}"
    );
    assert!(err.contains("expires"), "{err}");
}

const EVERY_REQUIREMENT: &str = r#"waivers:
  - requirement: R-1
    reason_th: ระบบยังไม่พร้อม
    approved_by: คณะกรรมการ
    approved_on: 2026-01-15
    expires_on: 2099-12-31
  - requirement: R-2
    reason_th: ระบบยังไม่พร้อม
    approved_by: คณะกรรมการ
    approved_on: 2026-01-15
    expires_on: 2099-12-31
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_suite_says_what_may_be_waived_and_errors_never_pass_by_waiver() {
    let work = tempfile::tempdir().unwrap();
    let waivers = write(work.path(), "all.yaml", EVERY_REQUIREMENT);
    // A target that answers nothing: every case errs. Waivers for every requirement do not
    // make that a pass, however many.
    let out = work.path().join("dead");
    let run = cpc(args(&[
        "run",
        "tests/suites/mini",
        "--target",
        "http://127.0.0.1:9",
        "--out",
        out.to_str().unwrap(),
        "--waivers",
        &waivers,
    ]))
    .await;
    assert_eq!(run.status.code(), Some(1), "{}", stdout(&run));
    let gate = read_json(&out.join("gate.json"));
    assert_eq!(gate["verdict"], "fail");
    assert!(
        gate["waived"].as_array().is_none_or(|w| w.is_empty()),
        "{gate}"
    );
    assert_eq!(
        statuses(&gate),
        [
            ("R-1".to_string(), "not_allowed".to_string()),
            ("R-2".to_string(), "not_allowed".to_string()),
        ]
    );
    assert!(
        stdout(&run).contains("its result is `error`; the suite allows waiving only fail, flaky")
            || stdout(&run).contains("ผลของข้อกำหนดคือ error ยกเว้นได้เฉพาะ fail, flaky"),
        "{}",
        stdout(&run)
    );

    // A suite that allows one waiver, even of an error: the first applies, the second is over.
    let suite = work.path().join("mini");
    support::copy_dir(&support::repo().join("tests/suites/mini"), &suite);
    let yaml = suite.join("suite.yaml");
    let text = std::fs::read_to_string(&yaml).unwrap();
    std::fs::write(
        &yaml,
        format!("{text}waiver_policy:\n  max: 1\n  results: [error]\n"),
    )
    .unwrap();
    let out = work.path().join("one");
    let run = cpc(args(&[
        "run",
        suite.to_str().unwrap(),
        "--target",
        "http://127.0.0.1:9",
        "--out",
        out.to_str().unwrap(),
        "--waivers",
        &waivers,
        "--lang",
        "en",
    ]))
    .await;
    let gate = read_json(&out.join("gate.json"));
    let said = statuses(&gate);
    assert_eq!(
        said[0],
        ("R-1".to_string(), "applied".to_string()),
        "{gate}"
    );
    assert_eq!(said[1].1, "not_allowed", "{gate}");
    assert!(
        stdout(&run).contains("the suite allows at most 1 waiver(s) a run")
            || gate.to_string().contains("at most 1 waiver(s)"),
        "{}",
        stdout(&run)
    );
}
