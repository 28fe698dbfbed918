//! A fake target for `tests/suites/steps`: `/trigger` calls the mock portal's `/webhook` (again
//! after `again_after_ms`) and answers with the portal's status; `/limited` wants a `Retry-After`
//! to be honoured; `/make` answers with a `Location`.

use std::io::{Read, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// POSTs to the portal on a plain socket (the responder is synchronous); its status code.
fn post(portal: &str, path: &str, body: &Value) -> u16 {
    let addr = portal.trim_start_matches("http://");
    let Ok(mut stream) = std::net::TcpStream::connect(addr) else {
        return 0;
    };
    let body = body.to_string();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(request.as_bytes());
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

struct Target {
    portal: String,
    limited_since: Mutex<Option<Instant>>,
}

impl Respond for Target {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        match (req.method.as_str(), req.url.path()) {
            ("POST", "/trigger") => {
                let hook = json!({"id": body["id"]});
                if let Some(after) = body["again_after_ms"].as_u64() {
                    let (portal, hook) = (self.portal.clone(), hook.clone());
                    std::thread::spawn(move || {
                        std::thread::sleep(Duration::from_millis(after));
                        post(&portal, "/webhook", &hook);
                    });
                }
                let status = post(&self.portal, "/webhook", &hook);
                ResponseTemplate::new(200).set_body_json(json!({"portal_status": status}))
            }
            ("GET", "/limited") => {
                let mut since = self.limited_since.lock().unwrap();
                match *since {
                    Some(at) if at.elapsed() >= Duration::from_secs(1) => {
                        ResponseTemplate::new(200).set_body_json(json!({"ok": true}))
                    }
                    Some(_) => ResponseTemplate::new(429).insert_header("Retry-After", "1"),
                    None => {
                        *since = Some(Instant::now());
                        ResponseTemplate::new(429).insert_header("Retry-After", "1")
                    }
                }
            }
            ("POST", "/make") => ResponseTemplate::new(201).insert_header("Location", "/things/42"),
            ("GET", "/things/42") => ResponseTemplate::new(200).set_body_json(json!({"id": 42})),
            _ => ResponseTemplate::new(404),
        }
    }
}

pub async fn start(portal: &str) -> MockServer {
    let server = MockServer::start().await;
    let target = Target {
        portal: portal.to_string(),
        limited_since: Mutex::new(None),
    };
    Mock::given(any()).respond_with(target).mount(&server).await;
    server
}
