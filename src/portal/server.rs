//! The mock portal: WireMock-format stubs matched with wiremock's `Match` model and served by
//! cpc's own server (`serve`), a bounded journal of every inbound request, token issuing and
//! checking, per-case behaviour overrides and the admin API.

use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};

use regex::Regex;
use serde::{Deserialize, Serialize};
use wiremock::{Match, Request};

use super::consumers::{Consumer, presented};
use super::journal::{Entry, Journal};
use super::load::{MappingSet, anchored};
use super::mapping::{BodyPattern, Mapping, ResponseDefinition, TokenState, ValuePattern};
use super::respond;
use super::tokens::Tokens;
use crate::clock;
use crate::serve::{Answer, Limits, Log, Reply, Server};
use crate::suite::Predicate;

/// Called with each journal entry as it is recorded (the `cpc mock` log).
pub type RequestLog = Box<dyn Fn(&Entry) + Send + Sync>;

/// How much the portal keeps and accepts: it runs for days.
#[derive(Clone, Copy, Debug)]
pub struct PortalLimits {
    pub journal_entries: usize,
    pub journal_bytes: usize,
    pub server: Limits,
}

impl Default for PortalLimits {
    fn default() -> Self {
        Self {
            journal_entries: super::journal::DEFAULT_CAP,
            journal_bytes: super::journal::DEFAULT_MAX_BYTES,
            server: Limits::default(),
        }
    }
}

/// What a portal serves and how: its stubs, the consumers its gateway knows, the admin token,
/// its limits, and where it says what happens.
pub struct PortalSetup {
    pub set: MappingSet,
    pub consumers: Vec<Consumer>,
    /// Required on `/__admin` when set (off loopback).
    pub admin_token: Option<String>,
    pub limits: PortalLimits,
    /// Called with each journal entry as it is recorded (the `cpc mock` log).
    pub on_request: Option<RequestLog>,
    /// Where the server says what goes wrong outside any request.
    pub log: Log,
}

/// Everything the stubs share.
pub struct PortalState {
    pub journal: Journal,
    pub tokens: Tokens,
    pub set: MappingSet,
    pub consumers: Vec<Consumer>,
    /// The mappings as matchers, highest priority first.
    stubs: Vec<Stub>,
    overrides: Mutex<Vec<Override>>,
    admin_token: Option<String>,
    /// Called with each journal entry as it is recorded (the `cpc mock` log).
    on_request: Option<RequestLog>,
}

/// A behaviour change for matching requests (the `portal` step): answer differently, for the
/// next `times` requests or until removed. A request matches when its method and path are these
/// and its headers, query parameters and JSON body meet every predicate (rendered already).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Override {
    #[serde(default)]
    pub id: String,
    pub method: String,
    pub path: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<(String, Predicate)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub query: Vec<(String, Predicate)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub body: Vec<(String, Predicate)>,
    #[serde(default)]
    pub times: Option<u32>,
    pub response: ResponseDefinition,
    /// Its size as JSON, counted against `MAX_OVERRIDE_BYTES`.
    #[serde(skip)]
    pub bytes: usize,
}

impl Override {
    fn matches(&self, req: &Request) -> bool {
        let no_vars = crate::vars::Vars::default();
        let holds = |p: &Predicate, v: Option<String>| {
            let value = v.map(serde_json::Value::String);
            crate::check::holds(p, &value.iter().collect::<Vec<_>>(), &no_vars)
        };
        let header = |name: &str| {
            req.headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let query = |name: &str| {
            req.url
                .query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
        };
        let json = (!self.body.is_empty())
            .then(|| serde_json::from_slice::<serde_json::Value>(&req.body).ok())
            .flatten();
        self.method.eq_ignore_ascii_case(req.method.as_str())
            && self.path == req.url.path()
            && self.times != Some(0)
            && self.headers.iter().all(|(n, p)| holds(p, header(n)))
            && self.query.iter().all(|(n, p)| holds(p, query(n)))
            && self.body.iter().all(|(path, p)| {
                match (crate::check::jsonpath::parse(path), &json) {
                    (Ok(jp), Some(json)) => crate::check::holds(p, &jp.query(json).all(), &no_vars),
                    _ => false,
                }
            })
    }
}

pub struct MockPortal {
    server: Server,
    pub state: Arc<PortalState>,
}

impl MockPortal {
    /// Serves the mappings on the listener. Must be called within a tokio runtime.
    pub fn start(listener: TcpListener, setup: PortalSetup) -> std::io::Result<Self> {
        let set = setup.set;
        let mut stubs: Vec<Stub> = set.mappings.iter().map(|(_, m)| Stub::new(m)).collect();
        // WireMock: 1 is the highest priority, 5 the default; ties keep file order.
        stubs.sort_by_key(|s| s.mapping.priority.unwrap_or(5));
        let limits = setup.limits;
        let state = Arc::new(PortalState {
            journal: Journal::new(limits.journal_entries, limits.journal_bytes),
            tokens: Tokens::default(),
            set,
            consumers: setup.consumers,
            stubs,
            overrides: Mutex::new(Vec::new()),
            admin_token: setup.admin_token,
            on_request: setup.on_request,
        });
        let server = Server::start(listener, state.clone(), limits.server, setup.log)?;
        Ok(Self { server, state })
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }

    pub fn address(&self) -> SocketAddr {
        self.server.address()
    }
}

impl Answer for PortalState {
    fn answer(&self, req: &Request) -> Reply {
        if req.url.path().starts_with("/__admin") {
            return self.admin(req);
        }
        if let Some(response) = self.take_override(req) {
            let (reply, _) = respond::build(&response, false, req.url.path(), &self.set.files);
            self.record(req, Some("cpc portal step".into()), response.status);
            return reply;
        }
        if let Some(stub) = self.stubs.iter().find(|s| s.matches_with(req, self)) {
            return self.answer_with(stub, req);
        }
        // As WireMock: a request no stub matched is recorded and answered 404.
        self.record(req, None, 404);
        Reply::new(404)
    }
}

/// The most of the journal one admin answer carries (entries' size, before JSON).
pub const JOURNAL_PAGE_BYTES: usize = 2 * 1024 * 1024;

/// Per-case overrides in force at once, at most: a run holds a few per running case.
pub const MAX_OVERRIDES: usize = 1024;
/// Their size in all, as JSON: a client adding big rules must not grow `cpc mock` either.
pub const MAX_OVERRIDE_BYTES: usize = 16 * 1024 * 1024;

impl PortalState {
    /// Adds a rule, unless MAX_OVERRIDES are in force: a portal client adding rules without
    /// end must not grow `cpc mock` without end.
    pub fn add_override(&self, mut rule: Override) -> Result<String, String> {
        if rule.id.is_empty() {
            rule.id = uuid::Uuid::new_v4().to_string();
        }
        let id = rule.id.clone();
        if rule.bytes == 0 {
            rule.bytes = serde_json::to_vec(&rule).map_or(usize::MAX, |v| v.len());
        }
        let mut all = self.overrides.lock().unwrap_or_else(|e| e.into_inner());
        if all.len() >= MAX_OVERRIDES {
            return Err(format!(
                "the portal holds {MAX_OVERRIDES} overrides already, the most it keeps: remove some first"
            ));
        }
        let held: usize = all.iter().map(|o| o.bytes).sum();
        if held.saturating_add(rule.bytes) > MAX_OVERRIDE_BYTES {
            return Err(format!(
                "the portal's overrides would take more than {} MiB: remove some first, or make this one smaller",
                MAX_OVERRIDE_BYTES >> 20
            ));
        }
        all.push(rule);
        Ok(id)
    }

    pub fn remove_override(&self, id: &str) {
        if let Ok(mut all) = self.overrides.lock() {
            all.retain(|o| o.id != id);
        }
    }

    /// The answer of the first override that matches, counting it down.
    fn take_override(&self, req: &Request) -> Option<ResponseDefinition> {
        let mut all = self.overrides.lock().ok()?;
        let rule = all.iter_mut().find(|o| o.matches(req))?;
        if let Some(n) = rule.times.as_mut() {
            *n -= 1;
        }
        Some(rule.response.clone())
    }

    fn answer_with(&self, stub: &Stub, req: &Request) -> Reply {
        let m = &stub.mapping;
        let (reply, json) =
            respond::build(&m.response, m.templated(), req.url.path(), &self.set.files);
        if let (Some(path), Some(json)) = (m.cpc().and_then(|c| c.issues_token.as_ref()), &json)
            && let Ok(p) = crate::check::jsonpath::parse(path)
            && let Ok(Some(token)) = p
                .query(json)
                .at_most_one()
                .map(|v| v.and_then(|v| v.as_str()))
        {
            self.tokens.issue(token);
        }
        self.record(req, Some(m.label()), m.response.status);
        // A 401 for a token the portal dropped early (past its cap of live tokens) says so.
        if m.response.status == 401
            && self
                .presented_tokens(req)
                .any(|t| self.tokens.was_evicted(t))
        {
            return reply.insert_header(
                "X-Cpc-Token",
                &format!(
                    "dropped early: the portal keeps at most {} live tokens; ask for a new one",
                    super::tokens::MAX_LIVE
                ),
            );
        }
        reply
    }

    /// The tokens a request presents: a `Token` header (DGA's gateway) or a bearer one.
    fn presented_tokens<'r>(&self, req: &'r Request) -> impl Iterator<Item = &'r str> {
        let header = |name: &str| req.headers.get(name).and_then(|v| v.to_str().ok());
        let bearer = header("authorization")
            .and_then(|v| v.trim().split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim());
        [header("token"), bearer].into_iter().flatten()
    }

    fn record(&self, req: &Request, stub: Option<String>, status: u16) {
        let token_issued = self.presented_tokens(req).any(|t| self.tokens.is_issued(t));
        let received_ms = clock::unix_ms();
        let mut entry = Entry {
            seq: 0,
            at: clock::rfc3339_ms(received_ms),
            received_ms,
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
            body: Vec::new(),
            body_bytes: 0,
            body_truncated: false,
            stub,
            status,
            token_issued,
        };
        entry.keep_body(&req.body);
        if let Some(log) = &self.on_request {
            log(&entry);
        }
        self.journal.record(entry);
    }
}

/// A mapping as a wiremock matcher.
struct Stub {
    mapping: Arc<Mapping>,
    path_pattern: Option<Regex>,
    url_pattern: Option<Regex>,
    /// Compiled `matches` patterns of headers and query parameters, by the pattern text.
    patterns: Vec<(String, Regex)>,
}

impl Stub {
    fn new(mapping: &Mapping) -> Self {
        let compile = |p: &Option<String>| p.as_ref().and_then(|p| Regex::new(&anchored(p)).ok());
        let r = &mapping.request;
        let patterns = r
            .headers
            .values()
            .chain(r.query_parameters.values())
            .filter_map(|p| match p {
                ValuePattern::Matches(re) => {
                    Regex::new(&anchored(re)).ok().map(|c| (re.clone(), c))
                }
                _ => None,
            })
            .collect();
        Self {
            path_pattern: compile(&r.url_path_pattern),
            url_pattern: compile(&r.url_pattern),
            patterns,
            mapping: Arc::new(mapping.clone()),
        }
    }

    fn value_matches(&self, pattern: &ValuePattern, value: Option<&str>) -> bool {
        match (pattern, value) {
            (ValuePattern::Absent(absent), v) => *absent == v.is_none(),
            (_, None) => false,
            (ValuePattern::EqualTo(want), Some(v)) => v == want,
            (ValuePattern::Contains(part), Some(v)) => v.contains(part.as_str()),
            (ValuePattern::Matches(re), Some(v)) => self
                .patterns
                .iter()
                .find(|(text, _)| text == re)
                .is_some_and(|(_, re)| re.is_match(v)),
        }
    }

    /// The request part of the mapping, then cpc's token and consumer rules.
    fn matches_with(&self, req: &Request, portal: &PortalState) -> bool {
        let cpc = self.mapping.cpc();
        self.matches(req)
            && cpc.and_then(|c| c.token.as_ref()).is_none_or(|rule| {
                let token = req.headers.get(rule.header.as_str());
                let issued = token
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| rule.token(v))
                    .is_some_and(|t| portal.tokens.is_issued(t));
                issued == (rule.is == TokenState::Issued)
            })
            && cpc.is_none_or(|c| {
                c.consumer.is_empty() || presented(&c.consumer, &portal.consumers, req)
            })
    }
}

fn path_and_query(req: &Request) -> String {
    match req.url.query() {
        Some(q) => format!("{}?{q}", req.url.path()),
        None => req.url.path().to_string(),
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
        let query_ok = r.query_parameters.iter().all(|(name, pattern)| {
            let value = req
                .url
                .query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned());
            self.value_matches(pattern, value.as_deref())
        });
        let header = |name: &str| req.headers.get(name).and_then(|v| v.to_str().ok());
        let headers_ok = r
            .headers
            .iter()
            .all(|(name, pattern)| self.value_matches(pattern, header(name)));
        query_ok && headers_ok && r.body_patterns.iter().all(|p| body_matches(p, &req.body))
    }
}

fn body_matches(pattern: &BodyPattern, body: &[u8]) -> bool {
    match pattern {
        BodyPattern::Contains(part) => String::from_utf8_lossy(body).contains(part.as_str()),
        BodyPattern::EqualToJson(want) => serde_json::from_slice::<serde_json::Value>(body)
            .is_ok_and(|got| crate::check::json_equal(&got, want)),
        BodyPattern::MatchesJsonPath(path) => {
            match (
                crate::check::jsonpath::parse(path),
                serde_json::from_slice(body),
            ) {
                (Ok(p), Ok(json)) => !p.query(&json).is_empty(),
                _ => false,
            }
        }
    }
}

impl PortalState {
    /// WireMock's admin API, the parts cpc needs. Behind a bearer token when one is set,
    /// because the journal holds tokens and personal data.
    fn admin(&self, req: &Request) -> Reply {
        use serde_json::json;
        if let Some(token) = &self.admin_token {
            let given = req
                .headers
                .get("authorization")
                .and_then(|v| v.to_str().ok());
            if given != Some(format!("Bearer {token}").as_str()) {
                return Reply::new(401).set_body_json(json!({"error": "admin token required"}));
            }
        }
        let query = |name: &str| {
            req.url
                .query_pairs()
                .find(|(k, _)| k == name)
                .and_then(|(_, v)| v.parse::<u64>().ok())
        };
        match (req.method.as_str(), req.url.path()) {
            ("GET", "/__admin/requests") => {
                // A page at a time (`cpc.more`, then `since=cpc.nextSince`): an answer is never
                // the whole journal, however many readers ask at once.
                // `limit` alone (WireMock's) asks for the newest N: their page starts there.
                let since = match (query("since"), query("limit")) {
                    (Some(since), _) => since,
                    (None, Some(n)) => self.journal.next_seq().saturating_sub(n),
                    (None, None) => 0,
                };
                let (entries, more) = self.journal.page(since, JOURNAL_PAGE_BYTES);
                let next_since = entries.last().map(|e| e.seq + 1);
                // WireMock lists the newest first; `limit` keeps the newest N of the page.
                let limit = query("limit").map_or(usize::MAX, |n| n as usize);
                let requests: Vec<_> = entries
                    .iter()
                    .rev()
                    .take(limit)
                    .map(Entry::wiremock_json)
                    .collect();
                Reply::new(200).set_body_json(json!({
                    "requests": requests,
                    "meta": {"total": requests.len()},
                    "requestJournalDisabled": false,
                    "cpc": {"dropped": self.journal.dropped(), "nextSeq": self.journal.next_seq(),
                            "bytes": self.journal.bytes(), "tokens": self.tokens.live(),
                            "more": more, "nextSince": next_since},
                }))
            }
            ("DELETE", "/__admin/requests") => {
                self.journal.clear();
                Reply::new(200)
            }
            ("POST", "/__admin/cpc/overrides") => {
                match serde_json::from_slice::<Override>(&req.body) {
                    Ok(mut rule) if (100..=599).contains(&rule.response.status) => {
                        rule.bytes = req.body.len().max(1);
                        match self.add_override(rule) {
                            Ok(id) => Reply::new(201).set_body_json(json!({"id": id})),
                            Err(e) => Reply::new(429).set_body_json(json!({"error": e})),
                        }
                    }
                    Ok(_) => Reply::new(400)
                        .set_body_json(json!({"error": "response.status is not an HTTP status"})),
                    Err(e) => Reply::new(400).set_body_json(json!({"error": e.to_string()})),
                }
            }
            ("DELETE", path) if path.starts_with("/__admin/cpc/overrides/") => {
                self.remove_override(path.trim_start_matches("/__admin/cpc/overrides/"));
                Reply::new(200)
            }
            ("GET", "/__admin/mappings") => {
                let mappings: Vec<&Mapping> = self.set.mappings.iter().map(|(_, m)| m).collect();
                Reply::new(200)
                    .set_body_json(json!({"mappings": mappings, "meta": {"total": mappings.len()}}))
            }
            _ => Reply::new(404).set_body_json(json!({"error": "no such admin endpoint"})),
        }
    }
}
