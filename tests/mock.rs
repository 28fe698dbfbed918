//! `cpc mock` end to end: tokens, the journal, the admin token off loopback, `--mappings`, and
//! a run that uses a `cpc mock` elsewhere through `--portal`.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::Value;
use support::pay::free_port;
use support::{args, cpc, read_json};

/// A running `cpc mock`, stopped with Ctrl-C when dropped.
struct Mock {
    child: Child,
    url: String,
    /// The lines it printed before the first request.
    banner: Vec<String>,
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = Command::new("sh")
            .arg("-c")
            .arg(format!("kill -INT {}", self.child.id()))
            .status();
        let _ = self.child.wait();
    }
}

fn start_mock(extra: &[&str]) -> Mock {
    start_mock_with(extra, |_| {})
}

fn start_mock_with(extra: &[&str], configure: impl FnOnce(&mut Command)) -> Mock {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cpc"));
    command
        .args(["mock", "--suite", "suites/csg"])
        .args(extra)
        .current_dir(support::repo())
        .stdout(Stdio::piped());
    configure(&mut command);
    let mut child = command.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut banner = Vec::new();
    let mut url = String::new();
    while let Some(Ok(line)) = lines.next() {
        if let Some(u) = line
            .split("→ ")
            .nth(1)
            .filter(|_| line.starts_with("Portal"))
        {
            url = u.trim().to_string();
        }
        let done = line.contains("Ctrl-C");
        banner.push(line);
        if done {
            break;
        }
    }
    // Keep reading (and dropping) its log so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    assert!(!url.is_empty(), "no address in {banner:?}");
    Mock { child, url, banner }
}

async fn get_json(client: &reqwest::Client, url: &str) -> Value {
    client.get(url).send().await.unwrap().json().await.unwrap()
}

async fn token(client: &reqwest::Client, portal: &str) -> String {
    let answer: Value = client
        .get(format!(
            "{portal}/ws/auth/validate?ConsumerSecret=csg-agency-secret&AgentID=CSG"
        ))
        .header("Consumer-Key", "csg-agency-key")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["Result"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn serves_tokens_checks_them_and_journals_every_call() {
    let port = free_port();
    let mock = start_mock(&["--addr", &format!("127.0.0.1:{port}")]);
    let client = reqwest::Client::new();
    let token = token(&client, &mock.url).await;
    assert_eq!(token.len(), 36);

    let denied = client
        .get(format!(
            "{}/ws/auth/validate?ConsumerSecret=wrong&AgentID=CSG",
            mock.url
        ))
        .header("Consumer-Key", "csg-agency-key")
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 401);

    let callback = |token: Option<&str>| {
        let mut request = client
            .post(format!(
                "{}/api/v1/applications/CSG-2569-000001/status",
                mock.url
            ))
            .header("Consumer-Key", "csg-agency-key")
            .json(&serde_json::json!({"status": "received"}));
        if let Some(token) = token {
            request = request.header("Token", token);
        }
        request.send()
    };
    let accepted = callback(Some(&token)).await.unwrap();
    assert_eq!(accepted.status(), 202);
    assert_eq!(
        accepted.json::<Value>().await.unwrap(),
        serde_json::json!({"accepted": true})
    );
    assert_eq!(callback(Some("not-issued")).await.unwrap().status(), 401);
    assert_eq!(callback(None).await.unwrap().status(), 401);

    let journal: Value = get_json(&client, &format!("{}/__admin/requests", mock.url)).await;
    let requests = journal["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 5);
    // WireMock's order: the newest first.
    let oldest = &requests[4];
    assert_eq!(oldest["request"]["method"], "GET");
    assert!(
        oldest["request"]["url"]
            .as_str()
            .unwrap()
            .starts_with("/ws/auth/validate?")
    );
    assert_eq!(oldest["stubMapping"]["name"], "auth-validate");
    assert_eq!(oldest["responseDefinition"]["status"], 200);
    assert_eq!(requests[2]["cpc"]["tokenIssued"], true);
    assert_eq!(
        requests[1]["stubMapping"]["name"],
        "status-callback-unauthorized"
    );

    let mappings: Value = get_json(&client, &format!("{}/__admin/mappings", mock.url)).await;
    assert_eq!(mappings["meta"]["total"], 4);
    let cleared = client
        .delete(format!("{}/__admin/requests", mock.url))
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), 200);
    let journal: Value = get_json(&client, &format!("{}/__admin/requests", mock.url)).await;
    assert_eq!(journal["requests"], serde_json::json!([]));
}

#[tokio::test]
async fn off_loopback_the_admin_api_wants_the_printed_token() {
    let port = free_port();
    let mock = start_mock(&["--addr", &format!("0.0.0.0:{port}")]);
    let admin_token = mock
        .banner
        .iter()
        .find_map(|l| l.split("admin token (Authorization: Bearer …): ").nth(1))
        .expect("a generated admin token is printed")
        .to_string();
    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/__admin/requests");
    assert_eq!(client.get(&url).send().await.unwrap().status(), 401);
    assert_eq!(
        client
            .get(&url)
            .bearer_auth("guess")
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        client
            .get(&url)
            .bearer_auth(&admin_token)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn a_bad_mapping_names_its_file_and_key() {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("mappings")).unwrap();
    std::fs::write(
        root.path().join("mappings/broken.json"),
        "{\n  \"request\": {\"method\": \"GET\", \"urlPath\": \"/x\"},\n  \"response\": {\"status\": 200, \"proxyBaseUrl\": \"http://elsewhere\"}\n}\n",
    )
    .unwrap();
    let output = cpc(args(&[
        "mock",
        "--addr",
        "127.0.0.1:0",
        "--mappings",
        root.path().to_str().unwrap(),
    ]))
    .await;
    assert_eq!(output.status.code(), Some(2));
    let stderr = support::stderr(&output);
    assert!(stderr.contains("mappings/broken.json:3:"), "{stderr}");
    assert!(stderr.contains("unknown field `proxyBaseUrl`"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_can_use_a_mock_portal_running_elsewhere() {
    let port = free_port();
    let mock = start_mock(&["--addr", &format!("127.0.0.1:{port}")]);
    let out = tempfile::tempdir().unwrap();
    let output = cpc(args(&[
        "run",
        "suites/csg",
        "--target",
        "reference",
        "--portal",
        &mock.url,
        "--tag",
        "callback",
        "--out",
        out.path().to_str().unwrap(),
    ]))
    .await;
    let results = read_json(&out.path().join("results.json"));
    let cases = results["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 4);
    for case in cases {
        assert_eq!(
            case["outcome"],
            "pass",
            "{case}\n{}",
            support::stdout(&output)
        );
    }
    // Partial (--tag): the gate cannot pass.
    assert_eq!(output.status.code(), Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_portal_catches_a_duplicate_callback() {
    let port = free_port();
    let mock = start_mock(&["--addr", &format!("127.0.0.1:{port}")]);
    let out = tempfile::tempdir().unwrap();
    cpc(args(&[
        "run",
        "suites/csg",
        "--target",
        "reference",
        "--fault",
        "duplicate-callback",
        "--portal",
        &mock.url,
        "--case",
        "CSG-CB-004",
        "--out",
        out.path().to_str().unwrap(),
    ]))
    .await;
    let gate = read_json(&out.path().join("gate.json"));
    let tp64 = gate["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "TP-6.4")
        .unwrap();
    assert_eq!(tp64["result"], "fail");
}

/// The mock's stderr, once it has stopped.
fn stderr_of(mut mock: Mock) -> String {
    let mut err = mock.child.stderr.take().unwrap();
    drop(mock);
    let mut text = String::new();
    std::io::Read::read_to_string(&mut err, &mut text).unwrap();
    text
}

/// Sends raw bytes and returns what came back before the server closed or went quiet.
fn raw(url: &str, bytes: &[u8]) -> String {
    use std::io::{Read, Write};
    let addr = url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    stream.write_all(bytes).unwrap();
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn malformed_requests_get_answers_not_panics_and_the_journal_stays_within_its_bytes() {
    let mock = start_mock_with(
        &[
            "--addr",
            &format!("127.0.0.1:{}", free_port()),
            "--max-body-bytes",
            "2000000",
            "--journal-bytes",
            "3000000",
            "--header-timeout-ms",
            "500",
            "--quiet",
        ],
        |c| {
            c.stderr(Stdio::piped());
        },
    );
    let url = mock.url.clone();
    // An absolute-form target, a truncated body, a body over the limit, a half-sent head.
    let absolute = raw(
        &url,
        b"GET http://elsewhere.example/x HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    assert!(absolute.starts_with("HTTP/1.1 404"), "{absolute}");
    let truncated = raw(
        &url,
        b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly this",
    );
    assert!(
        truncated.is_empty() || truncated.starts_with("HTTP/1.1 400"),
        "{truncated}"
    );
    let client = reqwest::Client::new();
    let big = client
        .post(format!("{url}/x"))
        .body(vec![b'x'; 3_000_000])
        .send()
        .await
        .unwrap();
    assert_eq!(big.status(), 413);
    let started = std::time::Instant::now();
    let slow = raw(&url, b"GET /x HTTP/1.1\r\nHost:");
    assert!(
        slow.is_empty() || slow.starts_with("HTTP/1.1 408"),
        "{slow}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(4),
        "the head timed out"
    );
    // Ten bodies of 1.5 MB: the journal keeps what fits in 3 MB, and says how many it dropped.
    for _ in 0..10 {
        let sent = client
            .post(format!("{url}/x"))
            .body(vec![b'y'; 1_500_000])
            .send()
            .await
            .unwrap();
        assert_eq!(sent.status(), 404);
    }
    let journal = client
        .get(format!("{url}/__admin/requests"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(journal.len() < 4_000_000, "{} bytes", journal.len());
    let journal: Value = serde_json::from_slice(&journal).unwrap();
    assert!(journal["cpc"]["dropped"].as_u64().unwrap() > 0);
    let err = stderr_of(mock);
    assert!(!err.contains("panicked"), "{err}");
}

#[tokio::test]
async fn keeps_listening_when_it_runs_out_of_file_descriptors() {
    use std::os::unix::process::CommandExt;
    let mock = start_mock_with(
        &["--addr", &format!("127.0.0.1:{}", free_port()), "--quiet"],
        |c| {
            c.stderr(Stdio::piped());
            // SAFETY: only async-signal-safe calls between fork and exec.
            unsafe {
                c.pre_exec(|| {
                    let limit = libc::rlimit {
                        rlim_cur: 64,
                        rlim_max: 64,
                    };
                    libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
                    Ok(())
                });
            }
        },
    );
    let addr = mock.url.trim_start_matches("http://").to_string();
    // More connections than it has descriptors: accept() fails with EMFILE for some.
    let held: Vec<std::net::TcpStream> = (0..120)
        .filter_map(|_| std::net::TcpStream::connect(&addr).ok())
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    drop(held);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let answer = reqwest::Client::new()
        .get(format!("{}/__admin/requests", mock.url))
        .timeout(std::time::Duration::from_secs(10))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let err = stderr_of(mock);
    assert!(
        err.contains("cannot accept a connection") && err.contains("retrying"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[tokio::test]
async fn a_portal_client_cannot_add_overrides_without_end() {
    let mock = start_mock(&["--addr", &format!("127.0.0.1:{}", free_port()), "--quiet"]);
    let client = reqwest::Client::new();
    let url = format!("{}/__admin/cpc/overrides", mock.url);
    let add = |n: usize| {
        client
            .post(&url)
            .json(&serde_json::json!({
                "id": format!("o-{n}"), "method": "GET", "path": format!("/x/{n}"),
                "response": {"status": 200}
            }))
            .send()
    };
    for n in 0..1024 {
        assert_eq!(add(n).await.unwrap().status(), 201, "override {n}");
    }
    let refused = add(1024).await.unwrap();
    assert_eq!(refused.status(), 429);
    let said: Value = refused.json().await.unwrap();
    assert!(said["error"].as_str().unwrap().contains("1024"), "{said}");
    // Removing one makes room for one.
    let removed = client.delete(format!("{url}/o-0")).send().await.unwrap();
    assert_eq!(removed.status(), 200);
    assert_eq!(add(1025).await.unwrap().status(), 201);
}

#[tokio::test]
async fn big_overrides_are_capped_in_bytes_and_the_journal_is_read_a_page_at_a_time() {
    let mock = start_mock(&[
        "--addr",
        &format!("127.0.0.1:{}", free_port()),
        "--max-body-bytes",
        "8000000",
        "--quiet",
    ]);
    let client = reqwest::Client::new();
    let url = format!("{}/__admin/cpc/overrides", mock.url);
    // Rules of 3 MB each: five take 15 MB, the sixth would pass 16 MiB in all.
    let big = "z".repeat(3_000_000);
    for n in 0..6 {
        let added = client
            .post(&url)
            .json(&serde_json::json!({
                "id": format!("big-{n}"), "method": "GET", "path": "/x",
                "response": {"status": 200, "body": big}
            }))
            .send()
            .await
            .unwrap();
        let expected = if n < 5 { 201 } else { 429 };
        assert_eq!(added.status(), expected, "rule {n}");
        if expected == 429 {
            let said: Value = added.json().await.unwrap();
            assert!(said["error"].as_str().unwrap().contains("16 MiB"), "{said}");
        }
    }
    // Journal entries of 1 MB: an answer carries a page of about 2 MiB, and says where the
    // next one starts.
    for _ in 0..6 {
        client
            .post(format!("{}/y", mock.url))
            .body(vec![b'y'; 1_000_000])
            .send()
            .await
            .unwrap();
    }
    let mut since = 0;
    let mut seen = 0;
    for _ in 0..10 {
        let page: Value = get_json(
            &client,
            &format!("{}/__admin/requests?since={since}", mock.url),
        )
        .await;
        let n = page["requests"].as_array().unwrap().len();
        assert!((1..=3).contains(&n), "{n} entries in one page");
        seen += n;
        if page["cpc"]["more"] != true {
            break;
        }
        since = page["cpc"]["nextSince"].as_u64().unwrap();
    }
    assert_eq!(seen, 6, "every entry, once, over the pages");
}

#[tokio::test]
async fn idle_connections_cannot_starve_a_client_with_a_request() {
    use std::io::Write;
    use std::os::unix::process::CommandExt;
    // Every slot, then every descriptor, held by connections that never finish a head, with a
    // head timeout far longer than the client waits.
    for (extra, descriptors) in [
        (["--max-connections", "8"], 1024u64),
        (["--max-connections", "1000"], 64),
    ] {
        let mut args = vec![
            "--addr".to_string(),
            format!("127.0.0.1:{}", free_port()),
            "--header-timeout-ms".into(),
            "600000".into(),
            "--quiet".into(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        let list: Vec<&str> = args.iter().map(String::as_str).collect();
        let mock = start_mock_with(&list, |c| {
            // SAFETY: only async-signal-safe calls between fork and exec.
            unsafe {
                c.pre_exec(move || {
                    let limit = libc::rlimit {
                        rlim_cur: descriptors,
                        rlim_max: descriptors,
                    };
                    libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
                    Ok(())
                });
            }
        });
        let addr = mock.url.trim_start_matches("http://").to_string();
        let held: Vec<std::net::TcpStream> = (0..100)
            .filter_map(|_| {
                let mut s = std::net::TcpStream::connect(&addr).ok()?;
                s.write_all(b"GET /slow HTTP/1.1\r\nHost:").ok()?;
                Some(s)
            })
            .collect();
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .unwrap();
        for _ in 0..5 {
            let answer = client
                .get(format!("{}/__admin/requests", mock.url))
                .send()
                .await
                .unwrap();
            assert_eq!(answer.status(), 200);
        }
        drop(held);
        drop(mock);
    }
}
