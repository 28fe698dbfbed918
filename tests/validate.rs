//! `cpc validate`: clean suites exit 0; every problem of a broken suite is listed with its place.

mod support;

use std::path::Path;

use support::{args, copy_dir, cpc, stderr, stdout};

/// Copies the CSG suite and its fixtures into a fresh project directory.
fn copy_csg(root: &Path) {
    let repo = support::repo();
    copy_dir(&repo.join("suites/csg"), &root.join("suites/csg"));
    copy_dir(&repo.join("fixtures/csg"), &root.join("fixtures/csg"));
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{from:?} not in {}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

async fn validate(dir: &Path) -> std::process::Output {
    cpc(args(&["validate", dir.to_str().unwrap()])).await
}

fn redacted(text: &str, root: &Path) -> String {
    text.replace(root.to_str().unwrap(), "[project]")
}

#[tokio::test]
async fn the_bundled_suites_are_valid() {
    for suite in ["suites/csg", "tests/suites/mini"] {
        let output = cpc(args(&["validate", suite])).await;
        assert_eq!(
            output.status.code(),
            Some(0),
            "{suite}: {}",
            stderr(&output)
        );
        assert!(stdout(&output).ends_with("— OK\n"));
    }
}

#[tokio::test]
async fn a_misspelled_key_names_file_line_and_column() {
    let root = tempfile::tempdir().unwrap();
    copy_csg(root.path());
    let health = root.path().join("suites/csg/cases/02-health.yaml");
    edit(&health, "duration_ms:", "duration_sm:");
    let output = validate(&root.path().join("suites/csg")).await;
    assert_eq!(output.status.code(), Some(2));
    insta::assert_snapshot!(redacted(&stderr(&output), root.path()));
}

#[tokio::test]
async fn every_problem_is_listed_not_just_the_first() {
    let root = tempfile::tempdir().unwrap();
    copy_csg(root.path());
    let cases = root.path().join("suites/csg/cases");
    // A case id used twice, an unknown requirement, an undefined variable, a bad JSONPath,
    // a bad regex, a missing fixture, a fixture outside the project and a bad status.
    edit(
        &cases.join("02-health.yaml"),
        "id: CSG-HEALTH-001",
        "id: CSG-SEC-001",
    );
    edit(
        &cases.join("02-health.yaml"),
        "requirements: [TP-3.1]",
        "requirements: [TP-3.1, TP-9.9]",
    );
    edit(
        &cases.join("02-health.yaml"),
        "path: /health",
        "path: /health/{{ nobody }}",
    );
    edit(
        &cases.join("02-health.yaml"),
        "$.status: { equals: ok }",
        "$.status[: { equals: ok }",
    );
    edit(
        &cases.join("03-submit.yaml"),
        r"matches: '^CSG-25\d{2}-\d{6}$'",
        "matches: '^CSG-(25'",
    );
    edit(
        &cases.join("03-submit.yaml"),
        "applications/valid.json }",
        "applications/missing.json }",
    );
    edit(
        &cases.join("05-documents.yaml"),
        "../../../fixtures/csg/applications/documents.json",
        "../../../../../etc/hostname",
    );
    edit(&cases.join("06-cancel.yaml"), "status: 409", "status: 4xxx");
    // A schema that does not compile, and a requirement nobody covers.
    std::fs::write(
        root.path().join("suites/csg/schemas/error.json"),
        r#"{"type": 12}"#,
    )
    .unwrap();
    edit(
        &cases.join("02-health.yaml"),
        "requirements: [TP-3.1, TP-9.9]",
        "requirements: [TP-9.9]",
    );
    let output = validate(&root.path().join("suites/csg")).await;
    assert_eq!(output.status.code(), Some(2));
    insta::assert_snapshot!(redacted(&stderr(&output), root.path()));
}

#[tokio::test]
async fn a_missing_suite_file_is_named() {
    let root = tempfile::tempdir().unwrap();
    copy_csg(root.path());
    std::fs::remove_file(root.path().join("suites/csg/requirements.yaml")).unwrap();
    let output = validate(&root.path().join("suites/csg")).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("requirements.yaml"),
        "{}",
        stderr(&output)
    );
}

/// A fresh suite in `root` with these case files (and the mini suite's other files).
fn small_suite(root: &Path, suite_yaml: &str, cases: &str) -> std::path::PathBuf {
    let dir = root.join("suites/small");
    std::fs::create_dir_all(dir.join("cases")).unwrap();
    std::fs::write(dir.join("suite.yaml"), suite_yaml).unwrap();
    std::fs::write(
        dir.join("requirements.yaml"),
        "requirements:\n  - id: R-1\n    level: must\n    text_th: ทดสอบ\n",
    )
    .unwrap();
    std::fs::write(dir.join("cases/a.yaml"), cases).unwrap();
    dir
}

const SMALL: &str =
    "id: small\nservice_code: S\nname_th: เล็ก\nagency_th: ทดสอบ\nproposal_version: \"1\"\n";

#[tokio::test]
async fn every_number_has_a_bound_validate_enforces() {
    let root = tempfile::tempdir().unwrap();
    let cases = r#"cases:
  - id: B-1
    title_th: ตัวเลขเกินขอบเขต
    requirements: [R-1]
    vars:
      when: "{{ today(106751991167301) }}"
    steps:
      - request: { method: POST, path: /x, body: x, pad_to_bytes: 1073741824, timeout_ms: 99999999 }
      - load:
          request: { method: GET, path: /x }
          users: 1000000000
          requests: 10
      - load:
          request: { method: GET, path: /x }
          users: 1
          duration_ms: 18446744073709551615
      - load:
          request: { method: POST, path: /x, body: x, pad_to_bytes: 67108864 }
          users: 10000
          requests: 10
      - await:
          request: { method: POST, path: /cb }
          within_ms: 18446744073709551615
          count: { at_least: 1000000000 }
      - poll:
          request: { method: GET, path: /x }
          interval_ms: 1
          within_ms: 1000
      - portal:
          respond: { method: POST, path: /cb, status: 503, times: 0, delay_ms: 99999999 }
"#;
    let dir = small_suite(root.path(), SMALL, cases);
    let output = validate(&dir).await;
    assert_eq!(output.status.code(), Some(2));
    insta::assert_snapshot!(redacted(&stderr(&output), root.path()));
}

#[tokio::test]
async fn secrets_too_short_to_mask_and_variables_not_yet_defined_are_problems() {
    let root = tempfile::tempdir().unwrap();
    let suite = format!(
        "{SMALL}defaults:\n  headers:\n    Token: \"{{{{ session }}}}\"\n    Consumer-Key: abc\nvariables:\n  pin:\n    default: \"1234\"\n    secret: true\ncase_vars:\n  broken: \"{{{{ nowhere }}}}\"\n"
    );
    let cases = r#"cases:
  - id: S-1
    title_th: ยังไม่มี session
    requirements: [R-1]
    steps:
      - request: { method: POST, path: /login, headers: { Token: null } }
        capture: { session: $.token }
      - request: { method: GET, path: /me }
  - id: S-2
    title_th: ใช้ session ก่อนได้มา
    requirements: [R-1]
    steps:
      - request: { method: GET, path: /me }
"#;
    let dir = small_suite(root.path(), &suite, cases);
    let output = validate(&dir).await;
    assert_eq!(output.status.code(), Some(2));
    let text = redacted(&stderr(&output), root.path());
    // The case_vars problem is said once, in suite.yaml; S-2's request (not S-1's, which
    // removes the header, nor its second, after the capture) uses an undefined `session`.
    assert_eq!(
        text.matches("undefined variable `nowhere`").count(),
        1,
        "{text}"
    );
    insta::assert_snapshot!(text);
}

#[tokio::test]
async fn a_fifo_and_a_huge_line_are_problems_not_hangs() {
    let root = tempfile::tempdir().unwrap();
    let long = format!(
        "cases:\n  - id: L-1\n    title_th: ยาว\n    requirements: [R-1]\n    steps:\n      - request: {{ method: GET, path: \"/{}{{{{ missing }}}}\" }}\n",
        "a".repeat(140_000)
    );
    let dir = small_suite(root.path(), SMALL, &long);
    let fifo = dir.join("cases/b.yaml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let started = std::time::Instant::now();
    let output = tokio::time::timeout(std::time::Duration::from_secs(30), validate(&dir))
        .await
        .expect("validate does not block on a FIFO");
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    assert_eq!(output.status.code(), Some(2));
    let text = stderr(&output);
    assert!(text.contains("b.yaml` is not a regular file"), "{text}");
    assert!(text.contains("undefined variable `missing`"), "{text}");
    assert!(
        text.len() < 2_000,
        "a long line is shown around the caret: {} bytes",
        text.len()
    );
}

#[tokio::test]
async fn the_newer_keys_are_checked_with_their_places() {
    let root = tempfile::tempdir().unwrap();
    let cases = r#"cases:
  - id: N-1
    title_th: ทุกคีย์ใหม่
    requirements: [R-1]
    steps:
      - name: first
        request: { method: GET, path: "/x/{{ answer.sha256 }}" }
        expect:
          xml: { "//[": { equals: x } }
          body:
            $.items: { unique: "$..[" , every: { matches: "(" } }
        capture: { bad: { xml: "//[" } }
      - await:
          request: { method: POST, path: /cb }
          since: nowhere
          within_ms: 1000
      - wait: { ms: 5, seconds: 1 }
      - request: { method: GET, path: "/y", headers: { X-At: "{{ finished_at('later') }}" } }
      - use: missing-fragment
      - use: login
        with: { user: a, extra: b }
"#;
    let dir = small_suite(root.path(), SMALL, cases);
    std::fs::create_dir_all(dir.join("fragments")).unwrap();
    std::fs::write(
        dir.join("fragments/f.yaml"),
        "fragments:\n  - name: login\n    params: [user, password]\n    steps:\n      - use: again\n  - name: again\n    steps:\n      - use: login\n        with: { user: x, password: y }\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("invariants.yaml"),
        "invariants:\n  - id: I-1\n    requirements: [R-9]\n    when: { path_matches: \"(\", status: 7xx }\n    expect: { latency_ms: { p95: 1 } }\n",
    )
    .unwrap();
    let output = validate(&dir).await;
    assert_eq!(output.status.code(), Some(2));
    insta::assert_snapshot!(redacted(&stderr(&output), root.path()));
}

#[tokio::test]
async fn keys_with_several_shapes_say_which_they_take() {
    let root = tempfile::tempdir().unwrap();
    let cases = r#"cases:
  - id: U-1
    title_th: รูปแบบที่ใช้ไม่ได้
    requirements: [R-1]
    steps:
      - request: { method: GET, path: /a }
        expect: { status: [200, true] }
  - id: U-2
    title_th: รูปแบบที่ใช้ไม่ได้
    requirements: [R-1]
    steps:
      - request: { method: GET, path: /a }
        expect: { schema: 5 }
  - id: U-3
    title_th: รูปแบบที่ใช้ไม่ได้
    requirements: [R-1]
    steps:
      - request: { method: GET, path: /a }
        capture: { x: { jsn: $.a } }
  - id: U-4
    title_th: รูปแบบที่ใช้ไม่ได้
    requirements: [R-1]
    steps:
      - request: { method: GET, path: /a }
        expect: { body: { $.a: { length: "long" } } }
  - id: U-5
    title_th: รูปแบบที่ใช้ไม่ได้
    requirements: [R-1]
    steps:
      - wait: { ms: [1] }
"#;
    let dir = small_suite(root.path(), SMALL, cases);
    // One problem per file stops the parser there: one file per shape.
    let text = std::fs::read_to_string(dir.join("cases/a.yaml")).unwrap();
    std::fs::remove_file(dir.join("cases/a.yaml")).unwrap();
    for (i, case) in text
        .trim_start_matches("cases:\n")
        .split("  - id:")
        .skip(1)
        .enumerate()
    {
        std::fs::write(
            dir.join(format!("cases/{i}.yaml")),
            format!("cases:\n  - id:{case}"),
        )
        .unwrap();
    }
    let output = validate(&dir).await;
    assert_eq!(output.status.code(), Some(2));
    let text = redacted(&stderr(&output), root.path());
    assert!(!text.contains("did not match any variant"), "{text}");
    insta::assert_snapshot!(text);
}

#[tokio::test]
async fn a_file_too_big_to_read_at_once_says_to_split_it() {
    let root = tempfile::tempdir().unwrap();
    let case = |i: usize| {
        format!(
            "  - id: C-{i:05}\n    title_th: ทดสอบ\n    requirements: [R-1]\n    steps:\n      - request: {{method: GET, path: /x}}\n        expect: {{status: 200}}\n"
        )
    };
    // An anchor keeps the file whole (pieces could separate it from its alias).
    let cases: String = (0..15_000).map(case).collect::<String>().replacen(
        "title_th: ทดสอบ",
        "title_th: &t ทดสอบ",
        1,
    );
    let dir = small_suite(root.path(), SMALL, &format!("cases:\n{cases}"));
    let output = validate(&dir).await;
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("cases/a.yaml:1:1"), "{err}");
    assert!(err.contains("split its cases into several files"), "{err}");
    assert!(!err.contains("budget breached"), "{err}");

    // The same cases in three files are a normal suite.
    let third =
        |part: std::ops::Range<usize>| format!("cases:\n{}", part.map(case).collect::<String>());
    std::fs::write(dir.join("cases/a.yaml"), third(0..5_000)).unwrap();
    std::fs::write(dir.join("cases/b.yaml"), third(5_000..10_000)).unwrap();
    std::fs::write(dir.join("cases/c.yaml"), third(10_000..15_000)).unwrap();
    let output = validate(&dir).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("15000 case(s)"),
        "{}",
        stdout(&output)
    );
}

#[tokio::test]
async fn a_path_pattern_that_can_never_match_is_said() {
    let work = tempfile::tempdir().unwrap();
    let suite = work.path().join("mini");
    support::copy_dir(&support::repo().join("tests/suites/mini"), &suite);
    std::fs::write(
        suite.join("invariants.yaml"),
        "invariants:\n  - id: A\n    title_th: ก\n    requirements: [R-1]\n    when: { path_matches: 'applications/.*' }\n    expect: { status: 200 }\n  - id: B\n    title_th: ข\n    requirements: [R-1]\n    when: { not: { path_matches: '(?x) /x # c' } }\n    expect: { status: 200 }\n",
    )
    .unwrap();
    let checked = cpc(args(&["validate", suite.to_str().unwrap()])).await;
    assert_eq!(checked.status.code(), Some(2));
    let err = stderr(&checked);
    assert!(
        err.contains("`path_matches: applications/.*` can never match: a path starts with `/`"),
        "{err}"
    );
    // A `(?x)` comment would swallow the anchor it is matched with: refused, not dropped.
    assert!(
        err.contains("error: invalid regular expression: unclosed group\n  --> ")
            && err.contains("invariants.yaml:10:"),
        "{err}"
    );
}

#[tokio::test]
async fn a_follow_written_wrong_is_refused_with_its_places() {
    let work = tempfile::tempdir().unwrap();
    let suite = work.path().join("mini");
    support::copy_dir(&support::repo().join("tests/suites/mini"), &suite);
    std::fs::write(
        suite.join("cases/mini.yaml"),
        "cases:\n  - id: F-1\n    title_th: ก\n    requirements: [R-1, R-2]\n    steps:\n      - follow:\n          request: { method: GET, path: /list }\n          next: { link: next, header: Link }\n          max_pages: 0\n          next_request: { method: GET, path: \"/list/{{ next }}/{{ nothing }}\" }\n          union: { unique: '$[' }\n",
    )
    .unwrap();
    let checked = cpc(args(&["validate", suite.to_str().unwrap()])).await;
    assert_eq!(checked.status.code(), Some(2));
    let err = stderr(&checked);
    for said in [
        "`next` names exactly one of",
        "`max_pages` is between 1 and 10000 (0 given)",
        "undefined variable `nothing`",
        "invalid JSONPath `$[`",
        "`union` judges the items of every page: say where they are with `items`",
    ] {
        assert!(err.contains(said), "{said}\n{err}");
    }
    assert!(!err.contains("undefined variable `next`"), "{err}");
}
