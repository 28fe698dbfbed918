//! Section 6: every status change goes to the portal — with a token from the portal's gateway
//! (TP-2.3), in order per application (TP-6.2), retried on 5xx or silence until accepted, and
//! never resent once accepted (TP-6.4).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc;

use super::fault::Fault;

/// The agency → portal credentials of the proposal's test environment (§11).
const CONSUMER_KEY: &str = "csg-agency-key";
const CONSUMER_SECRET: &str = "csg-agency-secret";
const AGENT_ID: &str = "CSG";
/// TP-6.4: a portal that has not answered within 5 s counts as failed.
const PORTAL_TIMEOUT: Duration = Duration::from_secs(5);
/// TP-6.4: at least 3 retries within 60 s; these back off 0.1 s, 0.2 s, … 0.5 s.
const ATTEMPTS: u64 = 6;

pub struct Portal {
    url: String,
    client: reqwest::Client,
    token: tokio::sync::Mutex<Option<String>>,
    /// One queue per application, fed in the order its status changed and emptied by one
    /// task, so its callbacks leave in that order (TP-6.2) however fast the changes come.
    lanes: Mutex<HashMap<String, mpsc::UnboundedSender<Value>>>,
}

impl Portal {
    pub fn new(url: &str) -> Self {
        Self {
            url: url.trim_end_matches('/').to_string(),
            client: reqwest::Client::new(),
            token: tokio::sync::Mutex::new(None),
            lanes: Mutex::new(HashMap::new()),
        }
    }

    /// TP-2.3: `GET /ws/auth/validate` once; the gateway's token lives 60 minutes, longer than
    /// any test run.
    async fn token(&self) -> Option<String> {
        let mut token = self.token.lock().await;
        if token.is_none() {
            let answer: Value = self
                .client
                .get(format!("{}/ws/auth/validate", self.url))
                .query(&[("ConsumerSecret", CONSUMER_SECRET), ("AgentID", AGENT_ID)])
                .header("Consumer-Key", CONSUMER_KEY)
                .timeout(PORTAL_TIMEOUT)
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            *token = answer["Result"].as_str().map(str::to_string);
        }
        token.clone()
    }
}

/// Queues one status callback of an application; called in the order its status changes.
pub fn enqueue(portal: &Arc<Portal>, fault: Option<Fault>, reference: &str, body: Value) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    if fault == Some(Fault::OutOfOrder) && body["status"] == "received" {
        // Broken on purpose: the first callback overtakes nothing and arrives last.
        let (portal, reference) = (portal.clone(), reference.to_string());
        runtime.spawn(async move {
            tokio::time::sleep(Duration::from_millis(800)).await;
            deliver(&portal, fault, &reference, &body).await;
        });
        return;
    }
    let mut lanes = portal.lanes.lock().unwrap_or_else(|e| e.into_inner());
    let lane = lanes.entry(reference.to_string()).or_insert_with(|| {
        let (tx, mut rx) = mpsc::unbounded_channel::<Value>();
        let (portal, reference) = (portal.clone(), reference.to_string());
        runtime.spawn(async move {
            while let Some(body) = rx.recv().await {
                deliver(&portal, fault, &reference, &body).await;
            }
        });
        tx
    });
    let _ = lane.send(body);
}

/// Delivers one status callback, retrying as TP-6.4 says.
async fn deliver(portal: &Portal, fault: Option<Fault>, reference: &str, body: &Value) {
    let url = format!("{}/api/v1/applications/{reference}/status", portal.url);
    for attempt in 1..=ATTEMPTS {
        let mut request = portal
            .client
            .post(&url)
            .header("Consumer-Key", CONSUMER_KEY)
            .timeout(PORTAL_TIMEOUT)
            .json(body);
        if fault != Some(Fault::NoToken) {
            request = request.header("Token", portal.token().await.unwrap_or_default());
        }
        if request.send().await.is_ok_and(|r| r.status().is_success()) {
            if fault == Some(Fault::DuplicateCallback) {
                let again = portal
                    .client
                    .post(&url)
                    .header("Consumer-Key", CONSUMER_KEY);
                let token = portal.token().await.unwrap_or_default();
                let _ = again.header("Token", token).json(body).send().await;
            }
            return;
        }
        if fault == Some(Fault::NoRetry) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
    }
}
