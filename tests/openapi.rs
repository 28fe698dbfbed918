//! OpenAPI documents: 3.0 and 3.1 read and converted, bounds, and conformance findings naming
//! the operation and the JSON pointer.

use std::path::{Path, PathBuf};

use cpc::check::Response;
use cpc::openapi::{self, ApiDoc, conformance};
use serde_json::json;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/openapi")
        .join(name)
}

fn load(path: &Path) -> Result<ApiDoc, Vec<String>> {
    openapi::load(path, &mut |_, _| {})
        .map_err(|problems| problems.into_iter().map(|d| d.message).collect())
}

fn answer(status: u16, content_type: &str, body: serde_json::Value) -> Response {
    Response {
        status,
        headers: vec![
            ("Content-Type".into(), content_type.into()),
            ("ETag".into(), "\"1\"".into()),
        ],
        body: body.to_string().into_bytes(),
        ..Response::default()
    }
}

/// Each finding as `check | message (English)`.
fn findings(doc: &ApiDoc, method: &str, path: &str, response: &Response) -> Vec<String> {
    conformance::judge(doc, method, path, response)
        .into_iter()
        .map(|c| format!("{} | {}", c.check, c.message.en))
        .collect()
}

#[test]
fn an_openapi_30_document_is_read_with_its_keywords_converted() {
    let doc = load(&fixture("v30/openapi.yaml")).unwrap();
    let keys: Vec<String> = doc.operations.iter().map(|o| o.key()).collect();
    // Concrete paths first: `/items/mine` is not `/items/{id}`.
    assert_eq!(keys, ["GET /items/mine", "GET /items/{id}"]);
    let good = json!({"id": "a", "price": 1.5, "note": null});
    // The server's base path is taken off; `pin` is writeOnly, so not required in an answer;
    // `nullable` lets `note` be null.
    assert_eq!(
        findings(
            &doc,
            "GET",
            "/v1/items/a",
            &answer(200, "application/json", good)
        ),
        Vec::<String>::new()
    );
    // Boolean exclusiveMinimum: 0 is out; a `$ref`'s `nullable` sibling is ignored (3.0).
    let bad = json!({"id": "a", "price": 0, "owner": null});
    let got = findings(
        &doc,
        "GET",
        "/items/a",
        &answer(200, "application/json", bad),
    );
    assert_eq!(got.len(), 2, "{got:#?}");
    assert!(
        got[0].starts_with("openapi GET /items/{id} → 200 | "),
        "{got:#?}"
    );
    assert!(
        got.iter()
            .any(|f| f.contains("/price: 0 is less than or equal to the minimum of 0")),
        "{got:#?}"
    );
    assert!(
        got.iter()
            .any(|f| f.contains("/owner: null is not of type \"object\"")),
        "{got:#?}"
    );
    // The document's own arrays of items, from the concrete path.
    let list = json!([{"id": 1, "price": 2}]);
    let got = findings(
        &doc,
        "GET",
        "/items/mine",
        &answer(200, "application/json", list),
    );
    assert_eq!(
        got,
        ["openapi GET /items/mine → 200 | /0/id: 1 is not of type \"string\""]
    );
}

#[test]
fn statuses_content_types_and_headers_are_judged_against_the_operation() {
    let doc = load(&fixture("v30/openapi.yaml")).unwrap();
    // A 404 is documented by `4XX`, as problem+json.
    let problem = answer(404, "application/problem+json", json!({"title": "ไม่พบ"}));
    assert!(findings(&doc, "GET", "/items/a", &problem).is_empty());
    let wrong = answer(404, "text/html", json!("<h1>404</h1>"));
    assert_eq!(
        findings(&doc, "GET", "/items/a", &wrong),
        [
            "openapi GET /items/{id} → 404 | Content-Type `text/html` is not one the document declares (application/problem+json)"
        ]
    );
    // `default` documents any other status; it declares no body.
    assert!(
        findings(
            &doc,
            "GET",
            "/items/a",
            &answer(503, "text/plain", json!("down"))
        )
        .is_empty()
    );
    // `/items/mine` documents 200 only.
    assert_eq!(
        findings(
            &doc,
            "GET",
            "/items/mine",
            &answer(500, "application/json", json!({}))
        ),
        ["openapi GET /items/mine → 500 | the status is not documented (documented: 200)"]
    );
    // A required response header.
    let mut no_etag = answer(200, "application/json", json!({"id": "a", "price": 1}));
    no_etag.headers.retain(|(n, _)| n != "ETag");
    assert_eq!(
        findings(&doc, "GET", "/items/a", &no_etag),
        ["openapi GET /items/{id} → 200 | the required header `ETag` is missing"]
    );
    // Undocumented paths and methods.
    assert_eq!(
        findings(
            &doc,
            "GET",
            "/nothing",
            &answer(200, "application/json", json!({}))
        ),
        ["openapi | GET /nothing: the path is not in the OpenAPI document"]
    );
    assert_eq!(
        findings(
            &doc,
            "DELETE",
            "/items/a",
            &answer(204, "application/json", json!({}))
        ),
        ["openapi | DELETE /items/a: the OpenAPI document gives this path only GET"]
    );
    // A body that is not JSON under a JSON media type.
    let mut broken = answer(200, "application/json", json!({}));
    broken.body = b"{not json".to_vec();
    let got = findings(&doc, "GET", "/items/a", &broken);
    assert!(got[0].contains("the body is not valid JSON"), "{got:#?}");
}

#[test]
fn an_openapi_31_document_in_two_files_is_read() {
    let doc = load(Path::new("tests/suites/library/api/openapi.json")).unwrap();
    assert_eq!(doc.version, openapi::Version::V31);
    let book = json!({"id": "1", "title": "ก", "copies": 0, "isbn": null});
    let mut ok = answer(200, "application/json", book);
    ok.headers.push(("X-Request-Id".into(), "r1".into()));
    assert!(findings(&doc, "GET", "/books/1", &ok).is_empty());
}

#[test]
fn reference_cycles_and_references_out_of_the_folder_are_refused_with_their_place() {
    let problems = load(&fixture("cycle/openapi.yaml")).unwrap_err();
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0].contains("`$ref`s go round in a cycle"),
        "{problems:#?}"
    );
    assert!(
        problems[0].contains("#/components/schemas/A → "),
        "{problems:#?}"
    );
    let problems = load(&fixture("outside/openapi.yaml")).unwrap_err();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("outside the document's folder")),
        "{problems:#?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("no URL")),
        "{problems:#?}"
    );
    // The place is the line of the reference.
    let place = openapi::load(&fixture("outside/openapi.yaml"), &mut |_, _| {})
        .unwrap_err()
        .remove(0)
        .place
        .unwrap();
    assert_eq!((place.line, place.column), (11, 15));
}

#[test]
fn a_huge_document_or_one_of_too_many_files_is_refused_within_bounds() {
    let dir = tempfile::tempdir().unwrap();
    // Over MAX_DOCUMENT_BYTES: refused before it is read, however it is built.
    let root = dir.path().join("openapi.yaml");
    let filler = "x".repeat(openapi::MAX_DOCUMENT_BYTES as usize);
    std::fs::write(
        &root,
        format!("openapi: 3.1.0\ninfo: {{title: t, version: '1'}}\nx-pad: {filler}\n"),
    )
    .unwrap();
    let problems = load(&root).unwrap_err();
    assert!(problems[0].contains("at most"), "{problems:#?}");
    // A chain of files, each naming the next: no more than MAX_FILES are read.
    let count = openapi::MAX_FILES + 5;
    for i in 0..count {
        let next = format!("f{}.yaml", i + 1);
        std::fs::write(
            dir.path().join(format!("f{i}.yaml")),
            format!("A: {{ $ref: '{next}#/A' }}\n"),
        )
        .unwrap();
    }
    std::fs::write(
        &root,
        "openapi: 3.1.0\ninfo: {title: t, version: '1'}\ncomponents:\n  schemas:\n    A: { $ref: 'f0.yaml#/A' }\n",
    )
    .unwrap();
    let problems = load(&root).unwrap_err();
    assert!(
        problems
            .iter()
            .any(|p| p.contains(&format!("more than {} files", openapi::MAX_FILES))),
        "{problems:#?}"
    );
}

#[test]
fn swagger_2_is_named_and_refused() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("swagger.json");
    std::fs::write(&root, r#"{"swagger": "2.0", "paths": {}}"#).unwrap();
    let problems = load(&root).unwrap_err();
    assert!(
        problems[0].contains("a Swagger 2.0 document"),
        "{problems:#?}"
    );
}

mod support;

async fn run_library(
    forget_max_length: bool,
    extra: &[&str],
) -> (std::process::Output, serde_json::Value) {
    let (output, results, _) = run_library_in(forget_max_length, extra).await;
    (output, results)
}

/// The library suite against the fake library; the run's directory is kept while it is held.
async fn run_library_in(
    forget_max_length: bool,
    extra: &[&str],
) -> (std::process::Output, serde_json::Value, tempfile::TempDir) {
    run_library_at(forget_max_length, "", extra).await
}

/// The same, the library's API under `mount` and `--target` naming it.
async fn run_library_at(
    forget_max_length: bool,
    mount: &'static str,
    extra: &[&str],
) -> (std::process::Output, serde_json::Value, tempfile::TempDir) {
    let agency = support::library::start_at(forget_max_length, mount).await;
    let out = tempfile::tempdir().unwrap();
    let target = format!("{}{mount}", agency.uri());
    let mut list = support::args(&[
        "run",
        "tests/suites/library",
        "--target",
        &target,
        "--lang",
        "en",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    list.extend(support::args(extra));
    let output = support::cpc(list).await;
    let results = support::read_json(&out.path().join("results.json"));
    (output, results, out)
}

fn case<'a>(results: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    results["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no case {id}"))
}

fn messages(case: &serde_json::Value) -> Vec<String> {
    case["steps"][0]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["outcome"] != "pass")
        .map(|c| {
            format!(
                "{} | {}",
                c["check"].as_str().unwrap(),
                c["message"]["en"].as_str().unwrap()
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_invariant_finds_each_answer_off_the_description_by_operation_and_pointer() {
    let (output, results, out) = run_library_in(false, &[]).await;
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        support::stdout(&output)
    );
    assert_eq!(
        messages(case(&results, "LIB-BOOK-1")),
        [
            "invariant LIB-INV-API: openapi GET /books/{book_id} → 200 | /title: 123 is not of type \"string\""
        ]
    );
    assert_eq!(
        messages(case(&results, "LIB-BOOK-2")),
        [
            "invariant LIB-INV-API: openapi GET /books/{book_id} → 418 | the status is not documented (documented: 200, 404)"
        ]
    );
    assert_eq!(
        messages(case(&results, "LIB-BOOK-3")),
        [
            "invariant LIB-INV-API: openapi GET /books/{book_id} → 200 | Content-Type `text/plain` is not one the document declares (application/json)"
        ]
    );
    // The path sent is in the (masked) message, never in the check's name.
    let member = messages(case(&results, "LIB-MEMBER-1"));
    assert_eq!(member.len(), 1, "{member:?}");
    assert!(
        member[0].starts_with("invariant LIB-INV-API: openapi | GET /members/"),
        "{member:?}"
    );
    assert!(
        member[0].ends_with("/loans: the path is not in the OpenAPI document"),
        "{member:?}"
    );
    assert!(!member[0].contains("1101401234566"), "{member:?}");
    // Every generated case passes against an agency that checks loans as documented, and
    // the invariant judged their answers too (201 and 422 are documented).
    let generated: Vec<&serde_json::Value> = results["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["generated"].is_object())
        .collect();
    // 31 from the API description's POST /loans, 17 from schemas/renewal.json.
    assert_eq!(generated.len(), 31 + 17);
    for c in &generated {
        assert_eq!(c["outcome"], "pass", "{c}");
        assert_eq!(c["requirements"], json!(["LIB-2"]));
    }
    let calls = |c: &serde_json::Value| c["api_calls"].clone();
    assert_eq!(
        calls(case(&results, "LIB-GEN-LOAN:/days:exact_maximum")),
        json!({"POST /loans 201": 1})
    );
    assert_eq!(
        calls(case(&results, "LIB-GEN-LOAN:/days:above_maximum")),
        json!({"POST /loans 422": 1})
    );
    assert_eq!(
        calls(case(&results, "LIB-BOOK-1")),
        json!({"GET /books/{book_id} 200": 1})
    );
    // 418 is no documented response: counted by its code, for coverage to show.
    assert_eq!(
        calls(case(&results, "LIB-BOOK-2")),
        json!({"GET /books/{book_id} 418": 1})
    );

    // The report lists the block once under its clause and a row per member.
    let report = std::fs::read_to_string(out.path().join("report.en.md")).unwrap();
    assert!(
        report.contains("| LIB-GEN-LOAN (31 generated), LIB-GEN-RENEW (17 generated) |"),
        "{report}"
    );
    assert!(
        report.contains("| LIB-GEN-LOAN | /days | missing, null, wrong\\_type, not\\_integer, below\\_minimum, exact\\_minimum, above\\_maximum, exact\\_maximum | 8 | 8 | 0 |"),
        "{report}"
    );
    assert!(
        !report.contains("LIB-GEN-LOAN:/days"),
        "no generated case is listed one by one when all pass"
    );
    // The Thai report tells a committee what was tried in Thai (digits Thai too).
    let thai = std::fs::read_to_string(out.path().join("report.th.md")).unwrap();
    assert!(
        thai.contains("| LIB-GEN-LOAN | /days | ไม่มี, เป็น null, ชนิดผิด, ไม่ใช่จำนวนเต็ม, ต่ำกว่า minimum, เท่ากับ minimum, เกิน maximum, เท่ากับ maximum | ๘ | ๘ | ๐ |"),
        "{thai}"
    );

    // API coverage: each operation × documented status, reached or not.
    let coverage = support::cpc(support::args(&[
        "coverage",
        "tests/suites/library",
        "--api",
        "--results",
        out.path().to_str().unwrap(),
        "--lang",
        "en",
        "--format",
        "csv",
    ]))
    .await;
    let table = support::stdout(&coverage);
    assert!(
        table.contains("POST /loans,201,3,LIB-GEN-LOAN (generate)"),
        "{table}"
    );
    assert!(
        table.contains("POST /loans,422,28,LIB-GEN-LOAN (generate)"),
        "{table}"
    );
    assert!(
        table.contains("GET /books/{book_id},200,2,\"LIB-BOOK-1, LIB-BOOK-2, LIB-BOOK-3\""),
        "{table}"
    );
    assert!(
        table.contains("GET /books/{book_id},404,never,none"),
        "{table}"
    );
    assert!(
        table.contains("GET /books/{book_id},418 (undocumented),1,none"),
        "{table}"
    );
}

/// Each case's outcome and the checks that did not pass, by id.
fn outcomes(results: &serde_json::Value) -> Vec<(String, String, Vec<String>)> {
    results["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let id = c["id"].as_str().unwrap().to_string();
            (id, c["outcome"].to_string(), messages(c))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invariants_and_the_api_description_match_paths_as_the_suite_writes_them() {
    // The same service mounted under `/lib` (`--target …/lib`): `path_matches`, `not` and the
    // document's operations see `/loans`, as the cases write it, not `/lib/loans`.
    let (_, at_root, _root) = run_library_at(false, "", &[]).await;
    let (_, mounted, _mounted) = run_library_at(false, "/lib", &[]).await;
    assert_eq!(outcomes(&mounted), outcomes(&at_root));
    assert!(
        messages(case(&mounted, "LIB-BOOK-1"))
            .iter()
            .any(|m| m.contains("GET /books/{book_id} → 200")),
        "{:?}",
        messages(case(&mounted, "LIB-BOOK-1"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generated_case_catches_a_forgotten_constraint_and_can_be_picked_alone() {
    let (output, results) = run_library(true, &[]).await;
    assert_eq!(output.status.code(), Some(1));
    let failed: Vec<&str> = results["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["generated"].is_object() && c["outcome"] != "pass")
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["LIB-GEN-LOAN:/note:above_max_length"]);
    let c = case(&results, "LIB-GEN-LOAN:/note:above_max_length");
    assert_eq!(
        c["generated"],
        json!({"from": "LIB-GEN-LOAN", "member": "/note", "violation": "above_max_length", "valid": false, "order": 26})
    );
    // The request sent is the valid one with the note one character too long.
    let sent = c["steps"][0]["exchange"]["request"]["body"]["text"]
        .as_str()
        .unwrap();
    let sent: serde_json::Value = serde_json::from_str(sent).unwrap();
    assert_eq!(sent["note"].as_str().unwrap().chars().count(), 21);
    assert_eq!(sent["member_id"], "M-0001");
    // A member added beside a templated one: the template is rendered, not copied as text.
    let extra = case(&results, "LIB-GEN-LOAN:body:unexpected_property");
    let sent = extra["steps"][0]["exchange"]["request"]["body"]["text"]
        .as_str()
        .unwrap();
    let sent: serde_json::Value = serde_json::from_str(sent).unwrap();
    assert_eq!(sent["member_id"], "M-0001");
    assert_eq!(sent["cpc_unexpected"], "x");

    let (output, results) =
        run_library(true, &["--case", "LIB-GEN-LOAN:/note:above_max_length"]).await;
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        support::stdout(&output)
    );
    assert_eq!(results["cases"].as_array().unwrap().len(), 1);
}

#[test]
fn generation_is_deterministic_and_a_seed_gives_the_same_values_every_time() {
    let doc = load(Path::new("tests/suites/library/api/openapi.json")).unwrap();
    let at = doc
        .find("POST /loans")
        .unwrap()
        .request_schema()
        .unwrap()
        .clone();
    let base = json!({"member_id": "M-0001", "book_ids": ["B-1"], "days": 7});
    let make = |skip: &[String], random: Option<(u64, u32)>| {
        let request = openapi::generate::Request {
            file: at.file,
            pointer: &at.pointer,
            skip,
            random,
        };
        openapi::generate::variants(&doc, &request, &base).unwrap()
    };
    let plain = make(&[], None);
    assert_eq!(plain, make(&[], None));
    let seeded = make(&[], Some((7, 2)));
    assert_eq!(seeded, make(&[], Some((7, 2))));
    assert_ne!(seeded, make(&[], Some((8, 2))));
    let random: Vec<_> = seeded
        .iter()
        .filter(|v| v.violation.starts_with("random_"))
        .collect();
    assert!(!random.is_empty() && random.iter().all(|v| !v.valid));
    // `skip` leaves a member and everything under it alone.
    let skipped = make(&["/book_ids".to_string()], None);
    assert!(skipped.iter().all(|v| !v.member.starts_with("/book_ids")));
    assert!(skipped.len() < plain.len());
    // Every variant is what it says: the body with its patch breaks the schema, or (a
    // boundary) keeps to it.
    let validator = doc
        .compiled
        .request_validator(&doc.request_files, at.file, &at.pointer)
        .unwrap();
    for v in &plain {
        let mut body = base.clone();
        cpc::suite::json_patch(&mut body, &v.patch).unwrap();
        assert_eq!(validator.is_valid(&body), v.valid, "{v:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_adds_the_document_a_pending_case_per_operation_and_the_schemas() {
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("csg");
    let suite_arg = suite.to_str().unwrap();
    let output = support::cpc(support::args(&[
        "init",
        "--proposal",
        "suites/csg/proposal.md",
        "--openapi",
        "suites/csg/openapi.yaml",
        suite_arg,
    ]))
    .await;
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        support::stderr(&output)
    );
    assert!(support::stdout(&output).contains("5 operation(s) as pending cases"));
    for file in [
        "openapi/openapi.yaml",
        "openapi/schemas/receipt.json",
        "schemas/ApplicationSubmission.json",
    ] {
        assert!(suite.join(file).is_file(), "{file}");
    }
    let cases = std::fs::read_to_string(suite.join("cases/openapi.yaml")).unwrap();
    assert!(cases.contains("id: \"API-SUBMIT-APPLICATION\""), "{cases}");
    assert!(cases.contains("status: 201"), "{cases}");
    // The written schema is 2020-12: the 3.0 `nullable` email takes null.
    let schema = support::read_json(&suite.join("schemas/ApplicationSubmission.json"));
    assert_eq!(
        schema["$defs"]["ApplicationSubmission"]["properties"]["applicant"]["properties"]["email"]
            ["type"],
        json!(["string", "null"])
    );
    // Nothing is invented: validate refuses the clause each case tests until a person names it.
    let validated = support::cpc(support::args(&["validate", suite_arg])).await;
    assert_eq!(validated.status.code(), Some(2));
    let errors = support::stderr(&validated) + &support::stdout(&validated);
    // Five clauses, and the application id of each of the three operations on one: each a
    // FILL-IN marker, said once, where it is written; nothing else is wrong.
    assert_eq!(
        errors.matches("left a FILL-IN marker").count(),
        8,
        "{errors}"
    );
    assert!(!errors.contains("unknown requirement"), "{errors}");
    assert!(!errors.contains("undefined variable"), "{errors}");
    assert!(
        cases.contains("    vars:\n      application_id: \"FILL-IN:"),
        "{cases}"
    );
    // Adding it twice is refused, and nothing is overwritten.
    let again = support::cpc(support::args(&[
        "init",
        "--openapi",
        "suites/csg/openapi.yaml",
        suite_arg,
    ]))
    .await;
    assert_eq!(again.status.code(), Some(2));
    assert!(support::stderr(&again).contains("already names an `openapi:` document"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generated_case_catches_the_reference_fault_that_skips_the_citizen_id_checksum() {
    let out = tempfile::tempdir().unwrap();
    let out = out.path().to_str().unwrap();
    let output = support::csg_with_fault("no-checksum", out, &["--tag", "generated"]).await;
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        support::stdout(&output)
    );
    let results = support::read_json(&Path::new(out).join("results.json"));
    let mut failed: Vec<&str> = results["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["outcome"] != "pass")
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    failed.sort();
    assert_eq!(
        failed,
        [
            "CSG-GEN-SUBMIT:/applicant/citizen_id:format",
            "CSG-GEN-SUBMIT:/form/child/citizen_id:format"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generate_block_that_cannot_be_made_is_named_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("library");
    support::copy_dir(Path::new("tests/suites/library"), &suite);
    let block = |id: &str, from: &str, request: &str| {
        format!(
            "  - id: {id}\n    title_th: t\n    requirements: [LIB-2]\n    from: {from}\n    request: {request}\n    invalid: {{ status: 422 }}\n"
        )
    };
    let json = "{ method: POST, path: /loans, json: { days: 1 } }";
    let text = format!(
        "generate:\n{}{}{}{}{}{}{}",
        block("BAD-1", "{ operation: DELETE /loans }", json),
        block(
            "BAD-2",
            "{ operation: POST /loans, schema: schemas/renewal.json }",
            json
        ),
        block(
            "BAD-3",
            "{ operation: POST /loans }",
            "{ method: POST, path: /loans }"
        ),
        block("BAD-4", "{ schema: ../../../etc/passwd }", json),
        block("BAD-5", "{ schema: schemas/missing.json }", json),
        block(
            "BAD-6",
            "{ operation: POST /loans }",
            "{ method: POST, path: /loanz, json: {} }"
        ),
        block(
            "BAD-7",
            "{ operation: POST /loans }",
            "{ method: POST, path: /loans, json: { days: \"1\" } }"
        ),
    );
    std::fs::write(suite.join("cases/bad.yaml"), text).unwrap();
    let output = support::cpc(support::args(&["validate", suite.to_str().unwrap()])).await;
    assert_eq!(output.status.code(), Some(2));
    let errors = support::stderr(&output) + &support::stdout(&output);
    for expected in [
        "no operation `DELETE /loans` in the OpenAPI document (it has: POST /loans, GET /books/{book_id})",
        "`from` gives exactly one of `operation`",
        "`generate` varies the request's `json`: give the valid body there",
        "the schema is a file inside the suite",
        "`schemas/missing.json`: no such file in the suite",
        "the request is `POST /loanz`, which is not `POST /loans` whose schema it varies",
        "`generate` BAD-7: the valid request breaks its schema (",
        "/days: \"1\" is not of type \"integer\"); each case breaks it in one place",
    ] {
        assert!(errors.contains(expected), "{expected:?} not in:\n{errors}");
    }
    // Each at its place in the case file.
    for line in [
        "bad.yaml:5:24",
        "bad.yaml:8:5",
        "bad.yaml:18:14",
        "bad.yaml:23:21",
        "bad.yaml:29:21",
        "bad.yaml:42:50",
    ] {
        assert!(errors.contains(line), "{line} not in:\n{errors}");
    }

    std::fs::remove_file(suite.join("cases/bad.yaml")).unwrap();
    let edit = |file: &str, from: &str, to: &str| {
        let path = suite.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{from:?} not in {file}");
        std::fs::write(&path, text.replace(from, to)).unwrap();
    };
    // Without `valid:`, no boundary case: it would have nothing to expect.
    let list = |suite: &Path| {
        let suite = suite.to_str().unwrap().to_string();
        async move {
            let output = support::cpc(support::args(&["validate", &suite, "--list"])).await;
            support::stdout(&output)
        }
    };
    assert!(
        list(&suite)
            .await
            .contains("LIB-GEN-LOAN:/days:exact_minimum")
    );
    edit("cases/loans.yaml", "    valid:\n      status: 201\n", "");
    let listed = list(&suite).await;
    assert!(
        listed.contains("LIB-GEN-LOAN:/days:below_minimum"),
        "{listed}"
    );
    assert!(!listed.contains("LIB-GEN-LOAN:/days:exact_"), "{listed}");

    // A clause only a block that cannot be made covers is not also said to be uncovered.
    edit(
        "cases/renewals.yaml",
        "requirements: [LIB-2]",
        "requirements: [LIB-1]",
    );
    edit(
        "cases/loans.yaml",
        "operation: POST /loans",
        "operation: POST /loan",
    );
    let output = support::cpc(support::args(&["validate", suite.to_str().unwrap()])).await;
    let errors = support::stderr(&output) + &support::stdout(&output);
    assert!(errors.contains("no operation `POST /loan`"), "{errors}");
    assert!(!errors.contains("covers requirement `LIB-2`"), "{errors}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invariant_broken_in_many_generated_cases_names_their_block_once() {
    // Receipts with the Gregorian year break the receipt invariant in every accepted
    // submission, the generated valid boundaries among them.
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().to_str().unwrap();
    support::csg_with_fault("gregorian-reference", dir, &[]).await;
    let report = std::fs::read_to_string(out.path().join("report.th.md")).unwrap();
    let row = report
        .lines()
        .find(|l| l.starts_with("| CSG-INV-API-RECEIPT |"))
        .unwrap_or_else(|| panic!("no receipt invariant row in:\n{report}"));
    assert!(row.contains("CSG-GEN-SUBMIT (สร้างจาก schema "), "{row}");
    assert!(!row.contains("CSG-GEN-SUBMIT:"), "{row}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_a_generated_case_varies_is_the_suites_not_the_results() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().to_str().unwrap();
    let case = "CSG-GEN-SUBMIT:/consent/pdpa:not_in_enum";
    let output = support::csg_with_fault("no-checksum", dir, &["--case", case]).await;
    assert!(
        support::stdout(&output).contains("ผ่าน 1,"),
        "{}",
        support::stdout(&output)
    );
    let again = support::cpc(support::args(&["report", dir])).await;
    assert_eq!(again.status.code(), Some(0), "{}", support::stderr(&again));
    // Moved to another member in results.json: the report would group it there.
    let path = out.path().join("results.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let edited = text.replacen("\"member\":\"/consent/pdpa\"", "\"member\":\"/form\"", 1);
    assert!(text != edited, "the member is in results.json");
    std::fs::write(&path, edited).unwrap();
    let refused = support::cpc(support::args(&["report", dir])).await;
    assert_eq!(
        refused.status.code(),
        Some(2),
        "{}",
        support::stdout(&refused)
    );
    assert!(
        support::stderr(&refused).contains(&format!("what case `{case}` varies")),
        "{}",
        support::stderr(&refused)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_compares_a_run_with_the_suite_given_when_it_is_not_under_suites() {
    let (_, _, out) = run_library_in(false, &[]).await;
    let dir = out.path().to_str().unwrap();
    let path = out.path().join("results.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let edited = text.replacen("\"member\":\"/days\"", "\"member\":\"/note\"", 1);
    assert!(text != edited, "a generated member is in results.json");
    std::fs::write(&path, edited).unwrap();
    // `cpc report` with these arguments: its exit code and what it said on stderr.
    let report = |more: &'static [&'static str]| async move {
        let mut list = vec!["report", dir];
        list.extend(more);
        let output = support::cpc(support::args(&list)).await;
        (output.status.code(), support::stderr(&output))
    };
    // `suites/library` is not here: the run is not compared, and the note says how it can be.
    let (code, said) = report(&[]).await;
    assert_eq!(code, Some(0));
    assert!(
        said.contains("is not here: give it with --suite DIR"),
        "{said}"
    );
    // One that does not load is said, and the reports are made as without it.
    let (code, said) = report(&["--suite", "tests/suites/none"]).await;
    assert_eq!(code, Some(0));
    assert!(
        said.contains("`tests/suites/none`: it does not load"),
        "{said}"
    );
    // Given, it is: the edited case is refused.
    let (code, said) = report(&["--suite", "tests/suites/library"]).await;
    assert_eq!(code, Some(2), "{said}");
    assert!(said.contains("varies"), "{said}");
}

/// A document written to a temporary folder, loaded.
fn load_text(text: &str) -> Result<ApiDoc, Vec<String>> {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("openapi.json");
    std::fs::write(&root, text).unwrap();
    load(&root)
}

/// A 3.1 document with one operation, `POST /thing`, whose request body is `schema`, and
/// `components/schemas` as given.
fn post_thing(schema: serde_json::Value, components: serde_json::Value) -> String {
    json!({
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {"/thing": {"post": {
            "requestBody": {"content": {"application/json": {"schema": schema}}},
            "responses": {"201": {"description": "made"}}
        }}},
        "components": {"schemas": components}
    })
    .to_string()
}

/// The variants generated for `POST /thing` from this valid body.
fn variants_of(
    doc: &ApiDoc,
    base: serde_json::Value,
    random: Option<(u64, u32)>,
) -> Result<Vec<openapi::generate::Variant>, String> {
    let at = doc
        .find("POST /thing")
        .unwrap()
        .request_schema()
        .unwrap()
        .clone();
    let request = openapi::generate::Request {
        file: at.file,
        pointer: &at.pointer,
        skip: &[],
        random,
    };
    openapi::generate::variants(doc, &request, &base)
}

/// Their `member:violation` names.
fn generated(
    doc: &ApiDoc,
    base: serde_json::Value,
    random: Option<(u64, u32)>,
) -> Result<Vec<String>, String> {
    variants_of(doc, base, random).map(|vs| {
        vs.iter()
            .map(|v| format!("{}:{}", v.member, v.violation))
            .collect()
    })
}

#[test]
fn hostile_documents_are_refused_or_bounded_never_a_crash() {
    // A status key that is none.
    let bad = json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
        "paths": {"/a": {"get": {"responses": {"700XX": {"description": "x"}}}}}});
    let problems = load_text(&bad.to_string()).unwrap_err();
    assert!(
        problems[0].contains("`700XX` is not a status"),
        "{problems:?}"
    );
    // References one after another: 60 are followed; 5,000 are refused, not a stack overflow.
    let chain = |n: usize| {
        let mut chain = serde_json::Map::new();
        for i in 0..n {
            let next = json!({"$ref": format!("#/components/schemas/S{}", i + 1)});
            chain.insert(format!("S{i}"), next);
        }
        chain.insert(format!("S{n}"), json!({"type": "string"}));
        post_thing(json!({"$ref": "#/components/schemas/S0"}), json!(chain))
    };
    let doc = load_text(&chain(60)).unwrap();
    assert!(
        generated(&doc, json!("x"), None)
            .unwrap()
            .contains(&":wrong_type".to_string())
    );
    let problems = load_text(&chain(5000)).unwrap_err();
    assert!(
        problems[0].contains("more than 64 `$ref`s one after another"),
        "{problems:?}"
    );
    // Each schema naming the next twice: an expansion no validator finishes, refused.
    let mut fan = serde_json::Map::new();
    for i in 0..40 {
        let next = json!({"$ref": format!("#/components/schemas/F{}", i + 1)});
        fan.insert(format!("F{i}"), json!({"allOf": [next, next]}));
    }
    fan.insert("F40".into(), json!({"type": "string"}));
    let problems = load_text(&post_thing(
        json!({"$ref": "#/components/schemas/F0"}),
        json!(fan),
    ))
    .unwrap_err();
    assert!(
        problems[0].contains("expands to more than 1000000 checks"),
        "{problems:?}"
    );
    // A schema that does not compile is named at the keyword the meta-schema refuses, however
    // deep in a component; a pattern that is no regular expression, at the schema the
    // operation names.
    let thing = json!({"type": "object", "properties": {
        "name": {"type": "string", "minLength": "three"}
    }});
    let problems = load_text(&post_thing(
        json!({"$ref": "#/components/schemas/Thing"}),
        json!({"Thing": thing}),
    ))
    .unwrap_err();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with("at #/components/schemas/Thing/properties/name/minLength: POST /thing: the schema does not compile"),
        "{problems:?}"
    );
    let problems = load_text(&post_thing(
        json!({"type": "string", "pattern": "(unclosed"}),
        json!({}),
    ))
    .unwrap_err();
    assert!(
        problems[0].starts_with("at #/paths/~1thing/post/requestBody/content/application~1json/schema: POST /thing: the schema does not compile"),
        "{problems:?}"
    );
    // Limits past what a case can carry, and values at the edge of numbers.
    let edges = json!({"type": "object", "properties": {
        "s": {"type": "string", "maxLength": u64::MAX},
        "n": {"enum": [i64::MAX]},
        "big": {"enum": [1e300]}
    }});
    let doc = load_text(&post_thing(edges, json!({}))).unwrap();
    let made = generated(
        &doc,
        json!({"s": "abc", "n": i64::MAX, "big": 1e300}),
        Some((1, 5)),
    )
    .unwrap();
    assert!(
        !made.iter().any(|m| m.starts_with("/s:above_max_length")),
        "{made:?}"
    );
    let too_many = generated(&doc, json!({"s": "abc"}), Some((1, 4_000_000_000)));
    assert!(
        too_many
            .unwrap_err()
            .contains("at most 100 values per member")
    );
}

#[test]
fn skip_leaves_members_out_and_a_skip_that_names_none_is_refused() {
    let schema = json!({"type": "object", "required": ["name", "address"], "properties": {
        "name": {"type": "string", "maxLength": 5},
        "address": {"type": "object", "properties": {"zip": {"type": "string", "pattern": "^[0-9]{5}$"}}}
    }});
    let doc = load_text(&post_thing(schema, json!({}))).unwrap();
    let at = doc
        .find("POST /thing")
        .unwrap()
        .request_schema()
        .unwrap()
        .clone();
    let base = json!({"name": "ab", "address": {"zip": "10200"}});
    let made = |skip: &[&str]| {
        let skip: Vec<String> = skip.iter().map(|s| s.to_string()).collect();
        let request = openapi::generate::Request {
            file: at.file,
            pointer: &at.pointer,
            skip: &skip,
            random: None,
        };
        openapi::generate::variants(&doc, &request, &base).map(|vs| {
            vs.iter()
                .map(|v| format!("{}:{}", v.member, v.violation))
                .collect::<Vec<_>>()
        })
    };
    let all = made(&[]).unwrap();
    assert!(all.contains(&"/address/zip:pattern".to_string()), "{all:?}");
    // A member and everything under it; a skip under a skipped member is no mistake.
    let some = made(&["/address", "/address/zip"]).unwrap();
    assert!(some.iter().all(|m| !m.starts_with("/address")), "{some:?}");
    assert!(
        some.contains(&"/name:above_max_length".to_string()),
        "{some:?}"
    );
    let typo = made(&["/adress", "/name"]).unwrap_err();
    assert!(
        typo.starts_with("`skip` names no member the schema and the valid body give: /adress ("),
        "{typo}"
    );
}

#[test]
fn a_misspelt_schema_keyword_is_named_not_ignored() {
    let name = json!({"type": "object", "properties": {
        "name": {"type": "string", "maxLenght": 100, "x-thai": true, "customRule": 1}
    }});
    let v31 = post_thing(name.clone(), json!({}));
    let problems = load_text(&v31).unwrap_err();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with("at #/paths/~1thing/post/requestBody/content/application~1json/schema/properties/name/maxLenght: `maxLenght` is no schema keyword: did you mean `maxLength`?"),
        "{problems:?}"
    );
    // OpenAPI 3.0 allows no keyword of one's own: `customRule` is refused too, `x-thai` is not.
    let v30 = v31.replace("\"3.1.0\"", "\"3.0.3\"");
    let problems = load_text(&v30).unwrap_err();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems.iter().any(|p| p
            .contains("/customRule: `customRule` is no schema keyword: OpenAPI 3.0 allows only")),
        "{problems:?}"
    );
    // A parameter, a header or a media type its author named `schema` is a name, not a schema.
    let mut named: serde_json::Value = serde_json::from_str(&v30).unwrap();
    named["components"]["parameters"] = json!({"schema": {"name": "schema", "in": "query",
        "schema": {"type": "string"}}});
    named["paths"]["/thing"]["post"]["responses"]["201"]["headers"] =
        json!({"schema": {"schema": {"type": "string"}}});
    named["paths"]["/thing"]["post"]["requestBody"]["content"]["application/json"]["schema"] =
        json!({"type": "object"});
    let doc = load_text(&named.to_string());
    assert!(doc.is_ok(), "{:?}", doc.err());
    // Another dialect's words: a member's `required: true`, 3.0's `nullable` in 3.1.
    let dialects = post_thing(
        json!({"type": "object", "properties": {
            "a": {"type": "string", "required": true},
            "b": {"type": "string", "nullable": true}
        }}),
        json!({}),
    );
    let problems = load_text(&dialects).unwrap_err();
    assert_eq!(problems.len(), 2, "{problems:?}");
    for expected in [
        "/properties/a/required: `required` lists the members",
        "/properties/b/nullable: `nullable` is OpenAPI 3.0's",
    ] {
        assert!(
            problems.iter().any(|p| p.contains(expected)),
            "{expected:?} not in {problems:?}"
        );
    }
    // A misspelt field of an operation would leave every status undocumented.
    let problems = load_text(&v31.replace("\"responses\"", "\"respones\"")).unwrap_err();
    assert!(
        problems.iter().any(|p| p.starts_with(
            "at #/paths/~1thing/post/respones: `respones` is not a field of an operation: did you mean `responses`?"
        )),
        "{problems:?}"
    );
    // Spelt right, it is read and judged.
    let fixed = v31.replace("maxLenght", "maxLength");
    let doc = load_text(&fixed).unwrap();
    assert!(
        generated(&doc, json!({"name": "x"}), None)
            .unwrap()
            .contains(&"/name:above_max_length".to_string())
    );
}

#[test]
fn a_generated_body_is_judged_whole_as_a_request() {
    // A parent's uniqueItems, prefixItems before items, an allOf branch narrowing a member,
    // and a writeOnly member a request must carry.
    let schema = json!({"type": "object", "required": ["pin"], "properties": {
        "tags": {"type": "array", "uniqueItems": true, "items": {"type": "integer", "minimum": 0}},
        "pair": {"type": "array", "prefixItems": [{"type": "string"}], "items": {"type": "integer"}},
        "pin": {"type": "string", "writeOnly": true},
        "id": {"type": "string", "readOnly": true}
    }, "allOf": [{"properties": {"code": {"type": "string", "maxLength": 10}}},
                 {"properties": {"code": {"maxLength": 5}}}]});
    let doc = load_text(&post_thing(schema, json!({}))).unwrap();
    let made = generated(
        &doc,
        json!({"tags": [1, 0], "pair": ["a"], "code": "abc", "pin": "1234"}),
        None,
    )
    .unwrap();
    // `[0, 0]` is not unique: no "valid" minimum there.
    assert!(
        !made.contains(&"/tags/0:exact_minimum".to_string()),
        "{made:?}"
    );
    // `"12345"` is what prefixItems asks of the first item: no violation.
    assert!(
        !made.contains(&"/pair/0:wrong_type".to_string()),
        "{made:?}"
    );
    // Ten characters are over the narrower branch's five.
    assert!(
        !made.contains(&"/code:exact_max_length".to_string()),
        "{made:?}"
    );
    // A request carries its writeOnly member; a readOnly one is not varied.
    assert!(made.contains(&"/pin:missing".to_string()), "{made:?}");
    assert!(!made.iter().any(|m| m.starts_with("/id")), "{made:?}");

    // One thing broken at a time: a plate one character too long still keeps to its pattern.
    let plate = json!({"type": "object", "properties": {
        "plate": {"type": "string", "pattern": "^[A-Z0-9]+$", "maxLength": 6}}});
    let doc = load_text(&post_thing(plate, json!({}))).unwrap();
    let made = variants_of(&doc, json!({"plate": "AB12"}), None).unwrap();
    let long = made
        .iter()
        .find(|v| v.violation == "above_max_length")
        .unwrap();
    assert_eq!(
        long.patch.value,
        Some(json!("AB1222222"[..7].to_string())),
        "{long:?}"
    );
}

#[test]
fn thai_paths_and_answers_without_a_body_are_judged_as_written() {
    // Its base path given or not (the target may already name it): either way decoded.
    let doc = json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
        "servers": [{"url": "https://agency.example/api/v1"}], "paths": {
        "/สิ่งของ/{id}": {"get": {"responses": {"200": {"description": "x",
            "content": {"application/json": {"schema": {"type": "object"}}}}}}},
        "/health": {"get": {"responses": {"2XX": {"description": "up",
            "content": {"application/json": {"schema": {"type": "object"}}}}}}}
    }});
    let doc = load_text(&doc.to_string()).unwrap();
    let encoded = "/%E0%B8%AA%E0%B8%B4%E0%B9%88%E0%B8%87%E0%B8%82%E0%B8%AD%E0%B8%87/1";
    let with_base = format!("/api/v1{encoded}");
    assert!(
        findings(
            &doc,
            "GET",
            &with_base,
            &answer(200, "application/json", json!({}))
        )
        .is_empty()
    );
    assert!(
        findings(
            &doc,
            "GET",
            encoded,
            &answer(200, "application/json", json!({}))
        )
        .is_empty()
    );
    // An escaped `/` is part of one segment, as the server sees it, not a step down the path.
    let within = findings(
        &doc,
        "GET",
        "/%E0%B8%AA%E0%B8%B4%E0%B9%88%E0%B8%87%E0%B8%82%E0%B8%AD%E0%B8%87/a%2Fb",
        &answer(200, "application/json", json!({})),
    );
    assert!(within.is_empty(), "{within:?}");
    let nested = findings(
        &doc,
        "GET",
        "/%E0%B8%AA%E0%B8%B4%E0%B9%88%E0%B8%87%E0%B8%82%E0%B8%AD%E0%B8%87%2F1",
        &answer(200, "application/json", json!({})),
    );
    assert_eq!(nested.len(), 1, "{nested:?}");
    assert!(
        nested[0].contains("not in the OpenAPI document"),
        "{nested:?}"
    );
    let mut empty = answer(204, "application/json", json!(null));
    empty.body.clear();
    assert!(findings(&doc, "GET", "/health", &empty).is_empty());
}
