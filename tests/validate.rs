//! `cpc validate`: clean suites exit 0; every problem of a broken suite is listed with its place.

mod support;

use std::path::Path;

use support::{args, cpc, stderr, stdout};

/// Copies the CSG suite and its fixtures into a fresh project directory.
fn copy_csg(root: &Path) {
    let repo = support::repo();
    copy_dir(&repo.join("suites/csg"), &root.join("suites/csg"));
    copy_dir(&repo.join("fixtures/csg"), &root.join("fixtures/csg"));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
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
