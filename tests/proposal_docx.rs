//! From the agency's own document to the suite: Word proposals of every shape a real one takes
//! (tests/proposals, made by make.py with python-docx, csg.docx by pandoc) are read clause by
//! clause with level, text and section, or what was skipped is named with its place and stops
//! `cpc init`; what the document does not give is a FILL-IN marker validate refuses; a hostile
//! .docx is refused within bounds.

mod support;

use std::io::Write;
use std::path::Path;

use cpc::proposal::{self, ProblemKind, Proposal};
use cpc::suite::Level;
use support::{args, cpc, read_json, repo, stderr, stdout};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(repo().join("tests/proposals").join(name)).unwrap()
}

fn read(name: &str) -> Proposal {
    proposal::read(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// `(id, level, section)` of every clause.
fn outline(p: &Proposal) -> Vec<(String, Level, String)> {
    p.clauses
        .iter()
        .map(|c| (c.id.clone(), c.level, c.section.clone()))
        .collect()
}

fn ids(p: &Proposal) -> Vec<&str> {
    p.clauses.iter().map(|c| c.id.as_str()).collect()
}

fn text_th<'p>(p: &'p Proposal, id: &str) -> &'p str {
    p.clauses
        .iter()
        .find(|c| c.id == id)
        .and_then(|c| c.text_th.as_deref())
        .unwrap_or_else(|| panic!("{id} has no Thai text"))
}

#[test]
fn tables_without_a_header_row_are_read_whole_with_the_head() {
    let p = read("headerless.docx");
    assert_eq!(p.clauses.len(), 13, "{:?}", ids(&p));
    assert_eq!(p.tables_read, 3);
    assert_eq!(p.problems, []);
    let levels: Vec<(&str, Level)> = p.clauses.iter().map(|c| (c.id.as_str(), c.level)).collect();
    assert_eq!(
        &levels[4..9],
        [
            ("VT-2.1", Level::Must),
            ("VT-2.2", Level::Must),
            ("VT-2.3", Level::Must),
            ("VT-2.4", Level::Must),
            ("VT-2.5", Level::Should),
        ],
        "the second table's row numbers and trailing level column"
    );
    assert_eq!(text_th(&p, "VT-2.1"), "ยื่นชำระภาษีได้ 201 พร้อมเลขที่ใบเสร็จ");
    assert_eq!(p.clauses[9].section, "3. การแจ้งผล (notification)");
    assert_eq!(p.service_name_th.as_deref(), Some("ชำระภาษีรถประจำปี"));
    assert_eq!(
        p.service_name_en.as_deref(),
        Some("Annual vehicle tax payment")
    );
    assert_eq!(p.service_code.as_deref(), Some("VTX"));
    assert_eq!(p.agency_th.as_deref(), Some("กรมการขนส่งตัวอย่าง"));
    assert_eq!(p.version.as_deref(), Some("2.1"));
}

#[test]
fn merged_cells_line_breaks_and_bullets() {
    let p = read("merged.docx");
    let section = "หมวด ก การยื่นคำขอ (submission)".to_string();
    assert_eq!(
        outline(&p),
        [
            ("SH-1.1".into(), Level::Must, section.clone()),
            ("SH-1.2".into(), Level::Must, section.clone()),
            ("SH-1.3".into(), Level::Must, section.clone()),
            ("SH-1.4".into(), Level::Should, section),
        ],
        "a level merged down three rows; a row merged across names the section"
    );
    assert_eq!(
        text_th(&p, "SH-1.3"),
        "ตรวจเอกสารแนบ: ชนิดไฟล์ที่รับ • PDF • JPEG"
    );
    // The header spans the text and a note column: the text is the requirement's.
    assert_eq!(text_th(&p, "SH-1.1"), "ยื่นคำขอได้ 201");
    assert_eq!(p.problems, []);
}

#[test]
fn runs_split_mid_word_are_one_word_and_tracked_deletions_and_field_codes_are_not_text() {
    let p = read("split-runs.docx");
    assert_eq!(
        outline(&p),
        [
            (
                "CR-2.1".into(),
                Level::Must,
                "2. ใบรับรอง (certificate)".into()
            ),
            (
                "CR-2.2".into(),
                Level::Should,
                "2. ใบรับรอง (certificate)".into()
            ),
        ]
    );
    assert_eq!(text_th(&p, "CR-2.1"), "ออกใบรับรองเป็น PDF ภายใน 1 นาที");
    assert_eq!(text_th(&p, "CR-2.2"), "ใบรับรองมีลายมือชื่ออิเล็กทรอนิกส์");
    // CR-9.9 is deleted (tracked) and CR-9.8 is in a field code: neither is in the document.
    assert_eq!(p.problems, []);
}

#[test]
fn a_table_continued_after_a_page_break() {
    let p = read("page-break.docx");
    assert_eq!(
        ids(&p),
        ["RF-4.1", "RF-4.2", "RF-4.3", "RF-4.4", "RF-4.5", "RF-4.6"]
    );
    assert!(
        p.clauses
            .iter()
            .all(|c| c.section == "4. การคืนเงิน (refund)")
    );
    assert_eq!(p.clauses[3].spot.to_string(), "table 2, row 1");
    assert_eq!(p.problems, []);
}

#[test]
fn thai_and_english_in_one_cell_are_split_and_the_head_is_a_table() {
    let p = read("bilingual.docx");
    let texts: Vec<(&str, Level, Option<&str>, Option<&str>)> = p
        .clauses
        .iter()
        .map(|c| {
            (
                c.id.as_str(),
                c.level,
                c.text_th.as_deref(),
                c.text_en.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        texts,
        [
            (
                "BZ-1.1",
                Level::Must,
                Some("ตอบ 201 พร้อมเลขที่หนังสือรับรอง"),
                Some("Answers 201 with the certificate number.")
            ),
            (
                "BZ-1.2",
                Level::Should,
                Some("บันทึกทุกคำขอ"),
                Some("Every request is logged with its id")
            ),
            (
                "BZ-1.3",
                Level::Must,
                None,
                Some("Rejects a request without a consent flag with 422.")
            ),
        ]
    );
    assert_eq!(
        (
            p.service_name_th.as_deref(),
            p.service_code.as_deref(),
            p.agency_th.as_deref(),
            p.version.as_deref()
        ),
        (
            Some("ขอหนังสือรับรองการเป็นผู้ประกอบการ"),
            Some("BIZ"),
            Some("กรมพัฒนาตัวอย่าง"),
            Some("0.9")
        )
    );
}

#[test]
fn an_id_outside_any_table_is_named_with_its_place() {
    let p = read("stray-id.docx");
    assert_eq!(ids(&p), ["ST-5.1", "ST-5.2"]);
    let skipped: Vec<(String, ProblemKind, &str)> = p
        .problems
        .iter()
        .map(|x| (x.spot.to_string(), x.kind, x.subject.as_str()))
        .collect();
    // ST-5.1 in a paragraph is a reference to a clause read: not a problem.
    assert_eq!(
        skipped,
        [
            ("paragraph 3".to_string(), ProblemKind::Id, "ST-5.3"),
            ("table 2, row 2".to_string(), ProblemKind::Id, "ST-5.9"),
        ]
    );
    assert!(
        p.problems[0].message.contains("it is in a paragraph"),
        "{}",
        p.problems[0].message
    );
}

/// `cpc init --proposal PROPOSAL DIR`, which must succeed.
async fn init_ok(proposal: &str, dir: &str) -> std::process::Output {
    let made = cpc(args(&["init", "--proposal", proposal, dir])).await;
    assert_eq!(made.status.code(), Some(0), "{}", stderr(&made));
    made
}

/// requirements.yaml as data, without its header comment (which names the file).
fn requirements(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("requirements.yaml")).unwrap();
    serde_saphyr::from_str(&text).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_csg_proposal_as_docx_gives_the_same_suite_as_the_markdown_one() {
    let work = tempfile::tempdir().unwrap();
    let (word, markdown) = (work.path().join("word"), work.path().join("md"));
    let made = init_ok("tests/proposals/csg.docx", word.to_str().unwrap()).await;
    let said = stdout(&made);
    assert!(
        said.contains("read 24 clause(s) from 8 requirement table(s)"),
        "{said}"
    );
    assert!(
        said.contains("skipped: 0 table(s), 0 row(s), 0 id(s)"),
        "{said}"
    );
    init_ok("suites/csg/proposal.md", markdown.to_str().unwrap()).await;
    assert_eq!(requirements(&word), requirements(&markdown));
    let suite_yaml = |dir: &Path| {
        let text = std::fs::read_to_string(dir.join("suite.yaml")).unwrap();
        let mut doc: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
        doc.as_object_mut().unwrap().remove("proposal");
        doc
    };
    assert_eq!(suite_yaml(&word), suite_yaml(&markdown));
    // The suite keeps the agency's file as it is; its SHA-256 is the proposal's digest.
    assert_eq!(
        std::fs::read(word.join("proposal.docx")).unwrap(),
        fixture("csg.docx")
    );
    let checked = cpc(args(&["validate", word.to_str().unwrap()])).await;
    assert_eq!(checked.status.code(), Some(0), "{}", stderr(&checked));
    let out = work.path().join("run");
    let run = cpc(args(&[
        "run",
        word.to_str().unwrap(),
        "--target",
        "reference",
        "--out",
        out.to_str().unwrap(),
    ]))
    .await;
    assert_eq!(run.status.code(), Some(1), "{}", stderr(&run));
    let digest = sha2_hex(&fixture("csg.docx"));
    assert_eq!(read_json(&out.join("gate.json"))["proposal_digest"], digest);
    let report = std::fs::read_to_string(out.join("report.th.md")).unwrap();
    let named = report
        .lines()
        .find(|l| l.contains("ไฟล์ข้อเสนอทางเทคนิค"))
        .unwrap_or_else(|| panic!("{report}"));
    assert!(named.contains("proposal.docx"), "{named}");
    assert!(
        report.contains(&digest),
        "the report gives the proposal's digest"
    );
}

fn sha2_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anything_skipped_stops_init_unless_allowed_and_no_marker_passes_validate() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("st");
    let d = dir.to_str().unwrap();
    let stopped = cpc(args(&[
        "init",
        "--proposal",
        "tests/proposals/stray-id.docx",
        d,
    ]))
    .await;
    assert_eq!(stopped.status.code(), Some(2));
    let err = stderr(&stopped);
    assert!(
        err.contains("stray-id.docx (paragraph 3): ST-5.3 looks like a clause id"),
        "{err}"
    );
    assert!(
        err.contains("stray-id.docx (table 2, row 2): ST-5.9"),
        "{err}"
    );
    assert!(err.contains("nothing written"), "{err}");
    assert!(
        !dir.exists(),
        "nothing is written when something is skipped"
    );
    assert!(
        stdout(&stopped).contains("skipped: 0 table(s), 0 row(s), 2 id(s)"),
        "{}",
        stdout(&stopped)
    );

    let allowed = cpc(args(&[
        "init",
        "--proposal",
        "tests/proposals/stray-id.docx",
        d,
        "--allow-skipped",
    ]))
    .await;
    assert_eq!(allowed.status.code(), Some(0), "{}", stderr(&allowed));
    // The head gives nothing: every value is a marker, and so is every reason for a skip.
    let suite = std::fs::read_to_string(dir.join("suite.yaml")).unwrap();
    let markers: Vec<&str> = suite
        .lines()
        .filter(|l| !l.trim_start().starts_with('#') && l.contains("FILL-IN:"))
        .collect();
    assert_eq!(markers.len(), 6, "{suite}");
    assert!(
        stdout(&allowed).contains("6 value(s)"),
        "{}",
        stdout(&allowed)
    );
    let refused = cpc(args(&["validate", d])).await;
    assert_eq!(refused.status.code(), Some(2));
    let err = stderr(&refused);
    assert_eq!(err.matches("FILL-IN marker").count(), 6, "{err}");
    assert!(err.contains("suite.yaml:3:"), "service_code's place: {err}");

    // A person fills them in: the suite validates, the skipped ids acknowledged.
    let filled = suite
        .lines()
        .map(|l| match l.find("\"FILL-IN:") {
            Some(at) if !l.trim_start().starts_with('#') => format!("{}\"ST 1\"", &l[..at]),
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(dir.join("suite.yaml"), filled).unwrap();
    let ok = cpc(args(&["validate", d])).await;
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn english_only_clause_text_is_a_marker_for_the_thai() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("biz");
    init_ok("tests/proposals/bilingual.docx", dir.to_str().unwrap()).await;
    let reqs = requirements(&dir);
    let r = &reqs["requirements"];
    assert_eq!(r[0]["text_en"], "Answers 201 with the certificate number.");
    assert!(
        r[2]["text_th"].as_str().unwrap().starts_with("FILL-IN:"),
        "{r}"
    );
    assert_eq!(
        r[2]["text_en"],
        "Rejects a request without a consent flag with 422."
    );
    let refused = cpc(args(&["validate", dir.to_str().unwrap()])).await;
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("requirements.yaml:"),
        "{}",
        stderr(&refused)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_markdown_proposal_without_header_rows_is_read_whole() {
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("p.md");
    let mut text = String::from(
        "# ข้อเสนอ\n\nงานบริการ: ทดสอบ\nรหัสงานบริการ: HDL\nหน่วยงาน: กรม ก\nฉบับที่: 1\n\n## 1. A (first)\n\n",
    );
    // No header row: a delimiter row under the first clause, then bare pipe rows.
    text.push_str("| H-1.1 | ต้อง | ข้อหนึ่ง |\n|---|---|---|\n");
    for n in 2..=7 {
        text.push_str(&format!("| H-1.{n} | ควร | ข้อที่ {n} |\n"));
    }
    text.push_str("\n## 2. B (second)\n\n");
    for n in 1..=6 {
        text.push_str(&format!("| H-2.{n} | ต้อง | ข้อที่ {n} ของหมวดสอง |\n"));
    }
    std::fs::write(&file, text).unwrap();
    let dir = work.path().join("s");
    let made = init_ok(file.to_str().unwrap(), dir.to_str().unwrap()).await;
    assert!(
        stdout(&made).contains("read 13 clause(s) from 2 requirement table(s)"),
        "{}",
        stdout(&made)
    );
    assert_eq!(
        requirements(&dir)["requirements"].as_array().unwrap().len(),
        13
    );
    let ok = cpc(args(&["validate", dir.to_str().unwrap()])).await;
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
}

/// A .docx made here: `parts` (name, bytes), deflated.
fn docx(parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    for (name, bytes) in parts {
        zip.start_file(*name, options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// The body of a document.xml.
fn document(body: &str) -> Vec<u8> {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>"#
    )
    .into_bytes()
}

#[test]
fn a_hostile_docx_is_refused_within_bounds() {
    // 80 MiB of spaces in document.xml (past the 64 MiB read): about 80 kB deflated.
    let mut bomb = document("<w:p><w:r><w:t>");
    bomb.resize(80 * 1024 * 1024, b' ');
    let zipped = docx(&[("word/document.xml", &bomb)]);
    drop(bomb);
    assert!(zipped.len() < 2 * 1024 * 1024, "{}", zipped.len());
    let e = proposal::read(&zipped).unwrap_err();
    assert!(e.contains("inflates past"), "{e}");

    let deep = document(&"<w:sdt>".repeat(100_000));
    let e = proposal::read(&docx(&[("word/document.xml", &deep)])).unwrap_err();
    assert!(e.contains("nests elements deeper than 256"), "{e}");

    let entity = br#"<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "TP-1.1">]><w:document xmlns:w="x"><w:body><w:p><w:r><w:t>&a;</w:t></w:r></w:p></w:body></w:document>"#;
    let e = proposal::read(&docx(&[("word/document.xml", entity)])).unwrap_err();
    assert!(e.contains("DOCTYPE"), "{e}");

    let names: Vec<String> = (0..70_000).map(|i| format!("x/{i}")).collect();
    let many: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b""[..])).collect();
    let e = proposal::read(&docx(&many)).unwrap_err();
    assert!(e.contains("entries"), "{e}");

    // A span of a billion columns is a span of 64: no billion cells.
    let wide = document(
        r#"<w:tbl><w:tr><w:tc><w:tcPr><w:gridSpan w:val="1000000000"/></w:tcPr><w:p><w:r><w:t>x</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"#,
    );
    let p = proposal::read(&docx(&[("word/document.xml", &wide)])).unwrap();
    assert!(p.clauses.is_empty());
    // Beyond any Word table: five spans of 64 in one row.
    let cell = r#"<w:tc><w:tcPr><w:gridSpan w:val="64"/></w:tcPr></w:tc>"#;
    let wider = document(&format!("<w:tbl><w:tr>{}</w:tr></w:tbl>", cell.repeat(5)));
    let e = proposal::read(&docx(&[("word/document.xml", &wider)])).unwrap_err();
    assert!(e.contains("more than 256 columns"), "{e}");

    // One cell of 20,000 lines merged down 100 rows: two million lines, not read.
    let merged_down = format!(
        r#"<w:tbl><w:tr><w:tc><w:tcPr><w:vMerge w:val="restart"/></w:tcPr><w:p><w:r>{}</w:r></w:p></w:tc></w:tr>{}</w:tbl>"#,
        "<w:t>x</w:t><w:br/>".repeat(20_000),
        r#"<w:tr><w:tc><w:tcPr><w:vMerge/></w:tcPr><w:p/></w:tc></w:tr>"#.repeat(100)
    );
    let e = proposal::read(&docx(&[("word/document.xml", &document(&merged_down))])).unwrap_err();
    assert!(e.contains("table cells and lines"), "{e}");

    // Cut short, not a Word document, an older format or a PDF: a message, never a panic.
    let good = fixture("merged.docx");
    for (bytes, says) in [
        (good[..good.len() / 2].to_vec(), "zip"),
        (docx(&[("a.txt", b"x")]), "no `word/document.xml`"),
        (
            b"%PDF-1.7\n...".to_vec(),
            "save it as a Word document (.docx)",
        ),
        (
            vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0],
            "(.doc)",
        ),
        (vec![0xff, 0xfe, 0], "neither a Word document"),
    ] {
        let e = proposal::read(&bytes).unwrap_err();
        assert!(e.contains(says), "{says}: {e}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pdf_is_refused_with_what_to_give_instead() {
    let work = tempfile::tempdir().unwrap();
    let pdf = work.path().join("proposal.pdf");
    std::fs::write(&pdf, b"%PDF-1.4\n%\xe2\xe3\n1 0 obj\n").unwrap();
    let out = cpc(args(&[
        "init",
        "--proposal",
        pdf.to_str().unwrap(),
        work.path().join("s").to_str().unwrap(),
    ]))
    .await;
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("it is a PDF"), "{err}");
    assert!(err.contains(".docx"), "{err}");
}

/// The CSG proposal as .docx with one clause's text edited inside word/document.xml.
fn edited_csg_docx(from: &str, to: &str) -> Vec<u8> {
    let bytes = fixture("csg.docx");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut parts = Vec::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let mut content = Vec::new();
        std::io::Read::read_to_end(&mut file, &mut content).unwrap();
        let name = file.name().unwrap().to_string();
        if name == "word/document.xml" {
            let text = String::from_utf8(content).unwrap();
            assert!(text.contains(from), "{from} is in the document");
            content = text.replace(from, to).into_bytes();
        }
        parts.push((name, content));
    }
    let parts: Vec<(&str, &[u8])> = parts
        .iter()
        .map(|(n, c)| (n.as_str(), c.as_slice()))
        .collect();
    docx(&parts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_and_update_work_for_a_docx_proposal() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("csg");
    let d = dir.to_str().unwrap();
    let made = cpc(args(&["init", "--proposal", "tests/proposals/csg.docx", d])).await;
    assert_eq!(made.status.code(), Some(0), "{}", stderr(&made));
    std::fs::write(
        dir.join("proposal.docx"),
        edited_csg_docx("ภายใน 1,000 ms", "ภายใน 500 ms"),
    )
    .unwrap();
    let drifted = cpc(args(&["validate", d])).await;
    assert_eq!(drifted.status.code(), Some(2));
    let err = stderr(&drifted);
    assert!(
        err.contains(&format!(
            "the text of clause TP-3.1 changed in the proposal ({} (table 2, row 2))",
            dir.join("proposal.docx").display()
        )),
        "{err}"
    );
    let updated = cpc(args(&["init", "--update", d])).await;
    assert_eq!(updated.status.code(), Some(0), "{}", stderr(&updated));
    assert!(
        stdout(&updated).contains("~ TP-3.1: text changed"),
        "{}",
        stdout(&updated)
    );
    let text = std::fs::read_to_string(dir.join("requirements.yaml")).unwrap();
    assert!(text.contains("ภายใน 500 ms"), "{text}");
    let ok = cpc(args(&["validate", d])).await;
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worked_example_is_the_suite_init_builds_from_its_proposal() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("pay");
    init_ok("suites/pay/proposal.md", dir.to_str().unwrap()).await;
    // docs/new-service.md's suite keeps exactly the clauses, texts and digests init reads.
    assert_eq!(requirements(&dir), requirements(&repo().join("suites/pay")));
    let checked = cpc(args(&["validate", "suites/pay"])).await;
    assert_eq!(checked.status.code(), Some(0), "{}", stderr(&checked));
}

/// A clause as read: id, level, Thai text, English text, section.
type Read<'p> = (&'p str, Level, Option<&'p str>, Option<&'p str>, &'p str);

#[test]
fn frame_tables_tracked_formatting_hidden_text_marks_and_notes() {
    let p = read("tricky.docx");
    let got: Vec<Read> = p
        .clauses
        .iter()
        .map(|c| {
            (
                c.id.as_str(),
                c.level,
                c.text_th.as_deref(),
                c.text_en.as_deref(),
                c.section.as_str(),
            )
        })
        .collect();
    let general = "1. ทั่วไป (general)";
    assert_eq!(
        got,
        [
            ("TK-1.1", Level::Must, Some("ข้อในกรอบ"), None, general),
            ("TK-1.2", Level::Should, Some("ข้อที่สองในกรอบ"), None, general),
            (
                "TK-2.1",
                Level::Must,
                Some("ตอบ 200 และบันทึกผล"),
                Some("Answers with status 200"),
                general
            ),
            (
                "TK-2.2",
                Level::Should,
                Some("แจ้งผล"),
                Some("Notifies the portal of the result"),
                general
            ),
        ],
        "a frame table's requirements, a paragraph that only used to be a heading, hidden text \
         left out, a level a tracked change once merged, marks and two text columns"
    );
    let skipped: Vec<(String, &str)> = p
        .problems
        .iter()
        .map(|x| (x.spot.to_string(), x.subject.as_str()))
        .collect();
    assert_eq!(
        skipped,
        [
            ("page headers, paragraph 1".to_string(), "TK-9.1"),
            ("comments, paragraph 1".to_string(), "TK-9.2"),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_refuses_a_proposal_it_cannot_read_whole() {
    let work = tempfile::tempdir().unwrap();
    let suite = work.path().join("pay");
    support::copy_dir(&repo().join("suites/pay"), &suite);
    let proposal = suite.join("proposal.md");
    let text = std::fs::read_to_string(&proposal)
        .unwrap()
        .replace("| PAY-2 | ต้อง |", "| PAY-2 | ต้อง * |");
    std::fs::write(&proposal, text).unwrap();
    let before = std::fs::read_to_string(suite.join("requirements.yaml")).unwrap();
    let out = cpc(args(&["init", "--update", suite.to_str().unwrap()])).await;
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("clause PAY-2: level `ต้อง *`"), "{err}");
    assert!(err.contains("nothing updated"), "{err}");
    assert_eq!(
        std::fs::read_to_string(suite.join("requirements.yaml")).unwrap(),
        before,
        "PAY-2 is not taken as removed"
    );
}
