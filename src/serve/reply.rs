//! What a served endpoint answers: wiremock's `Respond` model, with an answer we can serve
//! ourselves. wiremock's `ResponseTemplate` keeps its parts private, so it can only be served
//! by wiremock's own server (which keeps every request and dies on one failed `accept()`); a
//! `Reply` has the same builder and is served by `serve::server`.

use std::time::Duration;

use hyper::body::Bytes;
use hyper::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use wiremock::Request;

/// wiremock's `Respond`, answered with a `Reply`. Called once per request, synchronously; a
/// delay is slept by the server, outside any lock the answer took.
pub trait Answer: Send + Sync + 'static {
    fn answer(&self, request: &Request) -> Reply;

    /// The answer to a request whose body is over the server's limit (its head only: the body
    /// was not read). 413, as WireMock and nginx answer.
    fn oversized(&self, _limit: usize) -> Reply {
        Reply::new(413).set_body_string("request body too large")
    }
}

/// A response, built like wiremock's `ResponseTemplate`. Header names or values that HTTP does
/// not allow are left out, never panicked on.
#[derive(Clone, Debug, Default)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
    pub delay: Option<Duration>,
}

impl Reply {
    /// A status outside 100..=599 becomes 500 (a mapping's status is checked when it loads).
    pub fn new(status: u16) -> Self {
        Self {
            status: if (100..=599).contains(&status) {
                status
            } else {
                500
            },
            ..Self::default()
        }
    }

    pub fn insert_header(mut self, name: &str, value: &str) -> Self {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            self.headers.retain(|(n, _)| *n != name);
            self.headers.push((name, value));
        }
        self
    }

    pub fn set_body_raw(mut self, body: impl Into<Bytes>, mime: &str) -> Self {
        self.body = body.into();
        let mime = HeaderValue::try_from(mime)
            .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
        self.headers.retain(|(n, _)| *n != CONTENT_TYPE);
        self.headers.push((CONTENT_TYPE, mime));
        self
    }

    pub fn set_body_json(self, body: impl serde::Serialize) -> Self {
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        self.set_body_raw(bytes, "application/json")
    }

    pub fn set_body_string(self, body: impl Into<String>) -> Self {
        self.set_body_raw(body.into(), "text/plain")
    }

    pub fn set_delay(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }

    pub fn content_type(&self) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| *n == CONTENT_TYPE)
            .and_then(|(_, v)| v.to_str().ok())
    }
}
