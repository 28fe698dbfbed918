//! From the proposal to the suite: `cpc init` writes a suite of pending cases whose
//! requirements are the hand-written CSG ones; an edited proposal is drift that `cpc validate`
//! names with both places and `cpc init --update` mends; pending cases keep the gate shut;
//! `cpc coverage` lists every clause with its cases.

mod support;

use std::path::Path;

use support::{args, copy_dir, cpc, csg_with_fault, read_json, repo, stderr, stdout};

/// `(id, level)` of every requirement in a requirements.yaml.
fn ids_and_levels(path: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    let doc: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
    doc["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_string(),
                r["level"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_writes_the_csg_requirements_as_pending_cases_that_keep_the_gate_shut() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("x");
    let d = dir.to_str().unwrap();
    let made = cpc(args(&["init", "--proposal", "suites/csg/proposal.md", d])).await;
    assert_eq!(made.status.code(), Some(0), "{}", stderr(&made));
    assert_eq!(
        ids_and_levels(&dir.join("requirements.yaml")),
        ids_and_levels(&repo().join("suites/csg/requirements.yaml")),
        "cpc init's requirements differ from the hand-written CSG ones"
    );
    let valid = cpc(args(&["validate", d])).await;
    assert_eq!(valid.status.code(), Some(0), "{}", stderr(&valid));
    let again = cpc(args(&["init", "--proposal", "suites/csg/proposal.md", d])).await;
    assert_eq!(
        again.status.code(),
        Some(2),
        "init must refuse an existing suite"
    );

    // Every case pending: nothing runs, every clause is "not tested: case not written yet".
    let out = work.path().join("run");
    let run = cpc(args(&[
        "run",
        d,
        "--target",
        "reference",
        "--out",
        out.to_str().unwrap(),
    ]))
    .await;
    assert_eq!(
        run.status.code(),
        Some(1),
        "{}{}",
        stdout(&run),
        stderr(&run)
    );
    let gate = read_json(&out.join("gate.json"));
    assert_eq!(gate["verdict"], "fail");
    assert_eq!(gate["cases"]["total"], 0);
    assert_eq!(gate["failed_must"].as_array().unwrap().len(), 22);
    assert_eq!(gate["untested"].as_array().unwrap().len(), 24);
    assert!(
        gate["proposal_digest"]
            .as_str()
            .is_some_and(|d| d.len() == 64)
    );
    let results = read_json(&out.join("results.json"));
    assert_eq!(
        results["requirements"][0]["not_tested_reason"],
        "ยังไม่ได้เขียนกรณีทดสอบ (case not written yet)"
    );
    let report = std::fs::read_to_string(out.join("report.th.md")).unwrap();
    assert!(
        report.contains("ค่าแฮช SHA-256 ของข้อเสนอทางเทคนิค"),
        "{report}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_proposal_is_drift_named_with_both_places_and_update_mends_it() {
    let work = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("suites/csg"), &work.path().join("suites/csg"));
    copy_dir(&repo().join("fixtures"), &work.path().join("fixtures"));
    let suite = work.path().join("suites/csg");
    let proposal = suite.join("proposal.md");
    let text = std::fs::read_to_string(&proposal).unwrap();
    let text = text
        .replace("| TP-4.7 | ควร |", "| TP-4.7 | ต้อง |")
        .replace("ภายใน 1,000 ms |", "ภายใน 500 ms |")
        .replace(
            "| TP-4.7 |",
            "| TP-4.8 | ต้อง | แนบไฟล์ได้ไม่เกิน 5 ไฟล์ |\n| TP-4.7 |",
        );
    std::fs::write(&proposal, text).unwrap();
    let dir = suite.to_str().unwrap();

    let checked = cpc(args(&["validate", dir])).await;
    assert_eq!(checked.status.code(), Some(2));
    let err = stderr(&checked);
    let p = proposal.display().to_string();
    let r = suite.join("requirements.yaml").display().to_string();
    assert!(
        err.contains(&format!(
            "requirement TP-4.7 is ควร (should) here but ต้อง (must) in the proposal ({p}:96)"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "clause TP-4.8 (4. การยื่นคำขอ (submit an application)) is not in {r}"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("--> {p}:95")),
        "the added clause's place: {err}"
    );
    assert!(
        err.contains(&format!(
            "the text of clause TP-3.1 changed in the proposal ({p}:41)"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("--> {r}:")),
        "a place in requirements.yaml: {err}"
    );

    // A tester's own notes in the file: --update edits in place and keeps every one.
    let requirements = suite.join("requirements.yaml");
    let before = std::fs::read_to_string(&requirements)
        .unwrap()
        .replace(
            "requirements:\n",
            "requirements:\n  # ทดสอบซ้ำหลังแก้ระบบ (ครั้งที่ 2)\n",
        )
        .replace(
            "    level: should\n    text_th: \"ข้อความภาษาไทยที่ส่งมา",
            "    level: should  # ผู้ทดสอบ: ยืนยันกับหน่วยงานแล้ว\n    text_th: \"ข้อความภาษาไทยที่ส่งมา",
        )
        .replace(
            "    proposal_digest: \"8a7601cc1680e60e\"\n",
            "    proposal_digest: \"8a7601cc1680e60e\"\n    # TP-3.1: วัดจากเครื่องทดสอบในเครือข่ายเดียวกัน\n",
        );
    std::fs::write(&requirements, &before).unwrap();
    // The proposal drops TP-8.2 too.
    let text = std::fs::read_to_string(&proposal).unwrap();
    let dropped: String = text
        .lines()
        .filter(|l| !l.starts_with("| TP-8.2 |"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&proposal, dropped).unwrap();

    let updated = cpc(args(&["init", "--update", dir])).await;
    assert_eq!(updated.status.code(), Some(0), "{}", stderr(&updated));
    let said = stdout(&updated);
    assert!(said.contains("4 change(s)"), "{said}");
    assert!(said.contains("+ TP-4.8: added"), "{said}");
    assert!(said.contains("~ TP-4.7: level ควร → ต้อง"), "{said}");
    assert!(
        said.contains("~ TP-3.1: text changed (check its cases, and its text_en"),
        "{said}"
    );
    assert!(said.contains("- TP-8.2: removed"), "{said}");
    assert!(
        !suite.join("requirements.yaml.before-update").exists(),
        "an in-place edit keeps no backup: nothing is lost"
    );
    let after = std::fs::read_to_string(&requirements).unwrap();
    // Only what the proposal changed is touched: every other line is as it was, in order.
    let (old, new): (Vec<&str>, Vec<&str>) = (before.lines().collect(), after.lines().collect());
    let kept: Vec<&&str> = old.iter().filter(|l| new.contains(l)).collect();
    let removed: Vec<&&str> = old.iter().filter(|l| !new.contains(l)).collect();
    assert_eq!(
        removed,
        [
            &"    text_th: \"GET /health ไม่ต้องยืนยันตัวตน ตอบ 200 {\\\"status\\\":\\\"ok\\\"} ภายใน 1,000 ms\"",
            &"    proposal_digest: \"8a7601cc1680e60e\"",
            &"    level: should  # ผู้ทดสอบ: ยืนยันกับหน่วยงานแล้ว",
            &"  - id: \"TP-8.2\"",
            &"    text_th: \"สถานะ approved, rejected หรือ cancelled การยกเลิกได้ 409 (INVALID_STATE)\"",
            &"    text_en: \"Cancelling an approved, rejected or cancelled application gets 409 INVALID_STATE.\"",
            &"    proposal_digest: \"ff86e44126614b88\"",
        ],
        "only the changed lines and the removed clause's go (into comments): {after}"
    );
    assert!(kept.len() > 100);
    for line in [
        "  # ทดสอบซ้ำหลังแก้ระบบ (ครั้งที่ 2)",
        "    # TP-3.1: วัดจากเครื่องทดสอบในเครือข่ายเดียวกัน",
        "    level: must  # ผู้ทดสอบ: ยืนยันกับหน่วยงานแล้ว",
        "    text_en: \"GET /health needs no credentials and answers 200 {\\\"status\\\":\\\"ok\\\"} within 1,000 ms.\"",
        "    text_th: \"GET /health ไม่ต้องยืนยันตัวตน ตอบ 200 {\\\"status\\\": \\\"ok\\\"} ภายใน 500 ms\"",
        "  # cpc init --update: TP-8.2 is no longer a clause of proposal.md; its entry as it was:",
        "  # - id: \"TP-8.2\"",
    ] {
        assert!(after.contains(line), "{line}\n{after}");
    }
    // The new clause sits after the one before it in the proposal.
    let at = |needle: &str| after.find(needle).unwrap_or_else(|| panic!("{needle}"));
    assert!(
        at("id: \"TP-4.6\"") < at("id: \"TP-4.8\"") && at("id: \"TP-4.8\"") < at("id: \"TP-4.7\"")
    );
    let again = cpc(args(&["validate", dir])).await;
    let err = stderr(&again);
    assert!(
        !err.contains("in the proposal"),
        "drift left after --update: {err}"
    );
    assert!(
        err.contains("TP-8.2"),
        "cases of the removed clause name an unknown requirement: {err}"
    );
}

#[tokio::test]
async fn coverage_lists_every_csg_clause_with_its_cases() {
    let csv = cpc(args(&[
        "coverage",
        "suites/csg",
        "--format",
        "csv",
        "--lang",
        "en",
    ]))
    .await;
    assert_eq!(csv.status.code(), Some(0), "{}", stderr(&csv));
    let text = stdout(&csv);
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(
        rows[0],
        "\u{feff}ID,Level,Section,Cases,Invariants,Checks,Not tested / note"
    );
    assert_eq!(rows.len(), 1 + 24, "{text}");
    let tp44 = rows.iter().find(|r| r.starts_with("TP-4.4,")).unwrap();
    assert!(
        tp44.contains("must,4. การยื่นคำขอ (submit an application)")
            && tp44.contains("CSG-VALID-002"),
        "{tp44}"
    );
    assert!(
        tp44.contains("jsonpath") && tp44.contains("status"),
        "{tp44}"
    );
    let tp25 = rows.iter().find(|r| r.starts_with("TP-2.5,")).unwrap();
    assert!(tp25.contains("applies to production"), "{tp25}");

    let console = stdout(&cpc(args(&["coverage", "suites/csg"])).await);
    assert!(console.starts_with("ข้อ"), "{console}");
    assert_eq!(console.lines().count(), 25);

    // A page for a browser (or the committee's printer): every clause a row, text escaped.
    let html = stdout(&cpc(args(&["coverage", "suites/csg", "--format", "html"])).await);
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(html.contains("<h1>การโยงข้อกำหนดกับกรณีทดสอบ — "), "{html}");
    assert_eq!(html.matches("<tr>").count(), 1 + 24, "{html}");
    assert!(html.contains("<td>TP-4.4</td><td>ต้อง</td>"), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_thai_report_shows_results_by_the_service_flows_roles() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("run");
    let run = csg_with_fault("no-checksum", out.to_str().unwrap(), &[]).await;
    assert_eq!(run.status.code(), Some(1), "{}", stderr(&run));
    let md = std::fs::read_to_string(out.join("report.th.md")).unwrap();
    for row in [
        "## ผลตามบทบาทในขั้นตอนการให้บริการ",
        // The generated TP-4.4 cases are the citizen's too: two of them catch the fault.
        "| **ประชาชนผู้ใช้บริการ** | รวมทุกหมวด | ๑๖๗ | ๑๖๓ | ๔ |",
        "|  | 4. การยื่นคำขอ (submit an application) | ๑๔๘ | ๑๔๔ | ๔ |",
        "| **เจ้าหน้าที่ผู้ให้บริการ** | รวมทุกหมวด | ๓ | ๓ | ๐ |",
        "| **ผู้ดูแลระบบ** | รวมทุกหมวด | ๒ | ๒ | ๐ |",
        "|  | 3. สถานะระบบ (health) | ๑ | ๑ | ๐ |",
    ] {
        assert!(md.contains(row), "{row:?} not in the report:\n{md}");
    }
    let results = read_json(&out.join("results.json"));
    let health = results["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "CSG-HEALTH-001")
        .unwrap();
    assert_eq!(health["actor"], "admin");
    // CI sees the role too: a property of the test case.
    let junit = std::fs::read_to_string(out.join("junit.xml")).unwrap();
    let case = junit
        .split("<testcase ")
        .find(|c| c.contains("CSG-HEALTH-001"))
        .expect("CSG-HEALTH-001 in junit.xml");
    let case = &case[..case.find("</testcase>").unwrap_or(case.len())];
    assert!(
        case.contains(r#"<property name="cpc.actor" value="admin"/>"#),
        "{case}"
    );

    // An actor the suite does not know is a problem with its place.
    copy_dir(&repo().join("suites/csg"), &work.path().join("suites/csg"));
    copy_dir(&repo().join("fixtures"), &work.path().join("fixtures"));
    let health_file = work.path().join("suites/csg/cases/02-health.yaml");
    let text = std::fs::read_to_string(&health_file).unwrap();
    std::fs::write(&health_file, text.replace("actor: admin", "actor: janitor")).unwrap();
    let checked = cpc(args(&[
        "validate",
        work.path().join("suites/csg").to_str().unwrap(),
    ]))
    .await;
    assert_eq!(checked.status.code(), Some(2));
    let err = stderr(&checked);
    assert!(
        err.contains("unknown actor `janitor`") && err.contains("02-health.yaml:4:12"),
        "{err}"
    );
}
