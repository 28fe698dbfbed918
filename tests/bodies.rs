//! Bodies of every shape (tests/suites/bodies): a multipart body read back part by part by
//! Python's `email` parser (as a server's would), a form, base64 bytes and a templated body
//! file, each built afresh for every run; and the ways to write them wrong, refused by validate.

mod support;

use std::io::Write;

use support::{args, cpc, repo, stderr, stdout};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// What Python's `email` parser reads from a multipart body: each part's name, file name,
/// content type and bytes (hex).
fn parse_multipart(content_type: &str, body: &[u8]) -> serde_json::Value {
    let script = r#"
import json, sys
from email import policy
from email.parser import BytesParser
raw = sys.stdin.buffer.read()
ct, body = raw.split(b"\n", 1)
msg = BytesParser(policy=policy.HTTP).parsebytes(b"Content-Type: " + ct + b"\r\n\r\n" + body)
parts = []
for part in msg.iter_parts():
    parts.append({
        "name": part.get_param("name", header="content-disposition"),
        "filename": part.get_filename(),
        "content_type": part.get_content_type(),
        "bytes": part.get_payload(decode=True).hex(),
    })
print(json.dumps({"defects": len(msg.defects), "parts": parts}))
"#;
    let mut child = std::process::Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 (.ci/test installs it)");
    let mut input = format!("{content_type}\n").into_bytes();
    input.extend_from_slice(body);
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One run of the suite against a target that accepts everything: the requests it received.
async fn run_once() -> Vec<wiremock::Request> {
    let target = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&target)
        .await;
    let out = tempfile::tempdir().unwrap();
    let run = cpc(args(&[
        "run",
        "tests/suites/bodies",
        "--target",
        &target.uri(),
        "--out",
        out.path().to_str().unwrap(),
    ]))
    .await;
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}{}",
        stdout(&run),
        stderr(&run)
    );
    target.received_requests().await.unwrap()
}

fn header<'r>(request: &'r wiremock::Request, name: &str) -> &'r str {
    request.headers.get(name).unwrap().to_str().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_body_shape_is_sent_as_a_server_reads_it() {
    let received = run_once().await;
    let by_path = |path: &str| {
        received
            .iter()
            .find(|r| r.url.path() == path)
            .unwrap_or_else(|| panic!("no {path}"))
    };

    let upload = by_path("/upload");
    let content_type = header(upload, "content-type");
    assert!(
        content_type.starts_with("multipart/form-data; boundary=cpc-"),
        "{content_type}"
    );
    let parsed = parse_multipart(content_type, &upload.body);
    assert_eq!(parsed["defects"], 0, "{parsed}");
    let parts = parsed["parts"].as_array().unwrap();
    let names: Vec<&str> = parts.iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["meta", "note", "photo", "signature"]);
    let bytes = |i: usize| {
        let h = parts[i]["bytes"].as_str().unwrap();
        (0..h.len())
            .step_by(2)
            .map(|at| u8::from_str_radix(&h[at..at + 2], 16).unwrap())
            .collect::<Vec<u8>>()
    };
    let meta: serde_json::Value = serde_json::from_slice(&bytes(0)).unwrap();
    assert_eq!(parts[0]["content_type"], "application/json");
    assert_eq!(meta["name"], "สมหญิง ใจดี");
    assert_eq!(meta["copies"], 2, "a number stays a number");
    let reference = meta["ref"].as_str().unwrap().to_string();
    assert_eq!(reference.len(), 36, "{reference}");
    assert_eq!(
        String::from_utf8(bytes(1)).unwrap(),
        format!("คำขอ {reference}")
    );
    // The file byte for byte (not UTF-8, a CRLF and a boundary-like line inside), its Thai name.
    let photo = std::fs::read(repo().join("tests/suites/bodies/files/photo.jpg")).unwrap();
    assert_eq!(parts[2]["bytes"], hex(&photo));
    assert_eq!(parts[2]["filename"], "รูปถ่าย %22หน้าตรง%22.jpg");
    assert_eq!(parts[2]["content_type"], "image/jpeg");
    assert_eq!(bytes(3), [0, 1, 2, 0xff]);

    // `content_type: multipart/form-data` given without a boundary: cpc's goes with it.
    let typed = by_path("/upload-typed");
    let parsed = parse_multipart(header(typed, "content-type"), &typed.body);
    assert_eq!(parsed["parts"][0]["name"], "only", "{parsed}");

    let form = by_path("/form");
    assert_eq!(
        header(form, "content-type"),
        "application/x-www-form-urlencoded"
    );
    let fields: Vec<(String, String)> = url_pairs(&form.body);
    assert_eq!(
        fields,
        [
            ("name".to_string(), "สมหญิง ใจดี".to_string()),
            ("q".to_string(), "a b&c=d".to_string())
        ]
    );

    let bytes = by_path("/bytes");
    assert_eq!(bytes.body, [0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]);
    assert_eq!(header(bytes, "content-type"), "image/jpeg");

    let xml = by_path("/xml");
    assert_eq!(
        String::from_utf8(xml.body.clone()).unwrap(),
        format!("<request><ref>{reference}</ref><name>สมหญิง ใจดี</name></request>\n")
    );

    // Built afresh: the next run's data is its own.
    let again = run_once().await;
    let xml_again = again.iter().find(|r| r.url.path() == "/xml").unwrap();
    assert_ne!(xml_again.body, xml.body);
}

/// A form body as a server's URL parser reads it.
fn url_pairs(body: &[u8]) -> Vec<(String, String)> {
    let url =
        reqwest::Url::parse(&format!("http://x/?{}", std::str::from_utf8(body).unwrap())).unwrap();
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_written_wrong_are_refused_with_their_places() {
    let work = tempfile::tempdir().unwrap();
    let suite = work.path().join("suites/b");
    support::copy_dir(&repo().join("tests/suites/bodies"), &suite);
    std::fs::write(suite.join("files/latin1.txt"), b"caf\xe9 {{ applicant }}").unwrap();
    std::fs::write(
        suite.join("cases/bodies.yaml"),
        r#"cases:
  - id: BAD-001
    title_th: เขียนผิด
    requirements: [B-1]
    steps:
      - request:
          method: POST
          path: /a
          json: { a: 1 }
          form: { b: "2" }
      - request:
          method: POST
          path: /b
          body: x
          template: true
      - request:
          method: POST
          path: /c
          multipart:
            - name: two
              text: a
              base64: AA==
            - name: "{{ nobody }}"
              text: b
      - request:
          method: POST
          path: /d
          body_file: ../files/latin1.txt
          template: true
      - request:
          method: POST
          path: /e
          body_base64: "this is not base64!!"
      - request:
          method: POST
          path: /f
          body_file: ../files/request.xml
          template: true
        capture: { h: { header: X, all: true } }
"#,
    )
    .unwrap();
    let checked = cpc(args(&["validate", suite.to_str().unwrap()])).await;
    assert_eq!(checked.status.code(), Some(2));
    let err = stderr(&checked);
    for said in [
        "a request has at most one of `json`, `body`, `body_file`, `body_base64`, `form` or `multipart`",
        "`template: true` renders `{{ … }}` in a `body_file`, which this request does not have",
        "part `two` needs exactly one of `text`, `json`, `file` or `base64`",
        "nobody",
        "is not UTF-8 text: a body file with `template: true` is text",
        "`body_base64` is not base64",
        "`all: true` keeps a JSONPath's nodes a list: it goes with `json`",
    ] {
        assert!(err.contains(said), "{said}\n{err}");
    }
    assert!(
        err.contains("bodies.yaml:7:"),
        "the first request's place: {err}"
    );
}
