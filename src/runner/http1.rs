//! A load user's own HTTP/1.1 connection to a plain-`http` target: one persistent connection,
//! no pool to share and lock, so the load generator is not the bottleneck (see BENCHMARKS.md).
//! Anything else (https) goes through the shared transport.

use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::check::Response;
use crate::http::{Outgoing, TransportError};

pub struct Connection {
    sender: Option<SendRequest<Full<Bytes>>>,
    body_cap: usize,
}

impl Connection {
    /// For `http://` targets only; `None` means: use the shared transport.
    pub fn for_url(url: &reqwest::Url, body_cap: u64) -> Option<Self> {
        (url.scheme() == "http").then(|| Self {
            sender: None,
            body_cap: usize::try_from(body_cap).unwrap_or(usize::MAX),
        })
    }

    async fn connect(url: &reqwest::Url) -> Result<SendRequest<Full<Bytes>>, TransportError> {
        let host = url.host_str().unwrap_or("127.0.0.1");
        let port = url.port_or_known_default().unwrap_or(80);
        let stream = TcpStream::connect((host, port))
            .await
            .map_err(|e| TransportError::Connect(e.to_string()))?;
        let _ = stream.set_nodelay(true);
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| TransportError::Connect(e.to_string()))?;
        tokio::spawn(connection);
        Ok(sender)
    }

    /// Sends and reads the whole answer; headers and body are returned only when `keep`.
    pub async fn send(
        &mut self,
        out: &Outgoing,
        timeout: Duration,
        keep: bool,
    ) -> Result<Response, TransportError> {
        let started = Instant::now();
        let limit = timeout.as_millis() as u64;
        match tokio::time::timeout(timeout, self.exchange(out, started, keep)).await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(e)) => {
                // A broken connection is not reused.
                self.sender = None;
                Err(e)
            }
            Err(_) => {
                self.sender = None;
                Err(TransportError::Timeout(limit))
            }
        }
    }

    async fn exchange(
        &mut self,
        out: &Outgoing,
        started: Instant,
        keep: bool,
    ) -> Result<Response, TransportError> {
        if self.sender.as_ref().is_none_or(|s| s.is_closed()) {
            self.sender = Some(Self::connect(&out.url).await?);
        }
        let Some(sender) = self.sender.as_mut() else {
            return Err(TransportError::Connect("no connection".into()));
        };
        let path = match out.url.query() {
            Some(q) => format!("{}?{q}", out.url.path()),
            None => out.url.path().to_string(),
        };
        let mut request = hyper::Request::builder()
            .method(out.method.as_str())
            .uri(path);
        let host = match out.url.port() {
            Some(port) => format!("{}:{port}", out.url.host_str().unwrap_or_default()),
            None => out.url.host_str().unwrap_or_default().to_string(),
        };
        request = request
            .header("host", host)
            .header("user-agent", concat!("cpc/", env!("CARGO_PKG_VERSION")));
        for (name, value) in &out.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let body = Full::new(Bytes::from(out.body.clone().unwrap_or_default()));
        let request = request
            .body(body)
            .map_err(|e| TransportError::Other(e.to_string()))?;
        sender
            .ready()
            .await
            .map_err(|e| TransportError::Other(e.to_string()))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| TransportError::Other(e.to_string()))?;
        let status = response.status().as_u16();
        let headers = if keep {
            response
                .headers()
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect()
        } else {
            Vec::new()
        };
        let body = Limited::new(response.into_body(), self.body_cap)
            .collect()
            .await
            .map_err(|_| TransportError::TooLarge(self.body_cap as u64))?
            .to_bytes();
        let body = if keep { body.to_vec() } else { Vec::new() };
        Ok(Response {
            status,
            headers,
            body,
            elapsed_ms: started.elapsed().as_millis() as u64,
        })
    }
}
