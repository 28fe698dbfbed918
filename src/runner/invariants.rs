//! Invariants at run time: every exchange of a case (the target's answers; the agency's calls
//! to the mock portal) is judged by each invariant whose filter it matches. A violation is a
//! failed check of the step that saw it, and every judgement is counted for the gate.

use std::collections::BTreeMap;
use std::path::PathBuf;

use regex::Regex;

use super::case::RunContext;
use crate::check::{self, CheckContext, CheckResult, Outcome, Response};
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

/// Judges the exchange with every invariant that applies; returns the checks that did not
/// pass (named `invariant ID: …`), and counts each judgement in `tally`.
pub fn judge(
    ctx: &RunContext,
    seen: &Seen,
    tally: &mut BTreeMap<String, InvariantTally>,
) -> Vec<CheckResult> {
    let mut broken = Vec::new();
    for inv in ctx.invariants.iter().filter(|i| i.applies(seen, ctx)) {
        let check_ctx = CheckContext {
            file: &inv.file,
            vars: &ctx.vars,
            schemas: &ctx.schemas,
            namespaces: &ctx.namespaces,
        };
        let id = &inv.spec.id.value;
        let failed: Vec<CheckResult> = check::evaluate(&inv.spec.expect, seen.response, &check_ctx)
            .into_iter()
            .filter(|c| c.outcome != Outcome::Pass)
            .map(|mut c| {
                c.check = format!("invariant {id}: {}", c.check);
                c
            })
            .collect();
        let count = tally.entry(id.clone()).or_default();
        count.checked += 1;
        if !failed.is_empty() {
            count.violated += 1;
            broken.extend(failed);
        }
    }
    broken
}
