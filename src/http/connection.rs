//! One HTTP/1.1 connection of cpc's own to the target (plain or TLS), for what a pooled client
//! does badly: a load user's persistent connection (no pool to share and lock, see
//! BENCHMARKS.md), and a large request body that the target may refuse before reading it.
//!
//! A server may answer early (413 from the head of a 10 MiB upload, as nginx does) and close
//! without reading the rest. Writing into such a connection fails with "broken pipe" while the
//! answer sits unread, and a client that reports the write error never sees the 413. Here a
//! write that fails that way is treated as sent: the body goes nowhere, and the answer already
//! on its way is read and judged.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use super::transport::{Outgoing, TransportError, classify_error, classify_io};
use crate::check::Response;

/// How connections to the target are opened: its TLS configuration, and the body cap.
pub struct Connector {
    pub tls: tokio_rustls::TlsConnector,
    pub body_cap: usize,
}

/// The task that reads and writes an HTTP/1.1 connection, driven by the task that sends on
/// it: no task of its own, so no hand-over between threads for every request.
type Driver = Pin<Box<dyn Future<Output = hyper::Result<()>> + Send>>;

/// An open connection: the sender, its driver, and what it is connected to.
struct Open {
    sender: SendRequest<Full<Bytes>>,
    driver: Option<Driver>,
    /// `scheme://host:port`.
    origin: String,
    /// Has sent a request: a server may have closed it since (keep-alive timeout).
    used: bool,
}

pub struct Connection {
    connector: Arc<Connector>,
    open: Option<Open>,
}

impl Connection {
    pub fn new(connector: Arc<Connector>) -> Self {
        Self {
            connector,
            open: None,
        }
    }

    /// Sends and reads the whole answer within `timeout`; headers and body are returned only
    /// when `keep`. A connection that failed is not reused.
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
                self.open = None;
                Err(e)
            }
            Err(_) => {
                self.open = None;
                Err(TransportError::Timeout(limit))
            }
        }
    }
}

/// Opens a connection to `url`'s origin, TLS when https.
async fn connect(
    connector: &Connector,
    url: &reqwest::Url,
    origin: String,
) -> Result<Open, TransportError> {
    let host = url.host_str().unwrap_or("127.0.0.1");
    let port = url.port_or_known_default().unwrap_or(80);
    let tcp = TcpStream::connect((host.trim_matches(['[', ']']), port))
        .await
        .map_err(|e| TransportError::Connect(e.to_string()))?;
    let _ = tcp.set_nodelay(true);
    let tcp = WritesMayFail::new(tcp);
    let (sender, driver) = if url.scheme() == "https" {
        let name =
            rustls::pki_types::ServerName::try_from(host.trim_matches(['[', ']']).to_string())
                .map_err(|e| TransportError::Connect(format!("{host}: {e}")))?;
        let tls = connector
            .tls
            .connect(name, tcp)
            .await
            .map_err(|e| classify_io(&e))?;
        handshake(tls).await?
    } else {
        handshake(tcp).await?
    };
    Ok(Open {
        sender,
        driver: Some(driver),
        origin,
        used: false,
    })
}

impl Connection {
    async fn exchange(
        &mut self,
        out: &Outgoing,
        started: Instant,
        keep: bool,
    ) -> Result<Response, TransportError> {
        let origin = out.url.origin().ascii_serialization();
        let reusable = self
            .open
            .as_ref()
            .is_some_and(|o| o.origin == origin && !o.sender.is_closed());
        if !reusable {
            self.open = Some(connect(&self.connector, &out.url, origin.clone()).await?);
        }
        let request = request(out)?;
        let Some(open) = self.open.as_mut() else {
            return Err(TransportError::Connect("no connection".into()));
        };
        let reused = open.used;
        let response = match open.send(request).await {
            Ok(response) => response,
            // A kept-alive connection the server closed before it took the request: the
            // request was not sent, so it goes once more on a new connection.
            Err((_, Some(request))) if reused => {
                let mut fresh = connect(&self.connector, &out.url, origin).await?;
                let response = fresh.send(request).await.map_err(|e| e.0)?;
                self.open = Some(fresh);
                response
            }
            Err((e, _)) => return Err(e),
        };
        let Some(open) = self.open.as_mut() else {
            return Err(TransportError::Connect("no connection".into()));
        };
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
        let cap = self.connector.body_cap;
        let body = driven(
            &mut open.driver,
            Limited::new(response.into_body(), cap).collect(),
        )
        .await
        .map_err(|e| {
            if e.is::<http_body_util::LengthLimitError>() {
                TransportError::TooLarge(cap as u64)
            } else {
                classify_error(&*e, false)
            }
        })?
        .to_bytes();
        Ok(Response {
            status,
            headers,
            body: if keep { body.to_vec() } else { Vec::new() },
            elapsed_ms: started.elapsed().as_millis() as u64,
            received_ms: 0,
            truncated: false,
            parsed: Default::default(),
        })
    }
}

/// A request that could not be sent: why, and the request itself when it never left (so it
/// can go on another connection).
type Unsent = (TransportError, Option<hyper::Request<Full<Bytes>>>);

impl Open {
    async fn send(
        &mut self,
        request: hyper::Request<Full<Bytes>>,
    ) -> Result<hyper::Response<hyper::body::Incoming>, Unsent> {
        let other = |e: hyper::Error| classify_error(&e, false);
        if let Err(e) = driven(&mut self.driver, self.sender.ready()).await {
            return Err((other(e), Some(request)));
        }
        self.used = true;
        driven(&mut self.driver, self.sender.try_send_request(request))
            .await
            .map_err(|mut e| {
                let request = e.take_message();
                (other(e.into_error()), request)
            })
    }
}

/// Polls `work` and, with it, the connection's driver (which moves the bytes `work` waits
/// for). A driver that ends (the server closed) is dropped; `work` then sees the close.
async fn driven<F: Future>(driver: &mut Option<Driver>, work: F) -> F::Output {
    let mut work = std::pin::pin!(work);
    std::future::poll_fn(|cx| {
        if let Some(d) = driver
            && d.as_mut().poll(cx).is_ready()
        {
            *driver = None;
        }
        work.as_mut().poll(cx)
    })
    .await
}

/// The request as cpc sends it: `host` and `user-agent` unless the step gives its own, and
/// `accept: */*` as a pooled client sends it.
fn request(out: &Outgoing) -> Result<hyper::Request<Full<Bytes>>, TransportError> {
    let path = match out.url.query() {
        Some(q) => format!("{}?{q}", out.url.path()),
        None => out.url.path().to_string(),
    };
    let given = |name: &str| {
        out.headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    };
    let mut request = hyper::Request::builder()
        .method(out.method.as_str())
        .uri(path);
    if !given("host") {
        let host = match out.url.port() {
            Some(port) => format!("{}:{port}", out.url.host_str().unwrap_or_default()),
            None => out.url.host_str().unwrap_or_default().to_string(),
        };
        request = request.header("host", host);
    }
    if !given("user-agent") {
        request = request.header("user-agent", concat!("cpc/", env!("CARGO_PKG_VERSION")));
    }
    if !given("accept") {
        request = request.header("accept", "*/*");
    }
    for (name, value) in &out.headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let body = Full::new(Bytes::from(out.body.clone().unwrap_or_default()));
    request
        .body(body)
        .map_err(|e| TransportError::Other(e.to_string()))
}

async fn handshake<T>(io: T) -> Result<(SendRequest<Full<Bytes>>, Driver), TransportError>
where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(|e| classify_error(&e, true))?;
    Ok((sender, Box::pin(connection)))
}

/// A stream whose writes, once the peer has stopped reading (broken pipe, reset), are taken
/// as written: what the peer already answered can still be read.
struct WritesMayFail<T> {
    inner: T,
    peer_gone: bool,
}

impl<T> WritesMayFail<T> {
    fn new(inner: T) -> Self {
        Self {
            inner,
            peer_gone: false,
        }
    }
}

fn peer_stopped_reading(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
    )
}

impl<T: AsyncRead + Unpin> AsyncRead for WritesMayFail<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for WritesMayFail<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.peer_gone {
            return Poll::Ready(Ok(buf.len()));
        }
        match Pin::new(&mut self.inner).poll_write(cx, buf) {
            Poll::Ready(Err(e)) if peer_stopped_reading(&e) => {
                self.peer_gone = true;
                Poll::Ready(Ok(buf.len()))
            }
            other => other,
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.peer_gone {
            return Poll::Ready(Ok(()));
        }
        match Pin::new(&mut self.inner).poll_flush(cx) {
            Poll::Ready(Err(e)) if peer_stopped_reading(&e) => {
                self.peer_gone = true;
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.peer_gone {
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    /// A server that answers 413 from the request's head and closes without reading the body
    /// (so the kernel resets the connection).
    fn early_413() -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/upload", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                let _ = stream.write_all(
                    b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno",
                );
            }
        });
        url
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_early_answer_is_read_although_the_body_was_not() {
        let url = early_413();
        let connector = Arc::new(Connector {
            tls: tokio_rustls::TlsConnector::from(
                super::super::tls::client_config(&Default::default()).unwrap(),
            ),
            body_cap: 1024,
        });
        for _ in 0..20 {
            let out = Outgoing {
                method: reqwest::Method::POST,
                url: url.parse().unwrap(),
                headers: vec![],
                body: Some(vec![b' '; 8 * 1024 * 1024]),
            };
            let got = Connection::new(connector.clone())
                .send(&out, Duration::from_secs(5), true)
                .await;
            let response = got.unwrap_or_else(|e| panic!("{e:?}"));
            assert_eq!(response.status, 413);
            assert_eq!(response.body, b"no");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_kept_alive_connection_the_server_closed_is_replaced_not_an_error() {
        // Answers one request per connection, keep-alive, then closes it.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/thing", listener.local_addr().unwrap());
        let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = accepted.clone();
        std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            }
        });
        let connector = Arc::new(Connector {
            tls: tokio_rustls::TlsConnector::from(
                super::super::tls::client_config(&Default::default()).unwrap(),
            ),
            body_cap: 1024,
        });
        let mut connection = Connection::new(connector);
        let out = Outgoing {
            method: reqwest::Method::GET,
            url: url.parse().unwrap(),
            headers: vec![],
            body: None,
        };
        for _ in 0..3 {
            let got = connection.send(&out, Duration::from_secs(5), true).await;
            assert_eq!(got.map(|r| r.body), Ok(b"ok".to_vec()));
            // The server's close arrives before the next request.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 3);
    }
}
