//! A fake municipal library for tests/suites/library: its books break the API description on
//! purpose (an off-schema body, an undocumented status, a wrong content type); its loans check
//! the request as the description says, or forget `maxLength` when told.

use serde_json::{Value, json};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

struct Library {
    forget_max_length: bool,
    /// Where the API is mounted (`/lib`): requests outside it get 404.
    mount: &'static str,
}

fn valid_loan(body: &Value, forget_max_length: bool) -> bool {
    let Some(loan) = body.as_object() else {
        return false;
    };
    let known = ["member_id", "book_ids", "days", "note", "kind"];
    let member = loan
        .get("member_id")
        .and_then(Value::as_str)
        .is_some_and(|m| {
            m.len() == 6 && m.starts_with("M-") && m[2..].bytes().all(|b| b.is_ascii_digit())
        });
    let books = loan
        .get("book_ids")
        .and_then(Value::as_array)
        .is_some_and(|ids| {
            let mut seen = std::collections::HashSet::new();
            (1..=3).contains(&ids.len())
                && ids.iter().all(|id| {
                    id.as_str().is_some_and(|s| {
                        s.len() > 2
                            && s.starts_with("B-")
                            && s[2..].bytes().all(|b| b.is_ascii_digit())
                    }) && seen.insert(id.to_string())
                })
        });
    let days = loan
        .get("days")
        .and_then(Value::as_i64)
        .is_some_and(|d| (1..=14).contains(&d))
        && loan["days"].is_i64();
    let note = loan.get("note").is_none_or(|n| {
        n.as_str()
            .is_some_and(|s| forget_max_length || s.chars().count() <= 20)
    });
    let kind = loan
        .get("kind")
        .is_none_or(|k| k == "normal" || k == "reference");
    loan.keys().all(|k| known.contains(&k.as_str())) && member && books && days && note && kind
}

/// A renewal: `days` 1 to 7, an optional `reason` of 3 to 40 characters, nothing else.
fn valid_renewal(body: &Value) -> bool {
    let Some(renewal) = body.as_object() else {
        return false;
    };
    let days = renewal
        .get("days")
        .is_some_and(|d| d.is_i64() && d.as_i64().is_some_and(|d| (1..=7).contains(&d)));
    let reason = renewal.get("reason").is_none_or(|r| {
        r.as_str()
            .is_some_and(|s| (3..=40).contains(&s.chars().count()))
    });
    renewal.keys().all(|k| k == "days" || k == "reason") && days && reason
}

impl Respond for Library {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let Some(path) = request.url.path().strip_prefix(self.mount) else {
            return ResponseTemplate::new(404);
        };
        match (request.method.as_str(), path) {
            // `title` a number: off the schema at /title.
            ("GET", "/books/1") => ResponseTemplate::new(200)
                .insert_header("X-Request-Id", "r1")
                .set_body_json(json!({"id": "1", "title": 123, "copies": 1})),
            // A status the document does not give.
            ("GET", "/books/2") => {
                ResponseTemplate::new(418).set_body_json(json!({"code": "TEAPOT"}))
            }
            // The right status, the wrong content type.
            ("GET", "/books/3") => ResponseTemplate::new(200)
                .insert_header("X-Request-Id", "r3")
                .set_body_raw("เล่มที่ 3", "text/plain"),
            ("POST", "/loans") => {
                let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
                if valid_loan(&body, self.forget_max_length) {
                    ResponseTemplate::new(201).set_body_json(json!({"loan_id": "L-1"}))
                } else {
                    ResponseTemplate::new(422).set_body_json(json!({"code": "INVALID_LOAN"}))
                }
            }
            ("POST", path) if path.starts_with("/loans/") && path.ends_with("/renewals") => {
                let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
                match valid_renewal(&body) {
                    true => ResponseTemplate::new(201).set_body_json(json!({"renewed": true})),
                    false => ResponseTemplate::new(422).set_body_json(json!({"code": "INVALID"})),
                }
            }
            _ => ResponseTemplate::new(404).set_body_json(json!({"code": "NOT_FOUND"})),
        }
    }
}

pub async fn start(forget_max_length: bool) -> MockServer {
    start_at(forget_max_length, "").await
}

/// The same library, its API under `mount` (`/lib/books/1`).
pub async fn start_at(forget_max_length: bool, mount: &'static str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(Library {
            forget_max_length,
            mount,
        })
        .mount(&server)
        .await;
    server
}
