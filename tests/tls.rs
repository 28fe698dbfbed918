//! TLS to the target: a test CA trusted with `--ca-cert`, `--insecure` as the last resort,
//! mutual TLS with `--client-cert`/`--client-key`, and TLS failures said in words a tester can
//! act on.

mod support;

use support::tls::{Pki, serve};
use support::{args, cpc, read_json, stdout};

async fn run(target: &str, extra: &[&str]) -> (Option<i32>, String) {
    let out = tempfile::tempdir().unwrap();
    let mut list = args(&[
        "run",
        "tests/suites/mini",
        "--target",
        target,
        "--lang",
        "en",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    list.extend(args(extra));
    let output = cpc(list).await;
    let results = read_json(&out.path().join("results.json")).to_string();
    (
        output.status.code(),
        format!("{}\n{results}", stdout(&output)),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_test_ca_is_trusted_with_ca_cert_and_failures_say_what_to_do() {
    let pki = Pki::new();
    let ca = pki.ca();
    let ca = ca.to_str().unwrap();
    let good = serve(&pki.leaf("good", &["localhost"], false), None).await;

    let (code, said) = run(&good, &[]).await;
    assert_eq!(code, Some(1));
    assert!(
        said.contains("give the agency's test CA with --ca-cert FILE"),
        "{said}"
    );

    let (code, said) = run(&good, &["--ca-cert", ca]).await;
    assert_eq!(code, Some(0), "{said}");
    let (code, said) = run(&good, &["--insecure"]).await;
    assert_eq!(code, Some(0), "{said}");

    let expired = serve(&pki.leaf("expired", &["localhost"], true), None).await;
    let (code, said) = run(&expired, &["--ca-cert", ca]).await;
    assert_eq!(code, Some(1));
    assert!(said.contains("certificate has expired"), "{said}");

    let other = serve(&pki.leaf("other", &["other.example"], false), None).await;
    let (code, said) = run(&other, &["--ca-cert", ca]).await;
    assert_eq!(code, Some(1));
    assert!(said.contains("for another host name"), "{said}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_presents_the_client_certificate() {
    let pki = Pki::new();
    let ca = pki.ca();
    let client = pki.leaf("client", &["cpc-tester"], false);
    let target = serve(&pki.leaf("good", &["localhost"], false), Some(&ca)).await;
    let ca = ca.to_str().unwrap();

    let (code, said) = run(&target, &["--ca-cert", ca]).await;
    assert_eq!(code, Some(1));
    assert!(said.contains("--client-cert"), "{said}");

    let (code, said) = run(
        &target,
        &[
            "--ca-cert",
            ca,
            "--client-cert",
            client.cert.to_str().unwrap(),
            "--client-key",
            client.key.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(code, Some(0), "{said}");
}
