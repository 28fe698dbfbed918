//! The journal: every inbound request, bounded by count and by bytes (the oldest are dropped
//! past either cap, and counted), each body kept up to a limit. A portal that runs for days
//! holds at most this much, whatever the traffic. Waiters are woken when it grows, so an
//! `await` step finishes as soon as the call arrives.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::Notify;

pub const DEFAULT_CAP: usize = 10_000;
pub const DEFAULT_MAX_BYTES: usize = 64 * 1024 * 1024;
/// A body is kept up to this many bytes (its size is always kept).
pub const ENTRY_BODY_LIMIT: usize = 1024 * 1024;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Entry {
    /// Increases by one per request, never reused, so a reader can ask for "after N".
    pub seq: u64,
    pub at: String,
    /// When it arrived, in ms since the Unix epoch (the portal's clock).
    #[serde(default)]
    pub received_ms: u64,
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    /// Up to `ENTRY_BODY_LIMIT` bytes of it, byte for byte (a signature or a digest is of
    /// these bytes, not of a text reading of them).
    #[serde(skip)]
    pub body: Vec<u8>,
    /// The body's size as received.
    #[serde(default)]
    pub body_bytes: usize,
    /// The body was longer than what is kept.
    #[serde(default)]
    pub body_truncated: bool,
    /// The stub that answered; `None` when none matched.
    pub stub: Option<String>,
    pub status: u16,
    /// The `Token` header held a token the portal issued, when the request arrived.
    pub token_issued: bool,
}

impl Entry {
    /// Keeps at most `ENTRY_BODY_LIMIT` bytes of a body (cut at a character boundary).
    pub fn keep_body(&mut self, body: &[u8]) {
        self.body_bytes = body.len();
        let kept = &body[..body.len().min(ENTRY_BODY_LIMIT)];
        self.body_truncated = kept.len() < body.len();
        self.body = kept.to_vec();
    }

    /// Roughly what the entry holds in memory, for the journal's byte cap.
    pub fn size(&self) -> usize {
        const FIXED: usize = 256;
        FIXED
            + self.path.len()
            + self.body.len()
            + self.at.len()
            + self
                .query
                .iter()
                .map(|(k, v)| k.len() + v.len() + 48)
                .sum::<usize>()
            + self
                .headers
                .iter()
                .map(|(k, v)| k.len() + v.len() + 48)
                .sum::<usize>()
            + self.stub.as_ref().map_or(0, String::len)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// WireMock's `/__admin/requests` shape, with cpc's own fields under `cpc`.
    pub fn wiremock_json(&self) -> Value {
        let query: Vec<String> = self.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let url = if query.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{}", self.path, query.join("&"))
        };
        let headers: serde_json::Map<String, Value> = self
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        // WireMock's shape: a text body as `body`, any other bytes as `bodyAsBase64` (byte for
        // byte, and never twice: the journal's byte cap bounds this answer too).
        let mut request = json!({"url": url, "method": self.method, "headers": headers,
                                 "loggedDateString": self.at});
        match std::str::from_utf8(&self.body) {
            Ok(text) => request["body"] = json!(text),
            Err(_) => {
                request["body"] = json!("");
                request["bodyAsBase64"] =
                    json!(base64::engine::general_purpose::STANDARD.encode(&self.body));
            }
        }
        json!({
            "id": format!("cpc-{}", self.seq),
            "request": request,
            "responseDefinition": {"status": self.status},
            "wasMatched": self.stub.is_some(),
            "stubMapping": self.stub.as_ref().map(|name| json!({"name": name})),
            // The whole entry for a remote `cpc run`, its body only once (in `request`).
            "cpc": {"seq": self.seq, "tokenIssued": self.token_issued,
                    "entry": Entry { body: Vec::new(), ..self.clone() }},
        })
    }

    /// An entry back from its `/__admin/requests` form (`wiremock_json`).
    pub fn from_wiremock_json(request: &Value) -> Option<Entry> {
        let mut entry: Entry = serde_json::from_value(request["cpc"]["entry"].clone()).ok()?;
        let body = &request["request"];
        entry.body = match body["bodyAsBase64"].as_str() {
            Some(b64) => base64::engine::general_purpose::STANDARD.decode(b64).ok()?,
            None => body["body"].as_str()?.as_bytes().to_vec(),
        };
        Some(entry)
    }
}

pub struct Journal {
    entries: Mutex<Kept>,
    cap: usize,
    max_bytes: usize,
    next: AtomicU64,
    dropped: AtomicU64,
    grew: Notify,
}

#[derive(Default)]
struct Kept {
    entries: VecDeque<Entry>,
    bytes: usize,
}

impl Journal {
    pub fn new(cap: usize, max_bytes: usize) -> Self {
        Self {
            entries: Mutex::new(Kept::default()),
            cap: cap.max(1),
            max_bytes,
            next: AtomicU64::new(1),
            dropped: AtomicU64::new(0),
            grew: Notify::new(),
        }
    }

    /// Records an entry (its `seq` is assigned here) and wakes every waiter.
    pub fn record(&self, mut entry: Entry) -> u64 {
        let seq = self.next.fetch_add(1, Ordering::SeqCst);
        entry.seq = seq;
        if let Ok(mut kept) = self.entries.lock() {
            kept.bytes += entry.size();
            kept.entries.push_back(entry);
            // The newest entry stays even alone over the byte cap: its body is bounded.
            while kept.entries.len() > self.cap
                || (kept.bytes > self.max_bytes && kept.entries.len() > 1)
            {
                if let Some(old) = kept.entries.pop_front() {
                    kept.bytes -= old.size();
                }
                self.dropped.fetch_add(1, Ordering::SeqCst);
            }
        }
        self.grew.notify_waiters();
        seq
    }

    /// The seq the next entry will get: entries "from now on" have at least this.
    pub fn next_seq(&self) -> u64 {
        self.next.load(Ordering::SeqCst)
    }

    /// The entries from `seq` on, oldest first.
    pub fn since(&self, seq: u64) -> Vec<Entry> {
        self.entries
            .lock()
            .map(|kept| {
                // Entries are in seq order: skip the older ones without looking at each.
                let start = kept.entries.partition_point(|x| x.seq < seq);
                kept.entries.range(start..).cloned().collect()
            })
            .unwrap_or_default()
    }

    /// The entries from `seq` on, oldest first, up to about `max_bytes` of them (at least one),
    /// and whether more follow: a reader of the admin API gets the journal a page at a time,
    /// never all of it in one answer.
    pub fn page(&self, seq: u64, max_bytes: usize) -> (Vec<Entry>, bool) {
        self.entries
            .lock()
            .map(|kept| {
                let start = kept.entries.partition_point(|x| x.seq < seq);
                let mut page = Vec::new();
                let mut bytes = 0usize;
                for entry in kept.entries.range(start..) {
                    if !page.is_empty() && bytes + entry.size() > max_bytes {
                        return (page, true);
                    }
                    bytes += entry.size();
                    page.push(entry.clone());
                }
                (page, false)
            })
            .unwrap_or_default()
    }

    /// What the kept entries hold, roughly, in bytes.
    pub fn bytes(&self) -> usize {
        self.entries.lock().map_or(0, |kept| kept.bytes)
    }

    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::SeqCst)
    }

    pub fn clear(&self) {
        if let Ok(mut kept) = self.entries.lock() {
            *kept = Kept::default();
        }
    }

    /// Resolves when the journal next grows. Take the future before reading the journal, so a
    /// request recorded between the read and the wait is not missed.
    pub fn grown(&self) -> tokio::sync::futures::Notified<'_> {
        self.grew.notified()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str) -> Entry {
        Entry {
            seq: 0,
            at: String::new(),
            received_ms: 0,
            method: "POST".into(),
            path: path.into(),
            query: vec![],
            headers: vec![],
            body: Vec::new(),
            body_bytes: 0,
            body_truncated: false,
            stub: None,
            status: 404,
            token_issued: false,
        }
    }

    #[test]
    fn bodies_are_kept_and_sent_byte_for_byte() {
        let mut e = entry("/hook");
        let bytes = b"\xff\xd8\xff\xe0 sig=\x80\x81";
        e.keep_body(bytes);
        assert_eq!(e.body, bytes);
        let json = e.wiremock_json();
        assert_eq!(json["request"]["bodyAsBase64"], "/9j/4CBzaWc9gIE=");
        let back = Entry::from_wiremock_json(&json).unwrap();
        assert_eq!(back.body, bytes, "a remote run judges the same bytes");
    }

    #[test]
    fn drops_the_oldest_past_the_cap_and_counts_them() {
        let j = Journal::new(2, DEFAULT_MAX_BYTES);
        for p in ["/a", "/b", "/c"] {
            j.record(entry(p));
        }
        let paths: Vec<String> = j.since(0).into_iter().map(|e| e.path).collect();
        assert_eq!(paths, ["/b", "/c"]);
        assert_eq!(j.dropped(), 1);
        assert_eq!(j.next_seq(), 4);
        assert_eq!(j.since(3).len(), 1);
    }

    #[test]
    fn bytes_are_capped_and_big_bodies_cut() {
        let j = Journal::new(1000, 3 * ENTRY_BODY_LIMIT);
        for _ in 0..10 {
            let mut e = entry("/big");
            e.keep_body(&vec![b'x'; 10 * ENTRY_BODY_LIMIT]);
            assert!(e.body_truncated && e.body.len() == ENTRY_BODY_LIMIT);
            assert_eq!(e.body_bytes, 10 * ENTRY_BODY_LIMIT);
            j.record(e);
        }
        assert!(j.bytes() <= 3 * ENTRY_BODY_LIMIT, "{}", j.bytes());
        assert_eq!(j.since(0).len() as u64 + j.dropped(), 10);
        assert_eq!(j.since(0).last().map(|e| e.seq), Some(10));
    }

    #[tokio::test]
    async fn wakes_waiters_when_it_grows() {
        let j = std::sync::Arc::new(Journal::new(10, DEFAULT_MAX_BYTES));
        let waiter = {
            let j = j.clone();
            tokio::spawn(async move {
                let grown = j.grown();
                tokio::pin!(grown);
                grown.as_mut().enable();
                if j.since(1).is_empty() {
                    grown.await;
                }
                j.since(1).len()
            })
        };
        tokio::task::yield_now().await;
        j.record(entry("/x"));
        let n = tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(n, 1);
    }
}
