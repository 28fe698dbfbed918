//! The HTTP transport to the target: every request has a timeout, every body a cap, and
//! whatever a broken or hostile target sends back becomes data or a `TransportError`.

use std::time::{Duration, Instant};

use thiserror::Error;

use crate::check::Response;

/// A request ready to send: templates rendered, defaults applied.
#[derive(Clone, Debug)]
pub struct Outgoing {
    pub method: reqwest::Method,
    pub url: reqwest::Url,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

/// Why no response could be judged. Each is a could-not-evaluate (error) outcome.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum TransportError {
    #[error("no complete response within {0} ms")]
    Timeout(u64),
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("the response body is larger than the {0}-byte cap")]
    TooLarge(u64),
    #[error("{0}")]
    Other(String),
}

pub struct Transport {
    client: reqwest::Client,
    body_cap: u64,
}

impl Transport {
    pub fn new(insecure: bool, body_cap: u64) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .user_agent(concat!("cpc/", env!("CARGO_PKG_VERSION")))
            // A conformance check judges the response the target gives, not where it points.
            .redirect(reqwest::redirect::Policy::none())
            .tls_danger_accept_invalid_certs(insecure)
            .build()?;
        Ok(Self { client, body_cap })
    }

    pub fn body_cap(&self) -> u64 {
        self.body_cap
    }

    /// Sends and reads the whole body, within `timeout` for the whole exchange.
    pub async fn send(
        &self,
        out: &Outgoing,
        timeout: Duration,
    ) -> Result<Response, TransportError> {
        let started = Instant::now();
        let limit = timeout.as_millis() as u64;
        match tokio::time::timeout(timeout, self.exchange(out, started)).await {
            Ok(result) => result,
            Err(_) => Err(TransportError::Timeout(limit)),
        }
    }

    async fn exchange(&self, out: &Outgoing, started: Instant) -> Result<Response, TransportError> {
        let mut request = self.client.request(out.method.clone(), out.url.clone());
        for (name, value) in &out.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        if let Some(body) = &out.body {
            request = request.body(body.clone());
        }
        let mut response = request.send().await.map_err(classify)?;
        if response.content_length().is_some_and(|n| n > self.body_cap) {
            return Err(TransportError::TooLarge(self.body_cap));
        }
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            if body.len() as u64 + chunk.len() as u64 > self.body_cap {
                return Err(TransportError::TooLarge(self.body_cap));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Response {
            status,
            headers,
            body,
            elapsed_ms: started.elapsed().as_millis() as u64,
        })
    }
}

/// reqwest's Display is only "error sending request"; say what actually happened.
fn classify(e: reqwest::Error) -> TransportError {
    let mut detail = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(inner) = source {
        detail = format!("{detail}: {inner}");
        source = inner.source();
    }
    if e.is_connect() {
        TransportError::Connect(detail)
    } else {
        TransportError::Other(detail)
    }
}
