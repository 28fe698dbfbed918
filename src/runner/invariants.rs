//! Invariants at run time: every exchange of a case (the target's answers; the agency's calls
//! to the mock portal) is judged by each invariant whose filter it matches. A violation is a
//! failed check of the step that saw it, and every judgement is counted for the gate.

use std::collections::BTreeMap;
use std::path::PathBuf;

use regex::Regex;

use super::case::RunContext;
use crate::check::{self, CheckContext, CheckResult, Outcome, Response};
use crate::openapi;
use crate::results::InvariantTally;
use crate::suite::{Invariant, Side, Suite};

/// An invariant ready to judge: its filter's patterns compiled, its file for places.
pub struct LiveInvariant {
    pub file: PathBuf,
    pub spec: Invariant,
    path: Option<Regex>,
    not_path: Option<Regex>,
}

/// `path_matches` as it is matched: the whole path, anchored at both ends.
fn whole_path(pattern: &Option<serde_saphyr::Spanned<String>>) -> Option<Regex> {
    pattern
        .as_ref()
        .and_then(|p| Regex::new(&format!("^(?:{})$", p.value)).ok())
}

pub fn prepare(suite: &Suite) -> Vec<LiveInvariant> {
    suite
        .invariants
        .iter()
        .map(|(file, i)| LiveInvariant {
            file: file.clone(),
            path: whole_path(&i.value.when.path_matches),
            not_path: i
                .value
                .when
                .not
                .as_ref()
                .and_then(|n| whole_path(&n.path_matches)),
            spec: i.value.clone(),
        })
        .collect()
}

/// The exchange an invariant may judge.
pub struct Seen<'a> {
    pub side: Side,
    pub method: &'a str,
    pub path: &'a str,
    pub response: &'a Response,
}

impl LiveInvariant {
    fn applies(&self, seen: &Seen, ctx: &RunContext) -> bool {
        let w = &self.spec.when;
        let selected = Filter {
            status: w.status.as_ref(),
            method: w.method.as_ref(),
            path: self.path.as_ref(),
            content_type: w.content_type.as_ref(),
        };
        w.side == seen.side
            && selected.matches(seen, ctx)
            && w.not.as_ref().is_none_or(|not| {
                !Filter {
                    status: not.status.as_ref(),
                    method: not.method.as_ref(),
                    path: self.not_path.as_ref(),
                    content_type: not.content_type.as_ref(),
                }
                .matches(seen, ctx)
            })
    }
}

/// What a `when` (or its `not`) gives, its path pattern compiled.
struct Filter<'a> {
    status: Option<&'a serde_saphyr::Spanned<crate::suite::StatusSpec>>,
    method: Option<&'a serde_saphyr::Spanned<String>>,
    path: Option<&'a Regex>,
    content_type: Option<&'a crate::suite::Predicate>,
}

impl Filter<'_> {
    /// Whether an exchange meets everything the filter gives.
    fn matches(&self, seen: &Seen, ctx: &RunContext) -> bool {
        self.status
            .is_none_or(|s| s.value.accepts(seen.response.status))
            && self
                .method
                .is_none_or(|m| m.value.eq_ignore_ascii_case(seen.method))
            && self.path.is_none_or(|re| re.is_match(seen.path))
            && self.content_type.is_none_or(|p| {
                let content_type = seen
                    .response
                    .header("content-type")
                    .map(serde_json::Value::String);
                check::holds(p, &content_type.iter().collect::<Vec<_>>(), &ctx.vars)
            })
    }
}

/// What a case's exchanges added up to.
#[derive(Debug, Default)]
pub struct Tally {
    /// Each invariant's judgements.
    pub invariants: BTreeMap<String, InvariantTally>,
    /// `POST /applications 201`: each documented operation and response the target's answers
    /// reached, when the suite has an OpenAPI document (`cpc coverage`).
    pub api_calls: BTreeMap<String, u64>,
}

/// Judges the exchange with every invariant that applies; returns the checks that did not
/// pass (named `invariant ID: …`), and counts each judgement in `tally`.
pub fn judge(ctx: &RunContext, seen: &Seen, tally: &mut Tally) -> Vec<CheckResult> {
    if seen.side == Side::Agency
        && let Some(doc) = &ctx.api
        && let Ok(op) = doc.operation(seen.method, seen.path)
    {
        // A status the operation does not document is counted by its code, so coverage shows
        // what the run reached beyond the document.
        let key = match op.response(seen.response.status) {
            Some(response) => format!("{} {}", op.key(), response.status),
            None => format!("{} {}", op.key(), seen.response.status),
        };
        *tally.api_calls.entry(key).or_default() += 1;
    }
    let mut broken = Vec::new();
    for inv in ctx.invariants.iter().filter(|i| i.applies(seen, ctx)) {
        let check_ctx = CheckContext {
            file: &inv.file,
            vars: &ctx.vars,
            schemas: &ctx.schemas,
            namespaces: &ctx.namespaces,
        };
        let id = &inv.spec.id.value;
        let expected = inv
            .spec
            .expect
            .as_ref()
            .map(|e| check::evaluate(e, seen.response, &check_ctx))
            .unwrap_or_default();
        let conformance = match (&inv.spec.conforms, &ctx.api) {
            (Some(_), Some(doc)) => {
                openapi::conformance::judge(doc, seen.method, seen.path, seen.response)
            }
            _ => Vec::new(),
        };
        let failed: Vec<CheckResult> = expected
            .into_iter()
            .chain(conformance)
            .filter(|c| c.outcome != Outcome::Pass)
            .map(|mut c| {
                c.check = format!("invariant {id}: {}", c.check);
                c
            })
            .collect();
        let count = tally.invariants.entry(id.clone()).or_default();
        count.checked += 1;
        if !failed.is_empty() {
            count.violated += 1;
            broken.extend(failed);
        }
    }
    broken
}
