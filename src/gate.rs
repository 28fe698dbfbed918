//! The step-10 gate (DESIGN §7): a requirement passes when every case tracing to it passed;
//! the verdict is pass iff every `must` requirement passed. Failed `should` requirements are
//! observations (ข้อสังเกต).

use serde::{Deserialize, Serialize};

use crate::check::Outcome;
use crate::results::RunResults;
use crate::suite::Level;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Fail,
}

/// A requirement's result over the cases that trace to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequirementResult {
    Pass,
    Fail,
    Error,
    NotRun,
    /// The suite says why it cannot be tested (`not_tested_reason`).
    NotTested,
}

impl RequirementResult {
    /// The target was shown wrong, or could not be judged.
    pub fn is_failure(self) -> bool {
        matches!(self, Self::Fail | Self::Error)
    }

    pub fn is_untested(self) -> bool {
        matches!(self, Self::NotRun | Self::NotTested)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RequirementVerdict {
    pub id: String,
    pub level: Level,
    pub result: RequirementResult,
    pub cases: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Gate {
    pub service: String,
    pub suite: String,
    pub verdict: Verdict,
    /// The onboarding step the service goes to: 11 on pass, back to 9 on fail.
    pub next_step: u8,
    pub partial: bool,
    pub interrupted: bool,
    pub target: String,
    /// Every `must` requirement not passed: failed, error, not run or not tested.
    pub failed_must: Vec<String>,
    /// `should` requirements that failed or could not be evaluated (ข้อสังเกต).
    pub observations: Vec<String>,
    /// Requirements of either level with no result: not run, or not tested by the suite.
    pub untested: Vec<String>,
    pub requirements: Vec<RequirementVerdict>,
    pub cases: CaseCounts,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub cpc_version: String,
    pub suite_digest: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseCounts {
    pub total: usize,
    pub passed: usize,
    pub failed: usize,
    pub error: usize,
    pub interrupted: usize,
}

/// Decides the gate from results alone.
pub fn decide(results: &RunResults) -> Gate {
    let requirements: Vec<RequirementVerdict> = results
        .requirements
        .iter()
        .map(|r| {
            let outcomes = r
                .cases
                .iter()
                .map(|id| results.case(id).map_or(Outcome::NotRun, |c| c.outcome));
            let result = if r.not_tested_reason.is_some() {
                RequirementResult::NotTested
            } else {
                requirement_result(outcomes)
            };
            RequirementVerdict {
                id: r.id.clone(),
                level: r.level,
                result,
                cases: r.cases.clone(),
            }
        })
        .collect();
    let ids = |keep: &dyn Fn(&RequirementVerdict) -> bool| -> Vec<String> {
        requirements
            .iter()
            .filter(|r| keep(r))
            .map(|r| r.id.clone())
            .collect()
    };
    let failed_must = ids(&|r| r.level == Level::Must && r.result != RequirementResult::Pass);
    let observations = ids(&|r| r.level == Level::Should && r.result.is_failure());
    let untested = ids(&|r| r.result.is_untested());
    // A partial or interrupted run has not shown every must requirement holds.
    let pass = failed_must.is_empty() && !results.selection.partial && !results.interrupted;
    let count = |o: Outcome| results.cases.iter().filter(|c| c.outcome == o).count();
    Gate {
        service: results.suite.service_code.clone(),
        suite: results.suite.id.clone(),
        verdict: if pass { Verdict::Pass } else { Verdict::Fail },
        next_step: if pass { 11 } else { 9 },
        partial: results.selection.partial,
        interrupted: results.interrupted,
        target: results.target.clone(),
        failed_must,
        observations,
        untested,
        requirements,
        cases: CaseCounts {
            total: results.cases.len(),
            passed: count(Outcome::Pass),
            failed: count(Outcome::Fail),
            error: count(Outcome::Error),
            interrupted: count(Outcome::Interrupted),
        },
        started_at: results.started_at.clone(),
        finished_at: results.finished_at.clone(),
        cpc_version: results.cpc_version.clone(),
        suite_digest: results.suite.digest.clone(),
    }
}

/// Fail outranks error (the target was shown wrong), error outranks not run; no cases is
/// not run.
fn requirement_result(outcomes: impl Iterator<Item = Outcome>) -> RequirementResult {
    let outcomes: Vec<Outcome> = outcomes.collect();
    let any = |o: Outcome| outcomes.contains(&o);
    if outcomes.is_empty() {
        RequirementResult::NotRun
    } else if any(Outcome::Fail) {
        RequirementResult::Fail
    } else if any(Outcome::Error) {
        RequirementResult::Error
    } else if outcomes.iter().all(|o| *o == Outcome::Pass) {
        RequirementResult::Pass
    } else {
        RequirementResult::NotRun
    }
}
