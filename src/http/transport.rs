//! The HTTP transport to the target: every request has a timeout, every body a cap, and
//! whatever a broken or hostile target sends back becomes data or a `TransportError`. Requests
//! go on connections of cpc's own (see `connection`: each driven by the task that sends, kept
//! alive between requests, reading an early answer to a large body), one per job at a time.
//! When the environment names a proxy, they go through reqwest's pooled client, which uses it
//! (large bodies still on a connection of their own).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use thiserror::Error;

use super::connection::{Connection, Connector};
use super::tls::{self, TlsOptions};
use crate::check::Response;

/// Bodies at least this large are sent on a connection of their own that reads an early
/// answer (413 before the body is read).
const EARLY_ANSWER_BODY: usize = 64 * 1024;

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
    /// The TLS handshake failed; the words say why and what to do.
    #[error("{0}")]
    Tls(String),
    #[error("the response body is larger than the {0}-byte cap")]
    TooLarge(u64),
    #[error("{0}")]
    Other(String),
}

pub struct Transport {
    /// Connections of cpc's own, idle between requests; None when a proxy is configured, so
    /// every request goes through reqwest, which honours it.
    idle: Option<Mutex<Vec<Connection>>>,
    client: reqwest::Client,
    connector: Arc<Connector>,
    body_cap: u64,
}

impl Transport {
    pub fn new(tls: &TlsOptions, body_cap: u64) -> Result<Self, String> {
        let config = tls::client_config(tls)?;
        let client = reqwest::Client::builder()
            .user_agent(concat!("cpc/", env!("CARGO_PKG_VERSION")))
            // A conformance check judges the response the target gives, not where it points.
            .redirect(reqwest::redirect::Policy::none())
            .tls_backend_preconfigured((*config).clone())
            .build()
            .map_err(|e| e.to_string())?;
        let connector = Arc::new(Connector {
            tls: tokio_rustls::TlsConnector::from(config),
            body_cap: usize::try_from(body_cap).unwrap_or(usize::MAX),
        });
        Ok(Self {
            idle: (!proxy_configured()).then(Default::default),
            client,
            connector,
            body_cap,
        })
    }

    /// A connection of its own (a load user's), with the run's TLS settings.
    pub fn connection(&self) -> Connection {
        Connection::new(self.connector.clone())
    }

    /// Sends and reads the whole body, within `timeout` for the whole exchange.
    pub async fn send(
        &self,
        out: &Outgoing,
        timeout: Duration,
    ) -> Result<Response, TransportError> {
        if let Some(idle) = &self.idle {
            let taken = idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
            let mut connection = taken.unwrap_or_else(|| self.connection());
            let response = connection.send(out, timeout, true).await;
            idle.lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(connection);
            return response;
        }
        if out
            .body
            .as_ref()
            .is_some_and(|b| b.len() >= EARLY_ANSWER_BODY)
        {
            return self.connection().send(out, timeout, true).await;
        }
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

/// Whether the environment names a proxy (the variables reqwest reads): then requests go
/// through reqwest, which uses it, instead of connections of cpc's own.
fn proxy_configured() -> bool {
    [
        "ALL_PROXY",
        "all_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
    ]
    .iter()
    .any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()))
}

/// reqwest's Display is only "error sending request"; say what actually happened, in words a
/// tester can act on for TLS.
fn classify(e: reqwest::Error) -> TransportError {
    classify_error(&e, e.is_connect())
}

/// An error and its causes in words: TLS ones as what to do, the rest with every cause.
pub(super) fn classify_error(
    e: &(dyn std::error::Error + 'static),
    connecting: bool,
) -> TransportError {
    if let Some(words) = tls::explain(e) {
        return TransportError::Tls(words.to_string());
    }
    let mut detail = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        detail = format!("{detail}: {inner}");
        source = inner.source();
    }
    if connecting {
        TransportError::Connect(detail)
    } else {
        TransportError::Other(detail)
    }
}

pub(super) fn classify_io(e: &std::io::Error) -> TransportError {
    match tls::explain(e) {
        Some(words) => TransportError::Tls(words.to_string()),
        None => TransportError::Connect(e.to_string()),
    }
}
