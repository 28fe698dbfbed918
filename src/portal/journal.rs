//! The journal: every inbound request, bounded (oldest dropped past the cap, and counted).
//! Waiters are woken when it grows, so an `await` step finishes as soon as the call arrives.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::Notify;

pub const DEFAULT_CAP: usize = 10_000;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Entry {
    /// Increases by one per request, never reused, so a reader can ask for "after N".
    pub seq: u64,
    pub at: String,
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The stub that answered; `None` when none matched.
    pub stub: Option<String>,
    pub status: u16,
    /// The `Token` header held a token the portal issued, when the request arrived.
    pub token_issued: bool,
}

impl Entry {
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
        json!({
            "id": format!("cpc-{}", self.seq),
            "request": {"url": url, "method": self.method, "headers": headers, "body": self.body,
                        "loggedDateString": self.at},
            "responseDefinition": {"status": self.status},
            "wasMatched": self.stub.is_some(),
            "stubMapping": self.stub.as_ref().map(|name| json!({"name": name})),
            "cpc": {"seq": self.seq, "tokenIssued": self.token_issued, "entry": self},
        })
    }
}

pub struct Journal {
    entries: Mutex<VecDeque<Entry>>,
    cap: usize,
    next: AtomicU64,
    dropped: AtomicU64,
    grew: Notify,
}

impl Journal {
    pub fn new(cap: usize) -> Self {
        Self {
            entries: Mutex::new(VecDeque::new()),
            cap: cap.max(1),
            next: AtomicU64::new(1),
            dropped: AtomicU64::new(0),
            grew: Notify::new(),
        }
    }

    /// Records an entry (its `seq` is assigned here) and wakes every waiter.
    pub fn record(&self, mut entry: Entry) -> u64 {
        let seq = self.next.fetch_add(1, Ordering::SeqCst);
        entry.seq = seq;
        if let Ok(mut entries) = self.entries.lock() {
            entries.push_back(entry);
            while entries.len() > self.cap {
                entries.pop_front();
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

    pub fn since(&self, seq: u64) -> Vec<Entry> {
        self.entries
            .lock()
            .map(|e| e.iter().filter(|x| x.seq >= seq).cloned().collect())
            .unwrap_or_default()
    }

    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::SeqCst)
    }

    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
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
            method: "POST".into(),
            path: path.into(),
            query: vec![],
            headers: vec![],
            body: String::new(),
            stub: None,
            status: 404,
            token_issued: false,
        }
    }

    #[test]
    fn drops_the_oldest_past_the_cap_and_counts_them() {
        let j = Journal::new(2);
        for p in ["/a", "/b", "/c"] {
            j.record(entry(p));
        }
        let paths: Vec<String> = j.since(0).into_iter().map(|e| e.path).collect();
        assert_eq!(paths, ["/b", "/c"]);
        assert_eq!(j.dropped(), 1);
        assert_eq!(j.next_seq(), 4);
        assert_eq!(j.since(3).len(), 1);
    }

    #[tokio::test]
    async fn wakes_waiters_when_it_grows() {
        let j = std::sync::Arc::new(Journal::new(10));
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
