//! The HTTP transport to the target: every request has a timeout, every body a cap, and
//! whatever a broken or hostile target sends back becomes data or a `TransportError`. Requests
//! go on connections of cpc's own (see `connection`: each driven by the task that sends, kept
//! alive between requests, reading an early answer to a large body), one per job at a time.
//! When the environment names a proxy, every request (a load user's too) goes through
//! reqwest's pooled client, which uses it.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use thiserror::Error;

use super::connection::{Connection, Connector};
use super::tls::{self, TlsOptions};
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
    /// The TLS handshake failed; the words say why and what to do.
    #[error("{0}")]
    Tls(String),
    #[error("the response body is larger than the {0}-byte cap")]
    TooLarge(u64),
    #[error("{0}")]
    Other(String),
}

pub struct Transport {
    route: Route,
}

/// How requests reach the target.
enum Route {
    /// On connections of cpc's own, idle ones kept between requests.
    Direct {
        connector: Arc<Connector>,
        idle: Mutex<Vec<Connection>>,
    },
    /// Through reqwest's pooled client, which uses the proxy the environment names.
    Proxied(Proxied),
}

#[derive(Clone)]
pub struct Proxied {
    client: reqwest::Client,
    body_cap: u64,
}

/// A load user's way to the target: a connection of its own, or the proxied client.
pub enum Link {
    Own(Connection),
    Proxied(Proxied),
}

impl Link {
    /// As `Connection::send`: headers and body are returned only when `keep`.
    pub async fn send(
        &mut self,
        out: &Outgoing,
        timeout: Duration,
        keep: bool,
    ) -> Result<Response, TransportError> {
        match self {
            Link::Own(connection) => connection.send(out, timeout, keep).await,
            Link::Proxied(proxied) => {
                let mut response = proxied.send(out, timeout).await?;
                if !keep {
                    response.headers.clear();
                    response.body.clear();
                }
                Ok(response)
            }
        }
    }
}

impl Transport {
    pub fn new(tls: &TlsOptions, body_cap: u64) -> Result<Self, String> {
        let config = tls::client_config(tls)?;
        let route = if proxy_configured() {
            let client = reqwest::Client::builder()
                .user_agent(concat!("cpc/", env!("CARGO_PKG_VERSION")))
                // A conformance check judges the response the target gives, not where it
                // points.
                .redirect(reqwest::redirect::Policy::none())
                .tls_backend_preconfigured((*config).clone())
                .build()
                .map_err(|e| e.to_string())?;
            Route::Proxied(Proxied { client, body_cap })
        } else {
            Route::Direct {
                connector: Arc::new(Connector {
                    tls: tokio_rustls::TlsConnector::from(config),
                    body_cap: usize::try_from(body_cap).unwrap_or(usize::MAX),
                }),
                idle: Mutex::default(),
            }
        };
        Ok(Self { route })
    }

    /// A load user's own way to the target, with the run's TLS settings.
    pub fn link(&self) -> Link {
        match &self.route {
            Route::Direct { connector, .. } => Link::Own(Connection::new(connector.clone())),
            Route::Proxied(proxied) => Link::Proxied(proxied.clone()),
        }
    }

    /// Sends and reads the whole body, within `timeout` for the whole exchange.
    pub async fn send(
        &self,
        out: &Outgoing,
        timeout: Duration,
    ) -> Result<Response, TransportError> {
        match &self.route {
            Route::Direct { connector, idle } => {
                let taken = idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
                let mut connection = taken.unwrap_or_else(|| Connection::new(connector.clone()));
                let response = connection.send(out, timeout, true).await;
                idle.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(connection);
                response
            }
            Route::Proxied(proxied) => proxied.send(out, timeout).await,
        }
    }
}

impl Proxied {
    async fn send(&self, out: &Outgoing, timeout: Duration) -> Result<Response, TransportError> {
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
            received_ms: 0,
            truncated: false,
            parsed: Default::default(),
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
