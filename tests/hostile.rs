//! A hostile target: resets, garbage, an endless body, an early 413 without reading the upload,
//! a captured value that tries to move the next request, and a body built to forge JUnit test
//! cases, end the report's code block, hide the rest of the report and paint the terminal.
//! None of it crashes the harness, changes where a request goes, or breaks an output.

mod support;

use std::path::Path;

use quick_xml::Reader;
use quick_xml::events::Event;
use support::{args, cpc, read_json, stdout};

const SUITE: &str = "tests/suites/hostile";

/// The names of the `<testcase>` elements, read with an XML parser (which fails on bad XML).
fn junit_cases(path: &Path) -> Vec<String> {
    let xml = std::fs::read_to_string(path).unwrap();
    let mut reader = Reader::from_str(&xml);
    let mut names = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) if e.name().as_ref() == b"testcase" => {
                let name = e
                    .attributes()
                    .flatten()
                    .find(|a| a.key.as_ref() == b"name")
                    .map(|a| {
                        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .unwrap()
                            .into_owned()
                    })
                    .unwrap();
                names.push(name);
            }
            Ok(Event::Eof) => return names,
            Ok(_) => {}
            Err(e) => panic!("junit.xml is not valid XML: {e}\n{xml}"),
        }
    }
}

/// The Markdown outside fenced code blocks (CommonMark: a block ends at a fence of backticks at
/// least as long as the one that opened it).
fn outside_code_blocks(md: &str) -> String {
    let mut open: Option<usize> = None;
    let mut out = String::new();
    for line in md.lines() {
        let fence = line.len() >= 3 && line.chars().all(|c| c == '`');
        match open {
            None if fence => open = Some(line.len()),
            Some(n) if fence && line.len() >= n => open = None,
            None => {
                out.push_str(line);
                out.push('\n');
            }
            Some(_) => {}
        }
    }
    assert!(open.is_none(), "a code block never closes");
    out
}

fn outcome(results: &serde_json::Value, id: &str) -> (String, String) {
    let case = results["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap();
    let words = serde_json::to_string(&case["steps"]).unwrap();
    (case["outcome"].as_str().unwrap().to_string(), words)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_a_hostile_target_sends_breaks_the_harness_or_its_outputs() {
    let target = support::hostile::start();
    let out = tempfile::tempdir().unwrap();
    let o = out.path().to_str().unwrap();
    let output = cpc(args(&[
        "run",
        SUITE,
        "--target",
        &target.url,
        "--out",
        o,
        "--lang",
        "en",
        "--max-body-bytes",
        "1048576",
        "--timeout-ms",
        "5000",
    ]))
    .await;
    let console = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{console}");

    // JUnit: valid XML, exactly the suite's cases, nothing forged.
    let cases = junit_cases(&out.path().join("junit.xml"));
    assert_eq!(cases.len(), 8, "{cases:?}");
    assert!(cases.iter().all(|c| c.starts_with("HOST-")), "{cases:?}");

    // The Markdown report: the body's ``` sits inside a longer fence; no HTML comment opens.
    let md = std::fs::read_to_string(out.path().join("report.th.md")).unwrap();
    let outside = outside_code_blocks(&md);
    assert!(
        !outside.contains("<!--"),
        "an HTML comment would hide the rest"
    );
    assert!(
        !outside.contains("]]>"),
        "the body is only inside its code block"
    );
    let fence_line = md
        .lines()
        .find(|l| l.starts_with("````"))
        .expect("a longer fence");
    assert!(fence_line.chars().all(|c| c == '`'));
    assert!(
        md.contains("ลงชื่อ") || md.contains("Signature"),
        "the sign-off is still there"
    );

    // The console shows escape characters as text, never as escapes.
    assert!(!console.contains('\u{1b}'), "{console}");

    let results = read_json(&out.path().join("results.json"));
    // A 413 sent before the upload was read is read and judged, every time.
    let (early, words) = outcome(&results, "HOST-EARLY-413");
    assert_eq!(early, "pass", "{words}");
    // The captured `../../admin?x=1` stayed one path segment.
    assert_eq!(outcome(&results, "HOST-TRAVERSAL").0, "pass");
    let seen = target.seen.lock().unwrap().clone();
    assert!(
        seen.contains(&"/base/items/..%2F..%2Fadmin%3Fx=1".to_string()),
        "{seen:?}"
    );
    assert!(
        seen.iter()
            .all(|t| !t.starts_with("/admin") && !t.starts_with("/outside")),
        "{seen:?}"
    );
    // A Location leading out of the base path is refused before it is sent.
    let (location, words) = outcome(&results, "HOST-LOCATION");
    assert_eq!(location, "error", "{words}");
    assert!(words.contains("outside the target"), "{words}");
    // Reset, garbage and an endless body are errors of their cases, nothing more.
    for id in ["HOST-RESET", "HOST-GARBAGE", "HOST-ENDLESS"] {
        assert_eq!(outcome(&results, id).0, "error", "{id}");
    }
    assert!(outcome(&results, "HOST-ENDLESS").1.contains("1048576"));
    let gate = read_json(&out.path().join("gate.json"));
    assert_eq!(gate["verdict"], "fail");
    assert_eq!(
        gate["failed_must"],
        serde_json::json!(["H-1", "H-2", "H-4"])
    );

    // Credential values the target chose are masked where the target's words are, and
    // nowhere else: not the verdict, an outcome, a case id or the report's words.
    let (censor, words) = outcome(&results, "HOST-CENSOR");
    assert_eq!(censor, "pass", "{words}");
    assert!(
        results["cases"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == "HOST-RESET" && c["outcome"] == "error")
    );
    let lines = std::fs::read_to_string(out.path().join("results.jsonl")).unwrap();
    for line in lines.lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("every line is JSON");
    }
    assert!(lines.contains("\"HOST-RESET\""));
    let th = std::fs::read_to_string(out.path().join("report.th.html")).unwrap();
    assert!(th.contains("ไม่ผ่าน") && th.contains("HOST-RESET"));
    let case = results["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "HOST-CENSOR")
        .unwrap();
    let headers = case["steps"][0]["exchange"]["response"]["headers"].to_string();
    assert!(headers.to_lowercase().contains("x-api-key"), "{headers}");
    assert!(headers.contains("***"), "{headers}");
    assert!(
        !headers.contains("outcome") && !headers.contains("ไม่ผ่าน"),
        "{headers}"
    );
}
