//! The mock portal: WireMock-format stubs served by wiremock-rs, a bounded journal of every
//! inbound request, token issuing and checking, per-case behaviour overrides and the admin API.

use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};

use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json_path::JsonPath;
use wiremock::{Match, Mock, MockServer, Request, Respond, ResponseTemplate};

use super::journal::{Entry, Journal};
use super::load::{MappingSet, anchored};
use super::mapping::{BodyPattern, Mapping, ResponseDefinition, TokenState, ValuePattern};
use super::respond;
use super::tokens::Tokens;
use crate::clock;

/// Called with each journal entry as it is recorded (the `cpc mock` log).
pub type RequestLog = Box<dyn Fn(&Entry) + Send + Sync>;

/// Everything the stubs share.
pub struct PortalState {
    pub journal: Journal,
    pub tokens: Tokens,
    pub set: MappingSet,
    overrides: Mutex<Vec<Override>>,
    /// The override the matcher chose for the request being answered (matching and answering
    /// of one request happen back to back under wiremock's lock).
    chosen: Mutex<Option<ResponseDefinition>>,
    admin_token: Option<String>,
    /// Called with each journal entry as it is recorded (the `cpc mock` log).
    on_request: Option<RequestLog>,
}

/// A behaviour change for matching requests (the `portal` step): answer differently, for the
/// next `times` requests or until removed.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Override {
    #[serde(default)]
    pub id: String,
    pub method: String,
    pub path: String,
    #[serde(default)]
    pub times: Option<u32>,
    pub response: ResponseDefinition,
}

pub struct MockPortal {
    server: MockServer,
    pub state: Arc<PortalState>,
}

impl MockPortal {
    pub async fn start(
        listener: TcpListener,
        set: MappingSet,
        admin_token: Option<String>,
        journal_cap: usize,
        on_request: Option<RequestLog>,
    ) -> Self {
        let state = Arc::new(PortalState {
            journal: Journal::new(journal_cap),
            tokens: Tokens::default(),
            set,
            overrides: Mutex::new(Vec::new()),
            chosen: Mutex::new(None),
            admin_token,
            on_request,
        });
        // The journal is ours and bounded; wiremock's own recording would grow without end.
        let server = MockServer::builder()
            .listener(listener)
            .disable_request_recording()
            .start()
            .await;
        let admin = Admin {
            state: state.clone(),
        };
        server
            .register(Mock::given(AdminPath).respond_with(admin).with_priority(1))
            .await;
        let overrides = OverrideStub {
            state: state.clone(),
        };
        server
            .register(
                Mock::given(overrides.clone())
                    .respond_with(overrides)
                    .with_priority(1),
            )
            .await;
        for (_, mapping) in &state.set.mappings {
            let stub = Stub::new(mapping.clone(), state.clone());
            // Data priorities shift by one: 1 is kept for the admin API and overrides.
            let priority = mapping.priority.unwrap_or(5).saturating_add(1).min(254);
            server
                .register(
                    Mock::given(stub.clone())
                        .respond_with(stub)
                        .with_priority(priority),
                )
                .await;
        }
        let unmatched = Unmatched {
            state: state.clone(),
        };
        server
            .register(
                Mock::given(wiremock::matchers::any())
                    .respond_with(unmatched)
                    .with_priority(255),
            )
            .await;
        Self { server, state }
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }

    pub fn address(&self) -> SocketAddr {
        *self.server.address()
    }
}

impl PortalState {
    pub fn add_override(&self, mut rule: Override) -> String {
        if rule.id.is_empty() {
            rule.id = uuid::Uuid::new_v4().to_string();
        }
        let id = rule.id.clone();
        if let Ok(mut all) = self.overrides.lock() {
            all.push(rule);
        }
        id
    }

    pub fn remove_override(&self, id: &str) {
        if let Ok(mut all) = self.overrides.lock() {
            all.retain(|o| o.id != id);
        }
    }

    fn record(&self, req: &Request, stub: Option<String>, status: u16) {
        let token_issued = req
            .headers
            .get("token")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| self.tokens.is_issued(t));
        let entry = Entry {
            seq: 0,
            at: clock::rfc3339(clock::now()),
            method: req.method.as_str().to_string(),
            path: req.url.path().to_string(),
            query: req
                .url
                .query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
            headers: req
                .headers
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: String::from_utf8_lossy(&req.body).into_owned(),
            stub,
            status,
            token_issued,
        };
        if let Some(log) = &self.on_request {
            log(&entry);
        }
        self.journal.record(entry);
    }
}

/// A mapping as a wiremock matcher and responder.
#[derive(Clone)]
struct Stub {
    mapping: Arc<Mapping>,
    path_pattern: Option<Regex>,
    url_pattern: Option<Regex>,
    state: Arc<PortalState>,
}

impl Stub {
    fn new(mapping: Mapping, state: Arc<PortalState>) -> Self {
        let compile = |p: &Option<String>| p.as_ref().and_then(|p| Regex::new(&anchored(p)).ok());
        Self {
            path_pattern: compile(&mapping.request.url_path_pattern),
            url_pattern: compile(&mapping.request.url_pattern),
            mapping: Arc::new(mapping),
            state,
        }
    }
}

fn path_and_query(req: &Request) -> String {
    match req.url.query() {
        Some(q) => format!("{}?{q}", req.url.path()),
        None => req.url.path().to_string(),
    }
}

fn value_matches(pattern: &ValuePattern, value: Option<&str>) -> bool {
    match (pattern, value) {
        (ValuePattern::Absent(absent), v) => *absent == v.is_none(),
        (_, None) => false,
        (ValuePattern::EqualTo(want), Some(v)) => v == want,
        (ValuePattern::Contains(part), Some(v)) => v.contains(part.as_str()),
        (ValuePattern::Matches(re), Some(v)) => {
            Regex::new(&anchored(re)).is_ok_and(|re| re.is_match(v))
        }
    }
}

impl Match for Stub {
    fn matches(&self, req: &Request) -> bool {
        let r = &self.mapping.request;
        let method_ok = r
            .method
            .as_ref()
            .is_none_or(|m| m == "ANY" || m.eq_ignore_ascii_case(req.method.as_str()));
        let path = req.url.path();
        let url_ok = r.url.as_ref().is_none_or(|u| *u == path_and_query(req))
            && r.url_path.as_ref().is_none_or(|u| u == path)
            && self
                .path_pattern
                .as_ref()
                .is_none_or(|re| re.is_match(path))
            && self
                .url_pattern
                .as_ref()
                .is_none_or(|re| re.is_match(&path_and_query(req)));
        if !(method_ok && url_ok) {
            return false;
        }
        let query: Vec<(String, String)> = req
            .url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let query_ok = r.query_parameters.iter().all(|(name, pattern)| {
            value_matches(
                pattern,
                query
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.as_str()),
            )
        });
        let header = |name: &str| req.headers.get(name).and_then(|v| v.to_str().ok());
        let headers_ok = r
            .headers
            .iter()
            .all(|(name, pattern)| value_matches(pattern, header(name)));
        let body_ok = r.body_patterns.iter().all(|p| body_matches(p, &req.body));
        let token_ok = self
            .mapping
            .cpc()
            .and_then(|c| c.token.as_ref())
            .is_none_or(|rule| {
                let issued = header(&rule.header).is_some_and(|t| self.state.tokens.is_issued(t));
                issued == (rule.is == TokenState::Issued)
            });
        query_ok && headers_ok && body_ok && token_ok
    }
}

fn body_matches(pattern: &BodyPattern, body: &[u8]) -> bool {
    match pattern {
        BodyPattern::Contains(part) => String::from_utf8_lossy(body).contains(part.as_str()),
        BodyPattern::EqualToJson(want) => serde_json::from_slice::<serde_json::Value>(body)
            .is_ok_and(|got| crate::check::json_equal(&got, want)),
        BodyPattern::MatchesJsonPath(path) => {
            match (JsonPath::parse(path), serde_json::from_slice(body)) {
                (Ok(p), Ok(json)) => !p.query(&json).is_empty(),
                _ => false,
            }
        }
    }
}

impl Respond for Stub {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let m = &self.mapping;
        let (response, json) = respond::build(
            &m.response,
            m.templated(),
            req.url.path(),
            &self.state.set.files,
        );
        if let (Some(path), Some(json)) = (m.cpc().and_then(|c| c.issues_token.as_ref()), &json)
            && let Ok(p) = JsonPath::parse(path)
            && let Ok(Some(token)) = p
                .query(json)
                .at_most_one()
                .map(|v| v.and_then(|v| v.as_str()))
        {
            self.state.tokens.issue(token);
        }
        self.state.record(req, Some(m.label()), m.response.status);
        response
    }
}

/// Overrides added by `portal` steps, ahead of every stub.
#[derive(Clone)]
struct OverrideStub {
    state: Arc<PortalState>,
}

impl Match for OverrideStub {
    fn matches(&self, req: &Request) -> bool {
        if req.url.path().starts_with("/__admin") {
            return false;
        }
        let Ok(mut all) = self.state.overrides.lock() else {
            return false;
        };
        let found = all.iter_mut().find(|o| {
            o.method.eq_ignore_ascii_case(req.method.as_str())
                && o.path == req.url.path()
                && o.times != Some(0)
        });
        let Some(rule) = found else {
            return false;
        };
        if let Some(n) = rule.times.as_mut() {
            *n -= 1;
        }
        if let Ok(mut chosen) = self.state.chosen.lock() {
            *chosen = Some(rule.response.clone());
        }
        true
    }
}

impl Respond for OverrideStub {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let chosen = self.state.chosen.lock().ok().and_then(|mut c| c.take());
        let def = chosen.unwrap_or_else(|| ResponseDefinition {
            status: 500,
            ..Default::default()
        });
        let (response, _) = respond::build(&def, false, req.url.path(), &self.state.set.files);
        self.state
            .record(req, Some("cpc portal step".into()), def.status);
        response
    }
}

/// A request no stub matched: recorded, answered 404 as WireMock does.
struct Unmatched {
    state: Arc<PortalState>,
}

impl Respond for Unmatched {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        self.state.record(req, None, 404);
        ResponseTemplate::new(404)
    }
}

struct AdminPath;

impl Match for AdminPath {
    fn matches(&self, req: &Request) -> bool {
        req.url.path().starts_with("/__admin")
    }
}

/// WireMock's admin API, the parts cpc needs. Behind a bearer token when one is set, because
/// the journal holds tokens and personal data.
struct Admin {
    state: Arc<PortalState>,
}

impl Respond for Admin {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        use serde_json::json;
        if let Some(token) = &self.state.admin_token {
            let given = req
                .headers
                .get("authorization")
                .and_then(|v| v.to_str().ok());
            if given != Some(format!("Bearer {token}").as_str()) {
                return ResponseTemplate::new(401)
                    .set_body_json(json!({"error": "admin token required"}));
            }
        }
        let since = req
            .url
            .query_pairs()
            .find(|(k, _)| k == "since")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        match (req.method.as_str(), req.url.path()) {
            ("GET", "/__admin/requests") => {
                // WireMock lists the newest first.
                let entries = self.state.journal.since(since);
                let requests: Vec<_> = entries.iter().rev().map(Entry::wiremock_json).collect();
                ResponseTemplate::new(200).set_body_json(json!({
                    "requests": requests,
                    "meta": {"total": requests.len()},
                    "requestJournalDisabled": false,
                    "cpc": {"dropped": self.state.journal.dropped(), "nextSeq": self.state.journal.next_seq()},
                }))
            }
            ("DELETE", "/__admin/requests") => {
                self.state.journal.clear();
                ResponseTemplate::new(200)
            }
            ("POST", "/__admin/cpc/overrides") => {
                match serde_json::from_slice::<Override>(&req.body) {
                    Ok(rule) if (100..=599).contains(&rule.response.status) => {
                        let id = self.state.add_override(rule);
                        ResponseTemplate::new(201).set_body_json(json!({"id": id}))
                    }
                    Ok(_) => ResponseTemplate::new(400)
                        .set_body_json(json!({"error": "response.status is not an HTTP status"})),
                    Err(e) => {
                        ResponseTemplate::new(400).set_body_json(json!({"error": e.to_string()}))
                    }
                }
            }
            ("DELETE", path) if path.starts_with("/__admin/cpc/overrides/") => {
                self.state
                    .remove_override(path.trim_start_matches("/__admin/cpc/overrides/"));
                ResponseTemplate::new(200)
            }
            ("GET", "/__admin/mappings") => {
                let mappings: Vec<&Mapping> =
                    self.state.set.mappings.iter().map(|(_, m)| m).collect();
                ResponseTemplate::new(200)
                    .set_body_json(json!({"mappings": mappings, "meta": {"total": mappings.len()}}))
            }
            _ => {
                ResponseTemplate::new(404).set_body_json(json!({"error": "no such admin endpoint"}))
            }
        }
    }
}
