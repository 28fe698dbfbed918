//! The verdict is a function of the evidence: a run read back from its files (`cpc report`,
//! `merge`, `bundle`, `verify`) is believed only where its stored outcomes follow from its
//! checks and errors. A step's outcome follows from its checks and its error; a case's from its
//! steps (and its earlier attempts, for a flaky one); an invariant's violations from the failed
//! checks that name it; a requirement's cases from the cases that trace to it. The gate is then
//! decided from those (`gate::decide`), never read from a file. A field that disagrees is an
//! error naming the case, not a silent winner. Pure.

use std::collections::{BTreeMap, BTreeSet};

use thiserror::Error;

use crate::check::{CheckResult, Outcome};
use crate::i18n::Text;
use crate::results::{CaseResult, RunResults, StepResult};

#[derive(Debug, Error, PartialEq, Eq)]
pub enum EvidenceError {
    #[error(
        "case `{case}`, step {step}: its outcome is `{stored}` but its checks and error give `{implied}`: the results were edited"
    )]
    Step {
        case: String,
        step: usize,
        stored: String,
        implied: String,
    },
    #[error(
        "case `{case}`: its outcome is `{stored}` but its steps give `{implied}`: the results were edited"
    )]
    Case {
        case: String,
        stored: String,
        implied: String,
    },
    #[error("case `{case}`: {what}: the results were edited")]
    Inconsistent { case: String, what: String },
    #[error("case `{0}` is in the results twice")]
    Duplicate(String),
    #[error(
        "requirement `{requirement}` and case `{case}` disagree on whether the case traces to it: the results were edited"
    )]
    Trace { requirement: String, case: String },
    #[error("{0} is not as the suite says: the results were edited")]
    Plan(String),
}

fn name(outcome: Outcome) -> String {
    serde_json::to_value(outcome)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// A check's own outcome: one a check can have (pass, fail, error), and for a status check the
/// one its expected and actual codes give.
fn check_outcome(case: &str, step: usize, check: &CheckResult) -> Result<(), EvidenceError> {
    let bad = |what: String| EvidenceError::Inconsistent {
        case: case.to_string(),
        what: format!("step {step}, check `{}`: {what}", check.check),
    };
    if !matches!(
        check.outcome,
        Outcome::Pass | Outcome::Fail | Outcome::Error
    ) {
        return Err(bad(format!(
            "`{}` is not an outcome a check has",
            name(check.outcome)
        )));
    }
    let status = check.check == "status" || check.check.ends_with(": status");
    if let (true, Some(expected), Some(actual)) = (status, &check.expected, &check.actual)
        && let Ok(code) = actual.trim().parse::<u16>()
        && check.outcome != Outcome::Error
    {
        // As the check judged it: each `|` part a code or a class (`StatusSpec::describe`).
        let accepts = expected.split('|').any(|want| {
            crate::suite::counted_status(want).is_ok_and(|s| s.is_some_and(|s| s.accepts(code)))
        });
        if accepts != (check.outcome == Outcome::Pass) {
            return Err(bad(format!(
                "expected {expected}, got {actual}, yet `{}`",
                name(check.outcome)
            )));
        }
    }
    Ok(())
}

/// What a step's checks and error give: a step with none of either that did not run stays not
/// run; else the checks combined, an error counting as one.
fn step_outcome(step: &StepResult) -> Outcome {
    if step.outcome == Outcome::NotRun && step.checks.is_empty() && step.error.is_none() {
        return Outcome::NotRun;
    }
    let error = step.error.is_some().then_some(Outcome::Error);
    Outcome::combine(step.checks.iter().map(|c| c.outcome).chain(error))
}

/// What a run of a case (its last, or an earlier attempt) gives: an error of its own, else its
/// steps that ran combined; `None` when there is no evidence at all (a case that never started).
fn run_outcome(
    case: &str,
    steps: &[StepResult],
    error: Option<&Text>,
) -> Result<Option<Outcome>, EvidenceError> {
    for step in steps {
        for check in &step.checks {
            check_outcome(case, step.index, check)?;
        }
        let implied = step_outcome(step);
        if implied != step.outcome {
            return Err(EvidenceError::Step {
                case: case.to_string(),
                step: step.index,
                stored: name(step.outcome),
                implied: name(implied),
            });
        }
    }
    let ran: Vec<Outcome> = steps
        .iter()
        .map(|s| s.outcome)
        .filter(|o| *o != Outcome::NotRun)
        .collect();
    Ok(match (error, ran.is_empty()) {
        (Some(_), _) => Some(Outcome::combine(ran.into_iter().chain([Outcome::Error]))),
        (None, true) => None,
        (None, false) => Some(Outcome::combine(ran)),
    })
}

fn case_outcome(case: &CaseResult) -> Result<(), EvidenceError> {
    let inconsistent = |what: String| EvidenceError::Inconsistent {
        case: case.id.clone(),
        what,
    };
    for (i, attempt) in case.attempts.iter().enumerate() {
        let implied = run_outcome(&case.id, &attempt.steps, attempt.error.as_ref())?;
        // Only a run that failed or erred is run again.
        if implied != Some(attempt.outcome)
            || !matches!(attempt.outcome, Outcome::Fail | Outcome::Error)
        {
            return Err(inconsistent(format!(
                "its attempt {} is `{}` where its steps give `{}`",
                i + 1,
                name(attempt.outcome),
                implied.map_or_else(|| "nothing".into(), name)
            )));
        }
    }
    let implied = match run_outcome(&case.id, &case.steps, case.error.as_ref())? {
        Some(Outcome::Pass) if !case.attempts.is_empty() => Some(Outcome::Flaky),
        other => other,
    };
    let holds = match implied {
        Some(implied) => implied == case.outcome,
        // Never started: planned and interrupted, or not run.
        None => matches!(case.outcome, Outcome::Interrupted | Outcome::NotRun),
    };
    if !holds {
        return Err(EvidenceError::Case {
            case: case.id.clone(),
            stored: name(case.outcome),
            implied: implied.map_or_else(|| "nothing (no step ran)".into(), name),
        });
    }
    invariant_tallies(case)
}

/// An invariant violated in a case left a failed check naming it there, and one with a failed
/// check was violated.
fn invariant_tallies(case: &CaseResult) -> Result<(), EvidenceError> {
    let steps = case
        .steps
        .iter()
        .chain(case.attempts.iter().flat_map(|a| &a.steps));
    let mut failed: BTreeMap<&str, u64> = BTreeMap::new();
    for check in steps.flat_map(|s| &s.checks) {
        if let Some(id) = invariant_of(check)
            && check.outcome == Outcome::Fail
        {
            *failed.entry(id).or_default() += 1;
        }
    }
    for (id, tally) in &case.invariants {
        let seen = failed.remove(id.as_str()).unwrap_or(0);
        if (tally.violated > 0) != (seen > 0) || tally.violated > tally.checked {
            return Err(EvidenceError::Inconsistent {
                case: case.id.clone(),
                what: format!(
                    "invariant `{id}` is counted violated {} time(s) in {} where its failed checks say {seen}",
                    tally.violated, tally.checked
                ),
            });
        }
    }
    match failed.into_keys().next() {
        Some(id) => Err(EvidenceError::Inconsistent {
            case: case.id.clone(),
            what: format!("a check of invariant `{id}` failed, but the invariant is not counted"),
        }),
        None => Ok(()),
    }
}

/// `invariant ID: …` → `ID`.
fn invariant_of(check: &CheckResult) -> Option<&str> {
    check
        .check
        .strip_prefix("invariant ")
        .and_then(|rest| rest.split_once(": "))
        .map(|(id, _)| id)
}

/// Checks that every stored outcome follows from its evidence, no case is there twice, and
/// requirements and cases agree on what traces to what.
pub fn check(results: &RunResults) -> Result<(), EvidenceError> {
    let mut seen = BTreeSet::new();
    for case in &results.cases {
        if !seen.insert(case.id.as_str()) {
            return Err(EvidenceError::Duplicate(case.id.clone()));
        }
        case_outcome(case)?;
    }
    // Both directions: a case a requirement lists names it, and a case that names a
    // requirement is listed by it (so a failed case cannot be dropped from its requirement).
    let listed: BTreeSet<(&str, &str)> = results
        .requirements
        .iter()
        .flat_map(|r| r.cases.iter().map(move |c| (r.id.as_str(), c.as_str())))
        .collect();
    let known: BTreeSet<&str> = results.requirements.iter().map(|r| r.id.as_str()).collect();
    for case in &results.cases {
        for requirement in &case.requirements {
            if known.contains(requirement.as_str())
                && !listed.contains(&(requirement.as_str(), case.id.as_str()))
            {
                return Err(EvidenceError::Trace {
                    requirement: requirement.clone(),
                    case: case.id.clone(),
                });
            }
        }
    }
    let by_id: BTreeMap<&str, &CaseResult> =
        results.cases.iter().map(|c| (c.id.as_str(), c)).collect();
    for (requirement, case) in listed {
        if let Some(c) = by_id.get(case)
            && !c.requirements.iter().any(|r| r == requirement)
        {
            return Err(EvidenceError::Trace {
                requirement: requirement.to_string(),
                case: case.to_string(),
            });
        }
    }
    Ok(())
}

/// `plan` against the suite itself.
pub fn against(results: &RunResults, suite: &crate::suite::Suite) -> Result<(), EvidenceError> {
    let planned = RunResults::start(
        suite,
        &results.target,
        results.selection.clone(),
        results.started_at.clone(),
    );
    plan(results, &planned)?;
    // What a generated case varies is the suite's to say, not the results' (the report groups
    // by it).
    let made: std::collections::HashMap<&str, &Option<crate::results::Generated>> = suite
        .cases()
        .map(|(_, c)| (c.value.id.value.as_str(), &c.value.generated))
        .collect();
    match results
        .cases
        .iter()
        .find(|c| made.get(c.id.as_str()).is_some_and(|g| **g != c.generated))
    {
        Some(c) => Err(EvidenceError::Plan(format!("what case `{}` varies", c.id))),
        None => Ok(()),
    }
}

/// Checks what the gate weighs besides the checks — each requirement's level, cases and
/// invariants, whether it is testable, and the waiver policy — against the suite that was run
/// (`planned`: the run's frame as the suite makes it).
pub fn plan(results: &RunResults, planned: &RunResults) -> Result<(), EvidenceError> {
    let key = |r: &RunResults| -> Vec<_> {
        r.requirements
            .iter()
            .map(|q| {
                (
                    q.id.clone(),
                    q.level,
                    q.cases.clone(),
                    q.invariants.clone(),
                    q.not_tested_reason.is_some(),
                )
            })
            .collect()
    };
    if key(results) != key(planned) {
        let differs = results
            .requirements
            .iter()
            .zip(&planned.requirements)
            .find(|(a, b)| {
                (a.id != b.id)
                    || a.level != b.level
                    || a.cases != b.cases
                    || a.invariants != b.invariants
                    || a.not_tested_reason.is_some() != b.not_tested_reason.is_some()
            })
            .map_or_else(
                || "the list of requirements".to_string(),
                |(a, _)| format!("requirement `{}`", a.id),
            );
        return Err(EvidenceError::Plan(differs));
    }
    let invariants = |r: &RunResults| -> Vec<_> {
        r.invariants
            .iter()
            .map(|i| (i.id.clone(), i.requirements.clone()))
            .collect()
    };
    if invariants(results) != invariants(planned) {
        return Err(EvidenceError::Plan("the list of invariants".into()));
    }
    if results.waiver_policy != planned.waiver_policy {
        return Err(EvidenceError::Plan("the waiver policy".into()));
    }
    // Only the suite's cases: one it does not have cannot add evidence (an invariant judged).
    let cases: BTreeSet<&str> = planned
        .requirements
        .iter()
        .flat_map(|r| r.cases.iter().map(String::as_str))
        .collect();
    if let Some(extra) = results
        .cases
        .iter()
        .find(|c| !cases.contains(c.id.as_str()))
    {
        return Err(EvidenceError::Plan(format!("case `{}`", extra.id)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn step(outcome: &str, checks: &[(&str, &str)]) -> serde_json::Value {
        json!({
            "index": 1, "kind": "request", "place": {"file": "c.yaml", "line": 1, "column": 1},
            "outcome": outcome, "duration_ms": 1, "attempts": 1,
            "checks": checks.iter().map(|(name, o)| json!({
                "check": name, "outcome": o, "message": {"th": "x", "en": "x"}
            })).collect::<Vec<_>>(),
        })
    }

    fn case(value: serde_json::Value) -> CaseResult {
        let mut base = json!({
            "id": "C-1", "title_th": "t", "title_en": null, "requirements": [], "tags": [],
            "place": {"file": "c.yaml", "line": 1, "column": 1}, "duration_ms": 1,
        });
        base.as_object_mut()
            .unwrap()
            .extend(value.as_object().unwrap().clone());
        serde_json::from_value(base).unwrap()
    }

    #[test]
    fn a_flaky_case_needs_failed_attempts_and_a_passing_last_run() {
        let flaky = case(json!({
            "outcome": "flaky",
            "steps": [step("pass", &[("status", "pass")])],
            "attempts": [{"outcome": "fail", "duration_ms": 1,
                          "steps": [step("fail", &[("status", "fail")])]}],
        }));
        assert_eq!(case_outcome(&flaky), Ok(()));
        // An attempt that says fail but whose checks passed: not an attempt cpc made.
        let forged = case(json!({
            "outcome": "flaky",
            "steps": [step("pass", &[("status", "pass")])],
            "attempts": [{"outcome": "fail", "duration_ms": 1,
                          "steps": [step("pass", &[("status", "pass")])]}],
        }));
        assert!(case_outcome(&forged).is_err());
        // Attempts dropped from a flaky case: it would read as a pass.
        let hidden = case(json!({
            "outcome": "pass",
            "steps": [step("pass", &[("status", "pass")])],
            "attempts": [{"outcome": "fail", "duration_ms": 1,
                          "steps": [step("fail", &[("status", "fail")])]}],
        }));
        assert!(matches!(
            case_outcome(&hidden),
            Err(EvidenceError::Case { .. })
        ));
    }

    #[test]
    fn an_invariant_violation_cannot_be_counted_away() {
        let violated = |tally: serde_json::Value| {
            case(json!({
                "outcome": "fail",
                "steps": [step("fail", &[("invariant INV-1: status", "fail")])],
                "invariants": {"INV-1": tally},
            }))
        };
        assert_eq!(
            case_outcome(&violated(json!({"checked": 2, "violated": 1}))),
            Ok(())
        );
        let zeroed = case_outcome(&violated(json!({"checked": 2, "violated": 0}))).unwrap_err();
        assert!(zeroed.to_string().contains("invariant `INV-1`"), "{zeroed}");
        let gone = case(json!({
            "outcome": "fail",
            "steps": [step("fail", &[("invariant INV-1: status", "fail")])],
        }));
        assert!(case_outcome(&gone).is_err());
    }

    #[test]
    fn a_check_says_what_its_codes_say() {
        let status = |expected: &str, actual: &str, outcome: &str| {
            let mut s = step(outcome, &[("status", outcome)]);
            s["checks"][0]["expected"] = expected.into();
            s["checks"][0]["actual"] = actual.into();
            case(json!({"outcome": outcome, "steps": [s]}))
        };
        assert_eq!(case_outcome(&status("422", "422", "pass")), Ok(()));
        assert_eq!(case_outcome(&status("2xx | 404", "404", "pass")), Ok(()));
        assert_eq!(case_outcome(&status("422", "201", "fail")), Ok(()));
        assert!(case_outcome(&status("422", "201", "pass")).is_err());
        assert!(case_outcome(&status("4xx", "201", "pass")).is_err());
        assert_eq!(case_outcome(&status("4XX", "404", "pass")), Ok(()));
        // A check is pass, fail or error; `not_run` would read as a pass.
        let not_run = case(json!({"outcome": "pass",
            "steps": [step("pass", &[("body $.a", "not_run")])]}));
        assert!(
            case_outcome(&not_run)
                .unwrap_err()
                .to_string()
                .contains("not an outcome a check has")
        );
    }

    #[test]
    fn a_case_that_never_started_is_interrupted_or_not_run() {
        let planned = case(json!({"outcome": "interrupted", "steps": []}));
        assert_eq!(case_outcome(&planned), Ok(()));
        let passed = case(json!({"outcome": "pass", "steps": []}));
        assert!(case_outcome(&passed).is_err());
        let erred = case(json!({"outcome": "error", "steps": [],
                                "error": {"th": "x", "en": "x"}}));
        assert_eq!(case_outcome(&erred), Ok(()));
    }
}
