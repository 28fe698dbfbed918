//! Drift between a suite and its proposal (`proposal:` in suite.yaml): a clause missing from
//! either side, a level that differs, a clause text edited since its requirement was written
//! (the requirement keeps the digest of the text it was written from). Each problem names both
//! places. Pure: the loaded suite in, problems out.

use std::collections::{HashMap, HashSet};

use super::model::{Level, Requirement, Suite};
use crate::diagnostic::{Diagnostic, Place};

fn level_word(level: Level) -> &'static str {
    match level {
        Level::Must => "ต้อง (must)",
        Level::Should => "ควร (should)",
    }
}

pub fn drift(suite: &Suite) -> Vec<Diagnostic> {
    let Some(proposal) = &suite.proposal else {
        return Vec::new();
    };
    let mut problems = Vec::new();
    let requirements = suite.dir.join("requirements.yaml");
    let shown = |spot| crate::proposal::place(&proposal.path, spot);
    // First of each id (validate names duplicates), as maps: a suite of thousands of clauses.
    let by_id: HashMap<&str, &Requirement> = suite
        .requirements
        .iter()
        .rev()
        .map(|r| (r.id.value.as_str(), r))
        .collect();
    let clauses: HashSet<&str> = proposal
        .parsed
        .clauses
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    for clause in &proposal.parsed.clauses {
        let Some(req) = by_id.get(clause.id.as_str()) else {
            problems.push(crate::proposal::diagnostic(
                &proposal.path,
                clause.spot,
                format!(
                    "clause {} ({}) is not in {}: `cpc init --update {}` adds it",
                    clause.id,
                    clause.section,
                    requirements.display(),
                    suite.dir.display()
                ),
            ));
            continue;
        };
        let here = Place::of(&requirements, &req.id.referenced);
        if req.level != clause.level {
            problems.push(Diagnostic::at(
                here.clone(),
                format!(
                    "requirement {} is {} here but {} in the proposal ({})",
                    clause.id,
                    level_word(req.level),
                    level_word(clause.level),
                    shown(clause.spot)
                ),
            ));
        }
        match &req.proposal_digest {
            None => problems.push(Diagnostic::at(
                here,
                format!(
                    "requirement {} has no `proposal_digest`: nothing shows which wording of the proposal ({}) it was written from; `cpc init --update {}` records it",
                    clause.id,
                    shown(clause.spot),
                    suite.dir.display()
                ),
            )),
            Some(d) if *d != clause.digest() => problems.push(Diagnostic::at(
                here,
                format!(
                    "the text of clause {} changed in the proposal ({}) since this requirement was written: check the requirement and its cases, then `cpc init --update {}` records the new text",
                    clause.id,
                    shown(clause.spot),
                    suite.dir.display()
                ),
            )),
            Some(_) => {}
        }
    }
    for req in &suite.requirements {
        if !clauses.contains(req.id.value.as_str()) {
            problems.push(Diagnostic::at(
                Place::of(&requirements, &req.id.referenced),
                format!(
                    "requirement {} is not a clause of the proposal ({})",
                    req.id.value,
                    proposal.path.display()
                ),
            ));
        }
    }
    problems
}
