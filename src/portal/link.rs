//! How a run reaches the mock portal: in-process (the journal wakes waiters as it grows), or a
//! `cpc mock` running elsewhere, through its admin API (`--portal URL`). The same suite runs
//! unchanged either way.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::journal::Entry;
use super::server::{MockPortal, Override};

/// A remote journal is read this often while waiting (the in-process one wakes on growth).
const REMOTE_POLL: Duration = Duration::from_millis(100);

pub enum PortalLink {
    Local(Arc<MockPortal>),
    Remote(Remote),
}

pub struct Remote {
    base: String,
    admin_token: Option<String>,
    client: reqwest::Client,
}

impl PortalLink {
    pub fn remote(base: &str, admin_token: Option<String>) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self::Remote(Remote {
            base: base.trim_end_matches('/').to_string(),
            admin_token,
            client,
        }))
    }

    /// The portal's base URL, as the agency calls it.
    pub fn uri(&self) -> String {
        match self {
            Self::Local(p) => p.uri(),
            Self::Remote(r) => r.base.clone(),
        }
    }

    /// The seq the next request will get: a case's window starts here.
    pub async fn next_seq(&self) -> Result<u64, String> {
        match self {
            Self::Local(p) => Ok(p.state.journal.next_seq()),
            Self::Remote(r) => {
                let answer = r.get_requests(u64::MAX).await?;
                answer["cpc"]["nextSeq"]
                    .as_u64()
                    .ok_or_else(|| "the portal's journal does not say its next sequence number (is it a cpc mock?)".into())
            }
        }
    }

    pub async fn since(&self, seq: u64) -> Result<Vec<Entry>, String> {
        match self {
            Self::Local(p) => Ok(p.state.journal.since(seq)),
            Self::Remote(r) => {
                // Page after page, as the portal gives them.
                let mut entries: Vec<Entry> = Vec::new();
                let mut from = seq;
                loop {
                    let answer = r.get_requests(from).await?;
                    let mut page: Vec<Entry> = answer["requests"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Entry::from_wiremock_json)
                        .collect();
                    page.sort_by_key(|e| e.seq);
                    entries.extend(page);
                    match answer["cpc"]["nextSince"].as_u64() {
                        Some(next) if answer["cpc"]["more"] == true && next > from => from = next,
                        _ => break,
                    }
                }
                Ok(entries)
            }
        }
    }

    /// The entries from `since` on, once one newer than `seen` exists or `until` passes.
    pub async fn more(&self, since: u64, seen: u64, until: Instant) -> Result<Vec<Entry>, String> {
        loop {
            let wait = match self {
                Self::Local(p) => {
                    // Registered before reading, so a request recorded in between still wakes us.
                    let grown = p.state.journal.grown();
                    tokio::pin!(grown);
                    grown.as_mut().enable();
                    let entries = p.state.journal.since(since);
                    if newer(&entries, seen) || Instant::now() >= until {
                        return Ok(entries);
                    }
                    tokio::select! {
                        _ = grown => {}
                        _ = tokio::time::sleep_until(until.into()) => {}
                    }
                    continue;
                }
                Self::Remote(_) => {
                    let entries = self.since(since).await?;
                    if newer(&entries, seen) || Instant::now() >= until {
                        return Ok(entries);
                    }
                    REMOTE_POLL.min(until.saturating_duration_since(Instant::now()))
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    pub async fn add_override(&self, rule: Override) -> Result<String, String> {
        match self {
            Self::Local(p) => p.state.add_override(rule),
            Self::Remote(r) => {
                let answer: Value = r
                    .send(
                        r.client
                            .post(format!("{}/__admin/cpc/overrides", r.base))
                            .json(&rule),
                    )
                    .await?;
                answer["id"]
                    .as_str()
                    .map(str::to_string)
                    .ok_or_else(|| "the portal gave no override id".into())
            }
        }
    }

    pub async fn remove_override(&self, id: &str) {
        match self {
            Self::Local(p) => p.state.remove_override(id),
            Self::Remote(r) => {
                let _ = r
                    .send(
                        r.client
                            .delete(format!("{}/__admin/cpc/overrides/{id}", r.base)),
                    )
                    .await;
            }
        }
    }
}

fn newer(entries: &[Entry], seen: u64) -> bool {
    entries.last().is_some_and(|e| e.seq > seen)
}

impl Remote {
    async fn get_requests(&self, since: u64) -> Result<Value, String> {
        self.send(
            self.client
                .get(format!("{}/__admin/requests", self.base))
                .query(&[("since", since)]),
        )
        .await
    }

    async fn send(&self, mut request: reqwest::RequestBuilder) -> Result<Value, String> {
        if let Some(token) = &self.admin_token {
            request = request.bearer_auth(token);
        }
        let response = request
            .send()
            .await
            .map_err(|e| format!("the mock portal at {} cannot be reached: {e}", self.base))?;
        let status = response.status();
        if status == reqwest::StatusCode::UNAUTHORIZED {
            return Err(format!(
                "the mock portal at {} wants its admin token (--portal-admin-token)",
                self.base
            ));
        }
        if !status.is_success() {
            return Err(format!("the mock portal's admin API answered {status}"));
        }
        let bytes = response.bytes().await.map_err(|e| e.to_string())?;
        Ok(serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }
}
