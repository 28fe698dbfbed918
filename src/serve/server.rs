//! The HTTP/1.1 server under everything cpc serves (the mock portal, the reference e-service).
//! Built to run for days against clients that may be hostile: an accept loop that survives
//! errors (EMFILE, ENFILE, …) with a back-off and says so, a bounded number of connections, a
//! header-read timeout, a body limit (413, by `Content-Length` before reading, as nginx does)
//! and a body-read timeout, and no panic on anything a client can send. Nothing about a request
//! is kept once it is answered; what the portal remembers is its own bounded journal.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONNECTION, CONTENT_LENGTH, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::reply::{Answer, Reply};

/// What one server accepts from its clients.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// A larger request body is answered with `Answer::oversized` (413) and the connection closed.
    pub max_body_bytes: usize,
    /// A request head not complete within this is dropped with its connection (slowloris).
    pub header_read_timeout: Duration,
    /// A request body not complete within this is answered 408 and the connection closed.
    pub body_read_timeout: Duration,
    /// Connections open at once; more wait in the kernel's backlog.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 16 * 1024 * 1024,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            max_connections: 1024,
        }
    }
}

/// Where a server says what went wrong outside any request (accept errors).
pub type Log = Arc<dyn Fn(&str) + Send + Sync>;

/// A running server; dropping it stops it and every connection it holds.
pub struct Server {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    /// Serves `answer` on the listener. Must be called within a tokio runtime.
    pub fn start(
        listener: std::net::TcpListener,
        answer: Arc<dyn Answer>,
        limits: Limits,
        log: Log,
    ) -> std::io::Result<Self> {
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let listener = TcpListener::from_std(listener)?;
        let task = tokio::spawn(accept_loop(listener, answer, limits, log));
        Ok(Self { addr, task })
    }

    pub fn address(&self) -> SocketAddr {
        self.addr
    }

    pub fn uri(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// After an early 413, the rest of the body is read (and dropped) for this long, up to this much.
const LINGER_TIME: Duration = Duration::from_secs(5);
const LINGER_BYTES: usize = 256 * 1024 * 1024;

const BACKOFF_MIN: Duration = Duration::from_millis(5);
const BACKOFF_MAX: Duration = Duration::from_secs(1);
/// Accept errors are said at most this often (with how many were not said).
const LOG_EVERY: Duration = Duration::from_secs(5);

/// An open connection: how to close it, and whether it is inside a request (else it waits
/// for one: a new connection, a keep-alive one between requests, or a slow client's head).
struct Open {
    abort: tokio::task::AbortHandle,
    busy: Arc<AtomicBool>,
}

async fn accept_loop(listener: TcpListener, answer: Arc<dyn Answer>, limits: Limits, log: Log) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    // Dropped with this task, which aborts every connection still open.
    let mut connections = JoinSet::new();
    // Oldest first.
    let mut open: std::collections::VecDeque<Open> = std::collections::VecDeque::new();
    let mut backoff = BACKOFF_MIN;
    let mut last_said: Option<Instant> = None;
    let mut unsaid = 0u64;
    // When full (every slot, or every descriptor), the oldest connection that is not inside a
    // request goes: slow heads and idle keep-alives cannot starve clients that have a request
    // to make.
    let close_idlest = |open: &mut std::collections::VecDeque<Open>| {
        if let Some(i) = open.iter().position(|c| !c.busy.load(Ordering::Acquire))
            && let Some(idle) = open.remove(i)
        {
            idle.abort.abort();
        }
    };
    loop {
        while connections.try_join_next().is_some() {}
        open.retain(|c| !c.abort.is_finished());
        match listener.accept().await {
            Ok((stream, _)) => {
                backoff = BACKOFF_MIN;
                let slot = match slots.clone().try_acquire_owned() {
                    Ok(slot) => slot,
                    Err(_) => {
                        close_idlest(&mut open);
                        // With none idle, the new client waits for a connection to end.
                        let Ok(slot) = slots.clone().acquire_owned().await else {
                            return;
                        };
                        slot
                    }
                };
                let answer = answer.clone();
                let busy = Arc::new(AtomicBool::new(false));
                let in_request = busy.clone();
                let abort = connections.spawn(async move {
                    serve_connection(stream, answer, limits, in_request).await;
                    drop(slot);
                });
                open.push_back(Open { abort, busy });
            }
            Err(e) => {
                // Out of descriptors: an idle connection gives one back.
                if out_of_descriptors(&e) {
                    close_idlest(&mut open);
                }
                // EMFILE and friends pass when connections close: wait, never give up.
                if last_said.is_none_or(|at| at.elapsed() >= LOG_EVERY) {
                    let more = if unsaid > 0 {
                        format!(" ({unsaid} more since the last message)")
                    } else {
                        String::new()
                    };
                    log(&format!(
                        "cannot accept a connection on {}: {e}{more}; retrying",
                        listener
                            .local_addr()
                            .map_or_else(|_| "?".into(), |a| a.to_string())
                    ));
                    last_said = Some(Instant::now());
                    unsaid = 0;
                } else {
                    unsaid += 1;
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(BACKOFF_MAX);
            }
        }
    }
}

fn out_of_descriptors(e: &std::io::Error) -> bool {
    #[cfg(unix)]
    {
        matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE))
    }
    #[cfg(not(unix))]
    {
        let _ = e;
        false
    }
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    answer: Arc<dyn Answer>,
    limits: Limits,
    busy: Arc<AtomicBool>,
) {
    let _ = stream.set_nodelay(true);
    let service = service_fn(move |request| {
        let answer = answer.clone();
        let busy = busy.clone();
        async move {
            busy.store(true, Ordering::Release);
            let reply = handle(request, answer.as_ref(), limits).await;
            busy.store(false, Ordering::Release);
            Ok::<_, Infallible>(reply)
        }
    });
    // A connection that breaks (reset, truncated request, timeout) just ends.
    let _ = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        // A client that sends its request and shuts its side (curl, raw tests) still gets the
        // answer.
        .half_close(true)
        .max_buf_size(64 * 1024)
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

async fn handle(
    request: hyper::Request<Incoming>,
    answer: &dyn Answer,
    limits: Limits,
) -> hyper::Response<Full<Bytes>> {
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    // Refused from its head alone, before a byte of the body is read. The body is then read
    // and dropped for a while (nginx's lingering close), so a client still sending it sees the
    // 413 instead of a reset connection.
    if declared.is_some_and(|n| n > limits.max_body_bytes as u64) {
        let body = request.into_body();
        tokio::spawn(async move {
            let drain = BodyExt::collect(Limited::new(body, LINGER_BYTES));
            let _ = tokio::time::timeout(LINGER_TIME, drain).await;
        });
        return closing(answer.oversized(limits.max_body_bytes));
    }
    let (parts, body) = request.into_parts();
    let read = Limited::new(body, limits.max_body_bytes).collect();
    let body = match tokio::time::timeout(limits.body_read_timeout, read).await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
            return closing(answer.oversized(limits.max_body_bytes));
        }
        Ok(Err(_)) => return closing(Reply::new(400).set_body_string("truncated request body")),
        Err(_) => return closing(Reply::new(408).set_body_string("request body too slow")),
    };
    // The origin-form path (an absolute-form target gives its path too); wiremock's model sees
    // every request as `http://localhost/...`.
    let target = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let Ok(url) = reqwest::Url::parse(&format!("http://localhost{target}")) else {
        return closing(Reply::new(400).set_body_string("bad request target"));
    };
    let request = wiremock::Request {
        url,
        method: parts.method,
        headers: parts.headers,
        body: body.to_vec(),
    };
    // A bug in an answer is a 500 for that request, never a dead server.
    let reply = std::panic::catch_unwind(AssertUnwindSafe(|| answer.answer(&request)))
        .unwrap_or_else(|_| Reply::new(500).set_body_string("internal error"));
    if let Some(delay) = reply.delay {
        tokio::time::sleep(delay).await;
    }
    response(reply)
}

fn closing(reply: Reply) -> hyper::Response<Full<Bytes>> {
    let mut response = response(reply);
    response
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    response
}

fn response(reply: Reply) -> hyper::Response<Full<Bytes>> {
    let mut response = hyper::Response::new(Full::new(reply.body));
    *response.status_mut() = hyper::StatusCode::from_u16(reply.status)
        .unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    for (name, value) in reply.headers {
        headers.append(name, value);
    }
    response
}
