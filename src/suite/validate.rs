//! Static checks of a loaded suite, without touching the network. Every problem is listed, each
//! once, at its own place. Every number a suite can set has a bound, so `validate` refuses what
//! `run` could not do (wait for ever, allocate a gigabyte, start a million users).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;
use serde_saphyr::{Location, Spanned};

use super::model::*;
use crate::check::{Schemas, compile_schema, schema_key};
use crate::diagnostic::{Diagnostic, Place};
use crate::redact::{MIN_SECRET_LEN, is_sensitive_header};
use crate::template::{Expr, Template, finished_at_key, json_templates};
use crate::vars::value_text;

/// The regex crate's message is several lines with its own caret; the last line says what is
/// wrong, and the diagnostic shows where.
fn regex_problem(e: &regex::Error) -> String {
    let text = e.to_string();
    let last = text.lines().last().unwrap_or_default();
    format!(
        "invalid regular expression: {}",
        last.trim_start_matches("error: ")
    )
}

/// In the set of known names while an `expect` block is checked: `answer.…` may be used.
const ANSWER: &str = "answer.";

/// The longest wait a step may ask for (`within_ms`, `quiet_ms`, a load's `duration_ms`).
pub const MAX_WINDOW_MS: u64 = 60 * 60 * 1000;
/// The longest timeout of a request, and the longest delay of a portal answer.
pub const MAX_TIMEOUT_MS: u64 = 10 * 60 * 1000;
pub const MAX_USERS: usize = 10_000;
pub const MAX_REQUESTS: u64 = 10_000_000;
/// The most pages a `follow` fetches.
pub const MAX_PAGES: u32 = 10_000;

/// The largest body `pad_to_bytes` may build (TP-4.6 needs just over 10 MiB).
pub const MAX_PAD_BYTES: u64 = 64 * 1024 * 1024;
/// The most a load's users may hold of request bodies at once.
pub const MAX_LOAD_BYTES: u64 = 1024 * 1024 * 1024;
/// The most requests an `await` may count, and a `portal` answer may be given.
pub const MAX_COUNT: usize = 100_000;
/// The shortest interval between a poll's attempts.
pub const MIN_INTERVAL_MS: u64 = 10;

/// What validation learns besides the problems: what a run needs to mask and to check.
#[derive(Default)]
pub struct Checked {
    pub schemas: Schemas,
    /// `env.NAME` used anywhere (their values are secrets unless `public_env` lists them).
    pub env: BTreeSet<String>,
    /// Credentials written in the suite as they are (a literal `Token:` header): secrets.
    pub credentials: Vec<String>,
}

/// Checks the suite and compiles its schemas. `complete` is false when some case files did not
/// load: then a requirement that looks uncovered may be covered by one of them, so coverage is
/// not judged.
pub fn validate(suite: &Suite, complete: bool) -> Result<Checked, Vec<Diagnostic>> {
    let mut v = Validator {
        suite,
        problems: Vec::new(),
        checked: Checked::default(),
        broken_schemas: BTreeSet::new(),
    };
    v.requirements(complete);
    v.suite_meta();
    v.invariants();
    v.cases();
    v.problems.extend(super::drift::drift(suite));
    // A fragment's step is checked in every case that uses it: each problem is said once.
    let mut seen = BTreeSet::new();
    v.problems
        .retain(|d| seen.insert((d.place.as_ref().map(ToString::to_string), d.message.clone())));
    if v.problems.is_empty() {
        Ok(v.checked)
    } else {
        Err(v.problems)
    }
}

struct Validator<'a> {
    suite: &'a Suite,
    problems: Vec<Diagnostic>,
    checked: Checked,
    /// Schemas already reported, so each is reported once, where it is first used.
    broken_schemas: BTreeSet<String>,
}

impl Validator<'_> {
    fn report(&mut self, file: &Path, at: &Location, message: impl Into<String>) {
        self.problems
            .push(Diagnostic::at(Place::of(file, at), message));
    }

    fn requirements(&mut self, complete: bool) {
        let file = self.suite.dir.join("requirements.yaml");
        let mut seen = BTreeSet::new();
        let mut covered: BTreeMap<&str, &str> = self
            .suite
            .cases()
            .flat_map(|(_, c)| {
                c.value
                    .requirements
                    .iter()
                    .map(move |r| (r.value.as_str(), c.value.id.value.as_str()))
            })
            .collect();
        for (_, inv) in &self.suite.invariants {
            for r in &inv.value.requirements {
                covered
                    .entry(r.value.as_str())
                    .or_insert(inv.value.id.value.as_str());
            }
        }
        for req in &self.suite.requirements {
            let id = &req.id;
            let partial = req
                .coverage
                .as_ref()
                .filter(|c| c.value == Coverage::Partial);
            match (partial, &req.coverage_reason_th) {
                (Some(at), None) => self.report(
                    &file,
                    &at.referenced,
                    format!(
                        "requirement `{}` is partly covered: say which part is not tested in `coverage_reason_th`",
                        id.value
                    ),
                ),
                (None, Some(_)) => self.report(
                    &file,
                    &id.referenced,
                    format!(
                        "requirement `{}` has a `coverage_reason_th` but not `coverage: partial`",
                        id.value
                    ),
                ),
                _ => {}
            }
            if let (Some(at), Some(_)) = (partial, &req.not_tested_reason) {
                self.report(
                    &file,
                    &at.referenced,
                    format!(
                        "requirement `{}` is either not tested or partly tested, not both",
                        id.value
                    ),
                );
            }
            if !seen.insert(id.value.as_str()) {
                self.report(
                    &file,
                    &id.referenced,
                    format!("requirement `{}` is listed twice", id.value),
                );
            }
            let unmade = self.suite.unmade.contains(&id.value);
            match (covered.get(id.value.as_str()), &req.not_tested_reason) {
                (None, None) if complete && !unmade => self.report(
                    &file,
                    &id.referenced,
                    format!(
                        "no case or invariant covers requirement `{}` and it has no `not_tested_reason`",
                        id.value
                    ),
                ),
                (Some(case), Some(_)) => self.report(
                    &file,
                    &id.referenced,
                    format!(
                        "requirement `{}` has a `not_tested_reason` but case `{case}` covers it",
                        id.value
                    ),
                ),
                _ => {}
            }
        }
    }

    fn suite_vars(&self) -> BTreeSet<String> {
        self.suite
            .meta
            .variables
            .iter()
            .map(|(k, _)| k.value.clone())
            .chain(BUILTIN_VARS.iter().map(|s| s.to_string()))
            .collect()
    }

    /// `suite.yaml`: its case_vars (once, there), default headers, timeouts and variables.
    fn suite_meta(&mut self) {
        let file = self.suite.dir.join("suite.yaml");
        let meta = &self.suite.meta;
        let mut known = self.suite_vars();
        for (name, value) in meta.case_vars.iter() {
            self.json_template(&file, &value.referenced, &value.value, &known);
            known.insert(name.value.clone());
        }
        for (name, value) in meta.defaults.headers.iter() {
            self.header_name(&file, &name.referenced, &name.value);
            // Which variables it may use is judged at each request that sends it.
            if let Err(e) = Template::parse(&value.value) {
                self.report(&file, &value.referenced, e.to_string());
            }
            self.credential(&file, &value.referenced, &name.value, &value.value);
        }
        if let Some(ms) = &meta.defaults.timeout_ms {
            self.bounded_ms(
                &file,
                &ms.referenced,
                "defaults.timeout_ms",
                ms.value,
                MAX_TIMEOUT_MS,
            );
        }
        for consumer in &meta.portal.consumers {
            let c = &consumer.value;
            let at = &consumer.referenced;
            for text in [
                &c.agent_id,
                &Some(c.consumer_key.clone()),
                &c.consumer_secret,
            ]
            .into_iter()
            .flatten()
            {
                self.template(&file, at, text, &self.suite_vars());
            }
            self.credential(&file, at, "consumer-key", &c.consumer_key);
            if let Some(secret) = &c.consumer_secret {
                self.credential(&file, at, "consumersecret", secret);
            }
        }
        for (name, variable) in meta.variables.iter() {
            if variable.secret
                && let Some(value) = variable.default.as_ref().map(value_text)
                && value.chars().count() < MIN_SECRET_LEN
            {
                self.report(
                    &file,
                    &name.referenced,
                    format!(
                        "the default of secret `{}` is {} characters long: a secret needs at least {MIN_SECRET_LEN} to be masked without destroying the text around it",
                        name.value,
                        value.chars().count()
                    ),
                );
            }
        }
    }

    /// Each invariant: its requirements, its filter and its checks (with suite variables only:
    /// it judges exchanges of every case).
    fn invariants(&mut self) {
        let mut ids: BTreeMap<String, Place> = BTreeMap::new();
        let mut known = self.suite_vars();
        known.insert(ANSWER.to_string());
        let suite = self.suite;
        for (path, inv) in &suite.invariants {
            let i = &inv.value;
            let here = Place::of(path, &i.id.referenced);
            if let Some(first) = ids.get(&i.id.value) {
                let message = format!("invariant id `{}` is already used at {first}", i.id.value);
                self.problems.push(Diagnostic::at(here, message));
            } else {
                ids.insert(i.id.value.clone(), here);
            }
            if i.requirements.is_empty() {
                self.report(
                    path,
                    &i.id.referenced,
                    format!("invariant `{}` traces to no requirement", i.id.value),
                );
            }
            for r in &i.requirements {
                if suite.requirement(&r.value).is_none() {
                    self.report(
                        path,
                        &r.referenced,
                        format!("unknown requirement `{}`", r.value),
                    );
                }
            }
            let w = &i.when;
            if let Some(status) = &w.status
                && let Some(problem) = status.value.problem()
            {
                self.report(path, &status.referenced, problem);
            }
            if let Some(method) = &w.method {
                self.method(path, method);
            }
            if let Some(re) = &w.path_matches {
                self.path_pattern(path, re);
            }
            if let Some(content_type) = &w.content_type {
                self.predicate(path, &i.id.referenced, content_type, &known);
            }
            if let Some(not) = &w.not {
                if not.status.is_none()
                    && not.method.is_none()
                    && not.path_matches.is_none()
                    && not.content_type.is_none()
                {
                    self.report(
                        path,
                        &i.id.referenced,
                        "`not: {}` would leave out every exchange: give `status`, `method`, `path_matches` or `content_type`",
                    );
                }
                if let Some(status) = &not.status
                    && let Some(problem) = status.value.problem()
                {
                    self.report(path, &status.referenced, problem);
                }
                if let Some(method) = &not.method {
                    self.method(path, method);
                }
                if let Some(re) = &not.path_matches {
                    self.path_pattern(path, re);
                }
                if let Some(content_type) = &not.content_type {
                    self.predicate(path, &i.id.referenced, content_type, &known);
                }
            }
            if let Some(conforms) = &i.conforms {
                self.conforms(path, conforms, w.side);
            } else if i.expect.is_none() {
                self.report(
                    path,
                    &i.id.referenced,
                    format!(
                        "invariant `{}` checks nothing: give `expect` or `conforms: openapi`",
                        i.id.value
                    ),
                );
            }
            let Some(e) = &i.expect else { continue };
            if e.latency_ms.is_some()
                || e.error_rate.is_some()
                || e.throughput_rps.is_some()
                || e.statuses.is_some()
            {
                self.report(
                    path,
                    &i.id.referenced,
                    "an invariant judges each exchange: `latency_ms`, `error_rate`, `throughput_rps` and `statuses` belong to load steps",
                );
            }
            self.expect(path, e, &known);
        }
    }

    /// `conforms: openapi`: the suite has a document, and the invariant judges the target's
    /// answers (the portal's are not the agency's API).
    fn conforms(&mut self, path: &Path, conforms: &Spanned<String>, side: crate::suite::Side) {
        if conforms.value != "openapi" {
            let message = format!("`conforms: {}`: the one kind is `openapi`", conforms.value);
            self.report(path, &conforms.referenced, message);
        } else if self.suite.meta.openapi.is_none() {
            self.report(
                path,
                &conforms.referenced,
                "`conforms: openapi` needs the suite's OpenAPI document: add `openapi: FILE` to suite.yaml",
            );
        } else if side != crate::suite::Side::Agency {
            self.report(
                path,
                &conforms.referenced,
                "`conforms: openapi` judges the agency's answers: it takes `side: agency`",
            );
        }
    }

    /// A credential written as it is (no template): a secret, long enough to mask.
    fn credential(&mut self, path: &Path, at: &Location, name: &str, value: &str) {
        if !is_sensitive_header(name) || value.contains("{{") || value.is_empty() {
            return;
        }
        for credential in crate::redact::credential_values(value) {
            self.checked.credentials.push(credential);
        }
        if value.chars().count() < MIN_SECRET_LEN {
            self.report(
                path,
                at,
                format!(
                    "`{name}` is a credential and is {} characters long: cpc masks credentials of at least {MIN_SECRET_LEN} characters (give a longer test credential)",
                    value.chars().count()
                ),
            );
        }
    }

    fn header_name(&mut self, path: &Path, at: &Location, name: &str) {
        if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
            self.report(path, at, format!("`{name}` is not a valid header name"));
        }
    }

    /// A duration in ms: more than 0 and at most `max`.
    fn bounded_ms(&mut self, path: &Path, at: &Location, key: &str, ms: u64, max: u64) {
        if ms == 0 || ms > max {
            self.report(
                path,
                at,
                format!("`{key}` is {ms} ms: it must be between 1 and {max} ms"),
            );
        }
    }

    fn cases(&mut self) {
        let suite_vars = self.suite_vars();
        let case_vars: Vec<String> = self
            .suite
            .meta
            .case_vars
            .iter()
            .map(|(k, _)| k.value.clone())
            .collect();
        let mut ids: BTreeMap<String, Place> = BTreeMap::new();
        for (file, case) in self.suite.cases() {
            let path = &file.path;
            let c = &case.value;
            let here = Place::of(path, &c.id.referenced);
            if let Some(first) = ids.get(&c.id.value) {
                let message = format!("case id `{}` is already used at {first}", c.id.value);
                self.problems.push(Diagnostic::at(here, message));
            } else {
                ids.insert(c.id.value.clone(), here);
            }
            if c.requirements.is_empty() {
                self.report(
                    path,
                    &c.id.referenced,
                    format!("case `{}` traces to no requirement", c.id.value),
                );
            }
            if let Some(actor) = &c.actor {
                let known = super::model::ACTORS.contains(&actor.value.as_str())
                    || self.suite.meta.actors.contains_key(&actor.value);
                if !known {
                    self.report(
                        path,
                        &actor.referenced,
                        format!(
                            "unknown actor `{}`: citizen, staff, admin, or a role under `actors:` in suite.yaml",
                            actor.value
                        ),
                    );
                }
            }
            // A `FILL-IN:` marker is said where it is written, as one.
            for r in &c.requirements {
                if self.suite.requirement(&r.value).is_none()
                    && !r.value.starts_with(crate::scaffold::FILL_IN)
                {
                    self.report(
                        path,
                        &r.referenced,
                        format!("unknown requirement `{}`", r.value),
                    );
                }
            }
            if c.steps.is_empty() && !c.pending {
                self.report(
                    path,
                    &c.id.referenced,
                    format!(
                        "case `{}` has no steps (a case not written yet says `pending: true`)",
                        c.id.value
                    ),
                );
            }
            let mut known = suite_vars.clone();
            known.extend(case_vars.iter().cloned());
            for (name, value) in c.vars.iter() {
                self.json_template(path, &value.referenced, &value.value, &known);
                known.insert(name.value.clone());
            }
            for step in &c.steps {
                self.step(path, step, &mut known);
            }
        }
    }

    fn step(&mut self, path: &Path, step: &Spanned<Step>, known: &mut BTreeSet<String>) {
        let s = &step.value;
        // A fragment's step is in the fragment's file.
        let path = s.origin.as_deref().map_or(path, |p| p.as_path());
        let Some(kind) = s.kind() else {
            self.report(
                path,
                &step.referenced,
                "a step needs exactly one of `request`, `poll`, `await`, `portal`, `load`, `wait` or `use`",
            );
            return;
        };
        if !s.with.is_empty() && s.use_.is_none() {
            self.report(
                path,
                &step.referenced,
                "`with` gives a fragment's parameters: it goes with `use`",
            );
        }
        match kind {
            StepKind::Poll(poll) => {
                let p = &poll.value;
                self.since(path, p.since.as_ref(), known);
                self.bounded_ms(
                    path,
                    &poll.referenced,
                    "within_ms",
                    p.within_ms,
                    MAX_WINDOW_MS,
                );
                if p.interval_ms < MIN_INTERVAL_MS || p.interval_ms > p.within_ms {
                    self.report(
                        path,
                        &poll.referenced,
                        format!(
                            "a poll needs {MIN_INTERVAL_MS} <= interval_ms <= within_ms (interval_ms is {}, within_ms {})",
                            p.interval_ms, p.within_ms
                        ),
                    );
                }
            }
            StepKind::Await(a) => {
                self.since(path, a.value.since.as_ref(), known);
                self.await_step(path, a, known);
            }
            StepKind::Portal(p) => self.portal_step(path, p, known),
            StepKind::Load(l) => self.load_step(path, l, &s.expect, known),
            StepKind::Follow(f) => self.follow_step(path, f, known),
            StepKind::Request(_) => {}
            StepKind::Wait(w) => self.wait_step(path, w, known),
            StepKind::Use(name) => {
                self.use_step(path, name, s, known);
                known.extend(s.with.iter().map(|(k, _)| k.value.clone()));
            }
        }
        // A load's request is checked with its fresh variables, in `load_step`.
        if let (Some(request), None) = (s.request_spec(), &s.load) {
            self.request(path, request, known);
        }
        let aggregates = s.expect.latency_ms.is_some()
            || s.expect.error_rate.is_some()
            || s.expect.throughput_rps.is_some()
            || s.expect.statuses.is_some();
        if aggregates && s.load.is_none() {
            self.report(
                path,
                &step.referenced,
                "`latency_ms`, `error_rate`, `throughput_rps` and `statuses` belong to load steps",
            );
        }
        // In `expect`, expected values may read the answer being judged.
        let mut in_expect = known.clone();
        in_expect.insert(ANSWER.to_string());
        self.expect(path, &s.expect, &in_expect);
        for (name, capture) in s.capture.iter() {
            match capture.value.source() {
                Some(crate::check::Source::Json(p)) => {
                    if let Err(e) = crate::check::jsonpath::parse(p) {
                        self.report(
                            path,
                            &capture.referenced,
                            format!("invalid JSONPath `{p}`: {e}"),
                        );
                    }
                }
                Some(crate::check::Source::Header(_)) => {}
                Some(crate::check::Source::Xml(x)) => {
                    if let Err(e) = crate::check::xml::compile(x) {
                        self.report(path, &capture.referenced, e);
                    }
                }
                Some(crate::check::Source::Body | crate::check::Source::Link(_)) => {}
                None => self.report(
                    path,
                    &capture.referenced,
                    "a capture names exactly one of `json`, `header`, `xml`, `body` or `link`",
                ),
            }
            if let Capture::Full(f) = &capture.value {
                if let Some(re) = &f.regex
                    && let Err(e) = regex::Regex::new(&re.value)
                {
                    self.report(path, &re.referenced, regex_problem(&e));
                }
                if f.all && f.json.is_none() {
                    self.report(
                        path,
                        &capture.referenced,
                        "`all: true` keeps a JSONPath's nodes a list: it goes with `json`",
                    );
                }
            }
            known.insert(name.value.clone());
        }
        if let Some(name) = &s.name {
            known.insert(finished_at_key(name));
        }
    }

    /// A `follow`: its `next` capture, the request along it (which knows `next`), its bound,
    /// and the JSONPaths and predicate of its items.
    fn follow_step(&mut self, path: &Path, step: &Spanned<FollowSpec>, known: &BTreeSet<String>) {
        let f = &step.value;
        if f.next.value.source().is_none() {
            self.report(
                path,
                &f.next.referenced,
                "`next` names exactly one of `json`, `header`, `xml`, `body` or `link` (a capture)",
            );
        }
        if let Capture::Full(c) = &f.next.value
            && let Some(re) = &c.regex
            && let Err(e) = regex::Regex::new(&re.value)
        {
            self.report(path, &re.referenced, regex_problem(&e));
        }
        if f.max_pages == 0 || f.max_pages > MAX_PAGES {
            self.report(
                path,
                &step.referenced,
                format!(
                    "`max_pages` is between 1 and {MAX_PAGES} ({} given)",
                    f.max_pages
                ),
            );
        }
        if let Some(next) = &f.next_request {
            let mut with_next = known.clone();
            with_next.insert(crate::runner::NEXT.to_string());
            self.request(path, next, &with_next);
        }
        let union = f.union.as_ref();
        let paths = [
            f.items.as_ref(),
            union.and_then(|u| u.unique.as_ref()),
            union.and_then(|u| u.order.as_ref().map(|o| &o.by)),
        ];
        for p in paths.into_iter().flatten() {
            if let Err(e) = crate::check::jsonpath::parse(&p.value) {
                self.report(
                    path,
                    &p.referenced,
                    format!("invalid JSONPath `{}`: {e}", p.value),
                );
            }
        }
        if union.is_some() && f.items.is_none() {
            self.report(
                path,
                &step.referenced,
                "`union` judges the items of every page: say where they are with `items` ($.items[*])",
            );
        }
        if let Some(count) = union.and_then(|u| u.count.as_ref()) {
            self.predicate(path, &step.referenced, count, known);
        }
    }

    fn wait_step(&mut self, path: &Path, step: &Spanned<WaitSpec>, known: &BTreeSet<String>) {
        let w = &step.value;
        let (scalar, scale) = match (&w.ms, &w.seconds) {
            (Some(ms), None) => (ms, 1.0),
            (None, Some(s)) => (s, 1000.0),
            _ => {
                self.report(
                    path,
                    &step.referenced,
                    "a wait gives exactly one of `ms` or `seconds`",
                );
                return;
            }
        };
        match &scalar.value {
            Scalar::Number(n) if !(0.0..=MAX_WINDOW_MS as f64).contains(&(n * scale)) => self
                .report(
                    path,
                    &scalar.referenced,
                    format!("a wait is between 0 and {MAX_WINDOW_MS} ms"),
                ),
            Scalar::Number(_) => {}
            Scalar::Text(text) => self.template(path, &scalar.referenced, text, known),
        }
    }

    /// `use: name` names a fragment, and `with` gives exactly its parameters.
    fn use_step(
        &mut self,
        path: &Path,
        name: &Spanned<String>,
        step: &Step,
        known: &BTreeSet<String>,
    ) {
        let Some(params) = self.suite.fragments.get(&name.value) else {
            return; // reported where the suite was loaded
        };
        for (given, value) in step.with.iter() {
            if !params.contains(&given.value) {
                self.report(
                    path,
                    &given.referenced,
                    format!(
                        "fragment `{}` has no parameter `{}` (its parameters: {})",
                        name.value,
                        given.value,
                        params.join(", ")
                    ),
                );
            }
            self.json_template(path, &value.referenced, &value.value, known);
        }
        for param in params {
            if !step.with.iter().any(|(k, _)| &k.value == param) {
                self.report(
                    path,
                    &name.referenced,
                    format!("fragment `{}` needs `with: {{ {param}: … }}`", name.value),
                );
            }
        }
    }

    /// `since: name` names a step of the case that comes earlier.
    fn since(&mut self, path: &Path, since: Option<&Spanned<String>>, known: &BTreeSet<String>) {
        if let Some(name) = since
            && !known.contains(&finished_at_key(&name.value))
        {
            self.report(
                path,
                &name.referenced,
                format!(
                    "`since: {}` names no earlier step of this case (give that step `name: {}`)",
                    name.value, name.value
                ),
            );
        }
    }

    fn await_step(&mut self, path: &Path, step: &Spanned<AwaitSpec>, known: &BTreeSet<String>) {
        let a = &step.value;
        if let Some(order) = &a.order
            && let Err(e) = crate::check::jsonpath::parse(&order.by.value)
        {
            self.report(
                path,
                &order.by.referenced,
                format!("invalid JSONPath `{}`: {e}", order.by.value),
            );
        }
        if let Some(gaps) = &a.gaps_ms {
            let g = &gaps.value;
            if g.min.is_none() && g.max.is_none() && g.growth.is_none()
                || g.growth.is_some_and(|k| !(k.is_finite() && k > 0.0))
                || g.min.zip(g.max).is_some_and(|(lo, hi)| lo > hi)
            {
                self.report(
                    path,
                    &gaps.referenced,
                    "`gaps_ms` gives `min`, `max` (at least `min`) or a positive `growth`",
                );
            }
        }
        let f = &a.request.value;
        self.method(path, &f.method);
        match (&f.path, &f.path_matches) {
            (Some(p), None) => self.template(path, &p.referenced, &p.value, known),
            (None, Some(re)) => self.path_pattern(path, re),
            _ => self.report(
                path,
                &a.request.referenced,
                "an await request needs exactly one of `path` or `path_matches`",
            ),
        }
        for (name, predicate) in f.headers.iter() {
            self.predicate(path, &name.referenced, predicate, known);
            self.expected_credential(path, &name.referenced, &name.value, predicate);
        }
        for (jsonpath, predicate) in f.body.iter() {
            self.jsonpath(path, jsonpath);
            self.predicate(path, &jsonpath.referenced, predicate, known);
        }
        if let Some(status) = &f.answered
            && let Some(problem) = status.value.problem()
        {
            self.report(path, &status.referenced, problem);
        }
        self.bounded_ms(
            path,
            &step.referenced,
            "within_ms",
            a.within_ms,
            MAX_WINDOW_MS,
        );
        if let Some(quiet) = a.quiet_ms {
            self.bounded_ms(path, &step.referenced, "quiet_ms", quiet, MAX_WINDOW_MS);
        }
        if let Some(count) = &a.count {
            let c = &count.value;
            let given = [
                c.exactly.is_some(),
                c.at_least.is_some(),
                c.at_most.is_some(),
            ];
            if [c.exactly, c.at_least, c.at_most]
                .iter()
                .flatten()
                .any(|n| *n > MAX_COUNT)
            {
                self.report(
                    path,
                    &count.referenced,
                    format!("a count is at most {MAX_COUNT}"),
                );
            }
            let consistent = match (c.exactly, c.at_least, c.at_most) {
                (Some(_), None, None) => true,
                (None, low, high) => {
                    given.iter().any(|g| *g) && low.zip(high).is_none_or(|(l, h)| l <= h)
                }
                _ => false,
            };
            if !consistent {
                self.report(
                    path,
                    &count.referenced,
                    "a count is `exactly: N`, or `at_least`/`at_most` with at_least <= at_most",
                );
            }
        }
        if let Some(sequence) = &a.sequence
            && let Err(e) = crate::check::jsonpath::parse(&sequence.value.path)
        {
            self.report(
                path,
                &sequence.referenced,
                format!("invalid JSONPath `{}`: {e}", sequence.value.path),
            );
        }
    }

    fn portal_step(&mut self, path: &Path, step: &Spanned<PortalSpec>, known: &BTreeSet<String>) {
        let r = &step.value.respond;
        self.template(path, &r.value.path.referenced, &r.value.path.value, known);
        if !(100..=599).contains(&r.value.status) {
            self.report(
                path,
                &r.referenced,
                format!("{} is not an HTTP status code", r.value.status),
            );
        }
        if r.value.times == Some(0) || r.value.times.is_some_and(|t| t as usize > MAX_COUNT) {
            self.report(
                path,
                &r.referenced,
                format!("`times` is between 1 and {MAX_COUNT} (leave it out for every request)"),
            );
        }
        if let Some(delay) = r.value.delay_ms
            && delay > MAX_TIMEOUT_MS
        {
            self.report(
                path,
                &r.referenced,
                format!("`delay_ms` is {delay} ms: at most {MAX_TIMEOUT_MS} ms"),
            );
        }
        if r.value.json.is_some() && r.value.body.is_some() {
            self.report(path, &r.referenced, "give at most one of `json` or `body`");
        }
        if let Some(json) = &r.value.json {
            match json_templates(json) {
                Ok(templates) => templates
                    .iter()
                    .for_each(|t| self.undefined(path, &r.referenced, t, known)),
                Err(e) => self.report(path, &r.referenced, e.to_string()),
            }
        }
        if reqwest::Method::from_bytes(r.value.method.as_bytes()).is_err() {
            self.report(
                path,
                &r.referenced,
                format!("`{}` is not an HTTP method", r.value.method),
            );
        }
    }

    fn load_step(
        &mut self,
        path: &Path,
        step: &Spanned<LoadSpec>,
        expect: &Expect,
        known: &BTreeSet<String>,
    ) {
        let l = &step.value;
        let at = &step.referenced;
        if l.users == 0 || l.users > MAX_USERS {
            self.report(
                path,
                at,
                format!(
                    "a load has between 1 and {MAX_USERS} users ({} given)",
                    l.users
                ),
            );
        }
        // Each user builds its own padded body: together they must fit in memory.
        if let Some(pad) = l.request.value.pad_to_bytes
            && (l.users as u64).saturating_mul(pad) > MAX_LOAD_BYTES
        {
            self.report(
                path,
                at,
                format!(
                    "{} users each sending a body padded to {pad} bytes hold up to {} MiB at once: at most {} MiB (fewer users, or a smaller body)",
                    l.users,
                    (l.users as u64).saturating_mul(pad) >> 20,
                    MAX_LOAD_BYTES >> 20
                ),
            );
        }
        match (l.requests, l.duration_ms) {
            (Some(n), None) if n == 0 || n > MAX_REQUESTS => self.report(
                path,
                at,
                format!("`requests` is between 1 and {MAX_REQUESTS} ({n} given)"),
            ),
            (None, Some(ms)) => self.bounded_ms(path, at, "duration_ms", ms, MAX_WINDOW_MS),
            (Some(_), None) => {}
            _ => self.report(
                path,
                at,
                "a load needs exactly one of `requests` or `duration_ms`",
            ),
        }
        let mut with_fresh = known.clone();
        for (name, value) in l.fresh.iter() {
            self.template(path, &value.referenced, &value.value, &with_fresh);
            with_fresh.insert(name.value.clone());
        }
        self.request(path, &l.request, &with_fresh);
        // A load judges aggregates (and each response's status), not one response's content.
        if expect.schema.is_some()
            || !expect.body.is_empty()
            || !expect.headers.is_empty()
            || expect.json.is_some()
        {
            self.report(
                path,
                at,
                "a load step checks only `status`, `latency_ms`, `error_rate`, `throughput_rps` and `statuses`",
            );
        }
        if let Some(rate) = &l.rate {
            match rate_per_second(&rate.value) {
                Err(e) => self.report(path, &rate.referenced, e),
                // Paced, `requests` take this long: within the bound of any window.
                Ok(per_second) => {
                    if let Some(n) = l.requests
                        && n as f64 / per_second * 1000.0 > MAX_WINDOW_MS as f64
                    {
                        self.report(
                            path,
                            &rate.referenced,
                            format!(
                                "{n} requests at {per_second} a second take longer than {MAX_WINDOW_MS} ms"
                            ),
                        );
                    }
                }
            }
        }
        if let Some(rate) = &expect.error_rate {
            let bounds = [rate.min, rate.max];
            let in_range = bounds.iter().flatten().all(|r| (0.0..=1.0).contains(r));
            let ordered = rate.min.zip(rate.max).is_none_or(|(a, b)| a <= b);
            if bounds.iter().all(Option::is_none) || !in_range || !ordered {
                self.report(
                    path,
                    at,
                    "`error_rate` gives `min`, `max` or both, shares from 0 to 1 with `min` at most `max`",
                );
            }
        }
        for (key, count) in expect.statuses.iter().flat_map(|m| m.iter()) {
            if let Err(e) = counted_status(&key.value) {
                self.report(path, &key.referenced, e);
            }
            if count.exactly.is_none() && count.at_least.is_none() && count.at_most.is_none() {
                self.report(
                    path,
                    &key.referenced,
                    format!(
                        "`statuses: {}` gives `exactly`, `at_least` or `at_most`",
                        key.value
                    ),
                );
            }
        }
    }

    fn method(&mut self, path: &Path, method: &Spanned<String>) {
        if reqwest::Method::from_bytes(method.value.as_bytes()).is_err() {
            self.report(
                path,
                &method.referenced,
                format!("`{}` is not an HTTP method", method.value),
            );
        }
    }

    fn jsonpath(&mut self, path: &Path, jsonpath: &Spanned<String>) {
        if let Err(e) = crate::check::jsonpath::parse(&jsonpath.value) {
            self.report(
                path,
                &jsonpath.referenced,
                format!("invalid JSONPath `{}`: {e}", jsonpath.value),
            );
        }
    }

    fn request(&mut self, path: &Path, request: &Spanned<RequestSpec>, known: &BTreeSet<String>) {
        let r = &request.value;
        let at = &request.referenced;
        self.method(path, &r.method);
        match (&r.path, &r.url) {
            (Some(p), None) => {
                // A path from a value (`{{ location }}`) is checked when it is rendered.
                if !p.value.starts_with('/') && !p.value.starts_with("{{") {
                    self.report(
                        path,
                        &p.referenced,
                        "a `path` starts with `/` or with a value that is a path, `{{ location }}` (use `url` for a full address)",
                    );
                }
                self.template(path, &p.referenced, &p.value, known);
            }
            (None, Some(u)) => self.template(path, &u.referenced, &u.value, known),
            _ => self.report(path, at, "a request needs exactly one of `path` or `url`"),
        }
        let bodies = [
            r.json.is_some(),
            r.body.is_some(),
            r.body_file.is_some(),
            r.body_base64.is_some(),
            r.form.is_some(),
            r.multipart.is_some(),
        ];
        if bodies.iter().filter(|b| **b).count() > 1 {
            self.report(
                path,
                at,
                "a request has at most one of `json`, `body`, `body_file`, `body_base64`, `form` or `multipart`",
            );
        }
        if r.template && r.body_file.is_none() {
            self.report(
                path,
                at,
                "`template: true` renders `{{ … }}` in a `body_file`, which this request does not have",
            );
        }
        if let Some(b64) = &r.body_base64 {
            self.template(path, at, b64, known);
            let literal = !b64.contains("{{");
            let compact: String = b64.split_whitespace().collect();
            if literal
                && base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &compact)
                    .is_err()
            {
                self.report(
                    path,
                    at,
                    "`body_base64` is not base64 (RFC 4648, with padding)",
                );
            }
        }
        // A templated body file is a template like any other.
        if r.template
            && let Some(bytes) = &r.body_file_bytes
            && let Ok(text) = std::str::from_utf8(bytes)
        {
            let at = r.body_file.as_ref().map_or(at, |f| &f.referenced);
            self.template(path, at, text, known);
        }
        if let Some(form) = &r.form {
            for (name, value) in form.value.iter() {
                self.template(path, &form.referenced, name, known);
                self.template(path, &form.referenced, value, known);
            }
        }
        if let Some(parts) = &r.multipart {
            if parts.value.is_empty() {
                self.report(
                    path,
                    &parts.referenced,
                    "a `multipart` body has at least one part",
                );
            }
            for part in &parts.value {
                self.part(path, part, known);
            }
        }
        for (name, value) in r.headers.iter() {
            self.header_name(path, at, name);
            if let Some(value) = value {
                self.template(path, at, value, known);
                self.credential(path, at, name, value);
            }
        }
        for (name, value) in r.query.iter() {
            self.template(path, at, value, known);
            self.credential(path, at, name, value);
        }
        self.default_headers(path, request, known);
        if let Some(ms) = r.timeout_ms {
            self.bounded_ms(path, at, "timeout_ms", ms, MAX_TIMEOUT_MS);
        }
        if let Some(body) = &r.body {
            self.template(path, at, body, known);
        }
        if r.merge_patch.is_some() && r.json.is_none() {
            self.report(
                path,
                at,
                "`merge_patch` patches `json`, which this request does not have",
            );
        }
        if !r.json_patch.is_empty() && r.json.is_none() {
            self.report(
                path,
                at,
                "`json_patch` patches `json`, which this request does not have",
            );
        }
        for op in &r.json_patch {
            if !(op.path.is_empty() || op.path.starts_with('/')) {
                let message = format!(
                    "`json_patch`: `{}` is not a JSON pointer (it starts with `/`)",
                    op.path
                );
                self.report(path, at, message);
            }
            if let Some(value) = &op.value {
                self.json_template(path, at, value, known);
            }
            if op.op != PatchKind::Remove && op.value.is_none() {
                self.report(
                    path,
                    at,
                    format!(
                        "`json_patch`: `{:?}` at `{}` needs a `value`",
                        op.op, op.path
                    )
                    .to_lowercase(),
                );
            }
        }
        for json in [&r.json, &r.merge_patch].into_iter().flatten() {
            match json_templates(&json.value) {
                Ok(templates) => {
                    for t in templates {
                        self.undefined(path, &json.referenced, &t, known);
                    }
                }
                Err(e) => self.report(path, &json.referenced, e.to_string()),
            }
        }
        if let Some(n) = r.pad_to_bytes
            && n > MAX_PAD_BYTES
        {
            self.report(
                path,
                at,
                format!("`pad_to_bytes` is {n}: at most {MAX_PAD_BYTES} bytes (64 MiB)"),
            );
        }
    }

    /// A `path_matches` pattern: a valid regex that can match a path. It is matched against the
    /// whole path (anchored at both ends), which starts with `/` and holds no query.
    fn path_pattern(&mut self, path: &Path, re: &Spanned<String>) {
        // Checked as it is matched: anchored (a `(?x)` comment would swallow the anchor).
        if let Err(e) = regex::Regex::new(&format!("^(?:{})$", re.value)) {
            self.report(path, &re.referenced, regex_problem(&e));
            return;
        }
        // A pattern of one branch that starts with a letter can never match a path.
        let p = re.value.trim_start_matches('^');
        if !p.contains('|') && p.starts_with(|c: char| c.is_alphanumeric() || c == '-' || c == '_')
        {
            self.report(
                path,
                &re.referenced,
                format!(
                    "`path_matches: {}` can never match: a path starts with `/`, and `path_matches` is matched against the whole path (anchored at both ends, without the query)",
                    re.value
                ),
            );
        }
    }

    /// A part of a `multipart` body: a name, and exactly one body.
    fn part(&mut self, path: &Path, part: &Spanned<Part>, known: &BTreeSet<String>) {
        let (p, at) = (&part.value, &part.referenced);
        let bodies = [
            p.text.is_some(),
            p.json.is_some(),
            p.file.is_some(),
            p.base64.is_some(),
        ];
        if bodies.iter().filter(|b| **b).count() != 1 {
            self.report(
                path,
                at,
                format!(
                    "part `{}` needs exactly one of `text`, `json`, `file` or `base64`",
                    p.name
                ),
            );
        }
        for text in [
            Some(&p.name),
            p.filename.as_ref(),
            p.content_type.as_ref(),
            p.text.as_ref(),
            p.base64.as_ref(),
        ]
        .into_iter()
        .flatten()
        {
            self.template(path, at, text, known);
        }
        if let Some(json) = &p.json {
            match json_templates(&json.value) {
                Ok(templates) => {
                    for t in templates {
                        self.undefined(path, &json.referenced, &t, known);
                    }
                }
                Err(e) => self.report(path, &json.referenced, e.to_string()),
            }
        }
    }

    fn expect(&mut self, path: &Path, expect: &Expect, known: &BTreeSet<String>) {
        if let Some(sig) = &expect.signature {
            self.template(path, &sig.referenced, &sig.value.secret, known);
            if let Some(message) = &sig.value.message {
                self.template(path, &sig.referenced, message, known);
            }
        }
        if let Some(status) = &expect.status
            && let Some(problem) = status.value.problem()
        {
            self.report(path, &status.referenced, problem);
        }
        for (name, predicate) in expect.headers.iter() {
            self.predicate(path, &name.referenced, predicate, known);
            self.expected_credential(path, &name.referenced, &name.value, predicate);
        }
        for (jsonpath, predicate) in expect.body.iter() {
            self.jsonpath(path, jsonpath);
            self.predicate(path, &jsonpath.referenced, predicate, known);
        }
        if let Some(schema) = &expect.schema {
            self.schema(path, schema);
        }
        if let Some(text) = &expect.text {
            self.predicate(path, &text.referenced, &text.value, known);
        }
        if let Some(bytes) = &expect.bytes {
            let b = &bytes.value;
            for text in [&b.prefix, &b.prefix_hex, &b.sha256, &b.md5]
                .into_iter()
                .flatten()
            {
                self.template(path, &bytes.referenced, text, known);
            }
        }
        for (xpath, predicate) in expect.xml.iter() {
            if let Err(e) = crate::check::xml::compile(&xpath.value) {
                self.report(path, &xpath.referenced, e);
            }
            self.predicate(path, &xpath.referenced, predicate, known);
        }
    }

    fn predicate(&mut self, path: &Path, at: &Location, p: &Predicate, known: &BTreeSet<String>) {
        for text in [&p.starts_with, &p.ends_with, &p.after, &p.before]
            .into_iter()
            .flatten()
        {
            self.template(path, at, text, known);
        }
        if let Some(Unique::Field(jsonpath)) = &p.unique
            && let Err(e) = crate::check::jsonpath::parse(jsonpath)
        {
            self.report(path, at, format!("invalid JSONPath `{jsonpath}`: {e}"));
        }
        for inner in [&p.every, &p.not].into_iter().flatten() {
            self.predicate(path, at, inner, known);
        }
        if let Some(re) = &p.matches
            && let Err(e) = regex::Regex::new(&re.value)
        {
            self.report(path, &re.referenced, regex_problem(&e));
        }
        let expected = [&p.equals, &p.not_equals, &p.contains];
        for value in expected
            .into_iter()
            .flatten()
            .chain(p.one_of.iter().flatten())
        {
            self.json_template(path, at, value, known);
        }
    }

    /// The templates in the strings of a JSON value.
    fn json_template(
        &mut self,
        path: &Path,
        at: &Location,
        value: &Value,
        known: &BTreeSet<String>,
    ) {
        match json_templates(value) {
            Ok(templates) => templates
                .iter()
                .for_each(|t| self.undefined(path, at, t, known)),
            Err(e) => self.report(path, at, e.to_string()),
        }
    }

    fn schema(&mut self, path: &Path, schema: &Spanned<SchemaRef>) {
        let key = schema_key(&schema.value, path, &schema.referenced);
        if self.checked.schemas.get(&key).is_some() || !self.broken_schemas.insert(key.clone()) {
            return;
        }
        let value = match &schema.value {
            SchemaRef::Inline(value) => value.clone(),
            SchemaRef::File(name) => {
                let file = self.suite.dir.join(name);
                let inside = file
                    .canonicalize()
                    .ok()
                    .zip(self.suite.dir.canonicalize().ok())
                    .is_some_and(|(f, d)| f.starts_with(d));
                if !inside {
                    self.report(
                        path,
                        &schema.referenced,
                        format!("schema `{name}` is not a file inside the suite"),
                    );
                    return;
                }
                let parsed = crate::read::bounded(&file, crate::read::MAX_TEXT_FILE)
                    .and_then(|b| serde_json::from_slice::<Value>(&b).map_err(|e| e.to_string()));
                match parsed {
                    Ok(v) => v,
                    Err(e) => {
                        self.report(
                            path,
                            &schema.referenced,
                            format!("schema `{name}` cannot be read: {e}"),
                        );
                        return;
                    }
                }
            }
        };
        match compile_schema(&value) {
            Ok(validator) => self.checked.schemas.insert(key, validator),
            Err(e) => self.report(
                path,
                &schema.referenced,
                format!("schema `{key}` does not compile: {e}"),
            ),
        }
    }

    /// The suite's default headers a request sends (those it does not replace or remove with
    /// `null`) must have their variables defined at that point.
    fn default_headers(
        &mut self,
        path: &Path,
        request: &Spanned<RequestSpec>,
        known: &BTreeSet<String>,
    ) {
        let own = &request.value.headers;
        let suite = self.suite;
        for (name, value) in suite.meta.defaults.headers.iter() {
            let replaced = own.iter().any(|(n, _)| n.eq_ignore_ascii_case(&name.value));
            let Ok(template) = Template::parse(&value.value) else {
                continue; // reported once, in suite.yaml
            };
            for expr in template.exprs() {
                if let Expr::Var(var) = expr
                    && !replaced
                    && !known.contains(var)
                {
                    self.report(
                        path,
                        &request.referenced,
                        format!(
                            "the suite's default header `{}` uses `{var}`, which is not defined before this request (capture it in an earlier step, or remove the header here with `{}: null`)",
                            name.value, name.value
                        ),
                    );
                }
            }
        }
    }

    /// `Token: { equals: csg-token }`: the expected credential is a secret too.
    fn expected_credential(&mut self, path: &Path, at: &Location, name: &str, p: &Predicate) {
        for value in [&p.equals, &p.not_equals].into_iter().flatten() {
            if let Value::String(text) = value {
                self.credential(path, at, name, text);
            }
        }
    }

    fn template(&mut self, path: &Path, at: &Location, text: &str, known: &BTreeSet<String>) {
        match Template::parse(text) {
            Ok(t) => self.undefined(path, at, &t, known),
            Err(e) => self.report(path, at, e.to_string()),
        }
    }

    fn undefined(&mut self, path: &Path, at: &Location, t: &Template, known: &BTreeSet<String>) {
        // One that uses no variable is computed now, so a bad argument (`today(99999999)`,
        // `now('soon')`) is found here rather than mid-run.
        if t.exprs().all(|e| matches!(e, Expr::Call(_)))
            && let Err(e) = t.render_string(&crate::vars::Vars::default())
        {
            self.report(path, at, e.to_string());
        }
        for expr in t.exprs() {
            if let Expr::Env(name) = expr {
                self.checked.env.insert(name.clone());
            }
            if let Expr::Answer(_) = expr
                && !known.contains(ANSWER)
            {
                self.report(
                    path,
                    at,
                    "`answer.…` reads the answer being judged, so it belongs in `expect` (and in `await`/`portal` filters it is not available)",
                );
            }
            if let Expr::FinishedAt(step) = expr
                && !known.contains(&finished_at_key(step))
            {
                self.report(
                    path,
                    at,
                    format!("`finished_at('{step}')`: no step named `{step}` finishes before this point of the case"),
                );
            }
            if let Expr::Var(name) = expr
                && !known.contains(name)
            {
                self.report(
                    path,
                    at,
                    format!("undefined variable `{name}` (not a suite variable, case var or earlier capture)"),
                );
            }
        }
    }
}
