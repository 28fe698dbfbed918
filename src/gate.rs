//! The step-10 gate (DESIGN §7): a requirement passes when every case tracing to it passed;
//! the verdict is pass iff every `must` requirement passed. Failed `should` requirements are
//! observations (ข้อสังเกต).

use serde::{Deserialize, Serialize};

use crate::check::Outcome;
use crate::results::RunResults;
use crate::suite::Level;
use crate::waiver::{self, JudgedWaiver, WaiverPolicy, WaiverStatus};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Fail,
}

impl Verdict {
    /// As gate.json writes it.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
        }
    }
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
    /// A case failed, then passed when run again: the system is not shown to be stable.
    Flaky,
}

impl RequirementResult {
    /// The target was shown wrong, or could not be judged.
    pub fn is_failure(self) -> bool {
        matches!(self, Self::Fail | Self::Error | Self::Flaky)
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
    /// The cases test only part of the clause: a pass is a pass of that part only.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub partly_tested: bool,
    /// A valid waiver lets the gate pass over it; its result stays as it is.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub waived: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PartlyTested {
    pub id: String,
    pub reason_th: String,
    pub reason_en: String,
}

/// What an invariant came to over the whole run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvariantResult {
    Pass,
    Fail,
    /// No exchange of the run matched its filter: it showed nothing.
    NotExercised,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InvariantVerdict {
    pub id: String,
    pub requirements: Vec<String>,
    pub result: InvariantResult,
    /// Exchanges it judged.
    pub checked: u64,
    /// Cases in which an exchange broke it.
    pub violated_in: Vec<String>,
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
    /// The target was cpc's built-in reference e-service, not an agency's system.
    pub reference_target: bool,
    /// Every `must` requirement not passed (failed, error, not run or not tested) and not waived.
    pub failed_must: Vec<String>,
    /// Requirements not passed that a valid waiver lets the gate pass over (ผ่าน (มีข้อยกเว้น)).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waived: Vec<String>,
    /// Every waiver given, with what came of it (applied, or why not).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waivers: Vec<JudgedWaiver>,
    /// `should` requirements that failed or could not be evaluated (ข้อสังเกต).
    pub observations: Vec<String>,
    /// Requirements of either level with no result: not run, or not tested by the suite.
    pub untested: Vec<String>,
    /// Requirements the suite tests only in part (`coverage: partial`), with why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub partly_tested: Vec<PartlyTested>,
    pub requirements: Vec<RequirementVerdict>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub invariants: Vec<InvariantVerdict>,
    pub cases: CaseCounts,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub cpc_version: String,
    pub suite_digest: String,
    /// SHA-256 of the technical proposal the suite tests, when it names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposal_digest: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseCounts {
    pub total: usize,
    pub passed: usize,
    pub failed: usize,
    pub error: usize,
    pub interrupted: usize,
    #[serde(default)]
    pub flaky: usize,
}

impl Gate {
    /// A must requirement was shown wrong (or could not be judged) by the cases that ran: all a
    /// shard of the suite can say on its own.
    pub fn must_broken(&self) -> bool {
        self.requirements
            .iter()
            .any(|r| r.level == Level::Must && r.result.is_failure())
    }
}

/// Each invariant over the run: what it judged in every case.
fn invariant_verdicts(results: &RunResults) -> Vec<InvariantVerdict> {
    results
        .invariants
        .iter()
        .map(|inv| {
            let mut checked = 0;
            let mut violated_in = Vec::new();
            for case in &results.cases {
                if let Some(tally) = case.invariants.get(&inv.id) {
                    // Saturating: counts read from a file may be anything.
                    checked = u64::saturating_add(checked, tally.checked);
                    if tally.violated > 0 {
                        violated_in.push(case.id.clone());
                    }
                }
            }
            let result = match (checked, violated_in.is_empty()) {
                (0, _) => InvariantResult::NotExercised,
                (_, false) => InvariantResult::Fail,
                (_, true) => InvariantResult::Pass,
            };
            InvariantVerdict {
                id: inv.id.clone(),
                requirements: inv.requirements.clone(),
                result,
                checked,
                violated_in,
            }
        })
        .collect()
}

/// Decides the gate from results alone.
pub fn decide(results: &RunResults) -> Gate {
    let invariants = invariant_verdicts(results);
    // By id: a suite of thousands of cases is decided in linear time.
    let outcome: std::collections::HashMap<&str, Outcome> = results
        .cases
        .iter()
        .map(|c| (c.id.as_str(), c.outcome))
        .collect();
    let requirements: Vec<RequirementVerdict> = results
        .requirements
        .iter()
        .map(|r| {
            let mut outcomes: Vec<Outcome> = r
                .cases
                .iter()
                .map(|id| outcome.get(id.as_str()).copied().unwrap_or(Outcome::NotRun))
                .collect();
            // An invariant that judged something adds its result; one that matched nothing
            // shows nothing (a requirement with no other evidence is then not run).
            outcomes.extend(
                invariants
                    .iter()
                    .filter(|i| r.invariants.contains(&i.id))
                    .filter_map(|i| match i.result {
                        InvariantResult::Pass => Some(Outcome::Pass),
                        InvariantResult::Fail => Some(Outcome::Fail),
                        InvariantResult::NotExercised => None,
                    }),
            );
            let result = if r.not_tested_reason.is_some() {
                RequirementResult::NotTested
            } else {
                requirement_result(outcomes.into_iter())
            };
            RequirementVerdict {
                id: r.id.clone(),
                level: r.level,
                result,
                cases: r.cases.clone(),
                partly_tested: r.partly_tested.is_some(),
                waived: false,
            }
        })
        .collect();
    let (requirements, waivers) = apply_waivers(results, requirements);
    let ids = |keep: &dyn Fn(&RequirementVerdict) -> bool| -> Vec<String> {
        requirements
            .iter()
            .filter(|r| keep(r))
            .map(|r| r.id.clone())
            .collect()
    };
    let failed_must =
        ids(&|r| r.level == Level::Must && r.result != RequirementResult::Pass && !r.waived);
    let observations = ids(&|r| r.level == Level::Should && r.result.is_failure() && !r.waived);
    let waived = ids(&|r| r.waived);
    let untested = ids(&|r| r.result.is_untested());
    let partly_tested = results
        .requirements
        .iter()
        .filter_map(|r| {
            r.partly_tested.as_ref().map(|why| PartlyTested {
                id: r.id.clone(),
                reason_th: why.th.clone(),
                reason_en: why.en.clone(),
            })
        })
        .collect();
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
        reference_target: results.reference_target,
        failed_must,
        waived,
        waivers,
        observations,
        untested,
        partly_tested,
        requirements,
        invariants,
        cases: CaseCounts {
            total: results.cases.len(),
            passed: count(Outcome::Pass),
            failed: count(Outcome::Fail),
            error: count(Outcome::Error),
            interrupted: count(Outcome::Interrupted),
            flaky: count(Outcome::Flaky),
        },
        started_at: results.started_at.clone(),
        finished_at: results.finished_at.clone(),
        cpc_version: results.cpc_version.clone(),
        suite_digest: results.suite.digest.clone(),
        proposal_digest: results.suite.proposal_digest.clone(),
    }
}

/// Judges every waiver given against the run, and marks the requirements a valid one waives.
fn apply_waivers(
    results: &RunResults,
    mut requirements: Vec<RequirementVerdict>,
) -> (Vec<RequirementVerdict>, Vec<JudgedWaiver>) {
    let today = waiver::run_date(&results.started_at);
    let policy = &results.waiver_policy;
    let mut applied = 0;
    let judged = results
        .waivers
        .iter()
        .map(|w| {
            let target = w
                .requirement
                .as_deref()
                .and_then(|id| requirements.iter_mut().find(|r| r.id == id.trim()));
            let passed = target.as_ref().map(|r| r.result == RequirementResult::Pass);
            let mut status = waiver::judge(w, today, results.round, passed);
            // A second waiver of a requirement already waived takes no more of `max`.
            if let Some(r) = target
                && status.applies()
                && !r.waived
            {
                status = allowed(policy, r, applied);
                if status.applies() {
                    r.waived = true;
                    applied += 1;
                }
            }
            JudgedWaiver {
                waiver: w.clone(),
                status,
            }
        })
        .collect();
    (requirements, judged)
}

/// Whether the suite's policy lets one more waiver pass over this requirement.
fn allowed(policy: &WaiverPolicy, r: &RequirementVerdict, applied: usize) -> WaiverStatus {
    let result = serde_json::to_value(r.result)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let allowed_results: Vec<String> = policy
        .results
        .iter()
        .filter_map(|x| serde_json::to_value(x).ok()?.as_str().map(str::to_string))
        .collect();
    let (th, en) = if !policy.levels.contains(&r.level) {
        let (th, en) = match r.level {
            Level::Must => ("ต้อง", "must"),
            Level::Should => ("ควร", "should"),
        };
        (
            format!("ข้อกำหนดระดับ{th}ยกเว้นไม่ได้"),
            format!("a `{en}` requirement may not be waived"),
        )
    } else if !policy.results.contains(&r.result) {
        (
            format!(
                "ผลของข้อกำหนดคือ {result} ยกเว้นได้เฉพาะ {}",
                allowed_results.join(", ")
            ),
            format!(
                "its result is `{result}`; the suite allows waiving only {}",
                allowed_results.join(", ")
            ),
        )
    } else if applied >= policy.max {
        (
            format!("ยกเว้นได้ไม่เกิน {} ข้อกำหนดต่อการทดสอบ", policy.max),
            format!("the suite allows at most {} waiver(s) a run", policy.max),
        )
    } else {
        return WaiverStatus::Applied;
    };
    WaiverStatus::NotAllowed { th, en }
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
    } else if any(Outcome::Flaky) {
        RequirementResult::Flaky
    } else if outcomes.iter().all(|o| *o == Outcome::Pass) {
        RequirementResult::Pass
    } else {
        RequirementResult::NotRun
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::diagnostic::Place;
    use crate::results::{CaseResult, RequirementInfo, Selection, SuiteInfo};

    fn requirement(id: &str, level: Level, cases: &[&str], not_tested: bool) -> RequirementInfo {
        RequirementInfo {
            id: id.into(),
            level,
            text_th: String::new(),
            text_en: None,
            not_tested_reason: not_tested.then(|| "เหตุผล".into()),
            partly_tested: None,
            cases: cases.iter().map(|c| c.to_string()).collect(),
            invariants: vec![],
            section: None,
        }
    }

    fn case(id: &str, outcome: Outcome) -> CaseResult {
        CaseResult {
            id: id.into(),
            title_th: String::new(),
            title_en: None,
            requirements: vec![],
            tags: vec![],
            place: Place::new(std::path::Path::new("c.yaml"), 1, 1),
            outcome,
            duration_ms: 0,
            error: None,
            steps: vec![],
            invariants: Default::default(),
            api_calls: Default::default(),
            generated: None,
            actor: None,
            attempts: vec![],
        }
    }

    pub(crate) fn results(
        requirements: Vec<RequirementInfo>,
        cases: Vec<CaseResult>,
    ) -> RunResults {
        RunResults {
            cpc_version: "0".into(),
            run: Default::default(),
            waiver_policy: Default::default(),
            suite: SuiteInfo {
                id: "s".into(),
                service_code: "S".into(),
                name_th: String::new(),
                name_en: None,
                agency_th: String::new(),
                agency_en: None,
                proposal_version: "1".into(),
                digest: String::new(),
                proposal_digest: None,
                proposal_file: None,
            },
            target: String::new(),
            reference_target: false,
            tester: None,
            round: None,
            report: Default::default(),
            started_at: String::new(),
            finished_at: None,
            selection: Selection::default(),
            interrupted: false,
            requirements,
            invariants: vec![],
            waivers: vec![],
            previous_round: None,
            actors: Default::default(),
            cases,
        }
    }

    fn result_of(gate: &Gate, id: &str) -> RequirementResult {
        gate.requirements
            .iter()
            .find(|r| r.id == id)
            .unwrap()
            .result
    }

    #[test]
    fn passes_when_every_must_passes_and_lists_failed_shoulds() {
        let r = results(
            vec![
                requirement("M-1", Level::Must, &["A", "B"], false),
                requirement("S-1", Level::Should, &["C"], false),
            ],
            vec![
                case("A", Outcome::Pass),
                case("B", Outcome::Pass),
                case("C", Outcome::Fail),
            ],
        );
        let gate = decide(&r);
        assert_eq!(gate.verdict, Verdict::Pass);
        assert_eq!(gate.next_step, 11);
        assert_eq!(gate.observations, ["S-1"]);
        assert!(gate.failed_must.is_empty());
    }

    #[test]
    fn one_failing_case_fails_its_requirement_and_the_gate() {
        let r = results(
            vec![requirement("M-1", Level::Must, &["A", "B"], false)],
            vec![case("A", Outcome::Pass), case("B", Outcome::Fail)],
        );
        let gate = decide(&r);
        assert_eq!(gate.verdict, Verdict::Fail);
        assert_eq!(gate.next_step, 9);
        assert_eq!(gate.failed_must, ["M-1"]);
        assert_eq!(result_of(&gate, "M-1"), RequirementResult::Fail);
    }

    #[test]
    fn a_valid_waiver_passes_the_gate_over_its_failure_and_keeps_the_evidence() {
        use crate::waiver::{Waiver, WaiverStatus};
        let waiver = |id: &str, expires: &str| Waiver {
            requirement: Some(id.into()),
            reason_th: Some("เหตุผล".into()),
            approved_by: Some("ผู้อนุมัติ".into()),
            approved_on: Some("2026-11-01".into()),
            expires_on: Some(expires.into()),
            ..Waiver::default()
        };
        let mut r = results(
            vec![
                requirement("M-1", Level::Must, &["A"], false),
                requirement("M-2", Level::Must, &["B"], false),
            ],
            vec![case("A", Outcome::Fail), case("B", Outcome::Pass)],
        );
        r.started_at = "2026-11-24T10:00:00+07:00".into();
        r.waivers = vec![waiver("M-1", "2026-12-31"), waiver("X-9", "2026-12-31")];
        let gate = decide(&r);
        assert_eq!(gate.verdict, Verdict::Pass);
        assert_eq!(gate.waived, ["M-1"]);
        assert!(gate.failed_must.is_empty());
        assert_eq!(result_of(&gate, "M-1"), RequirementResult::Fail);
        let statuses: Vec<_> = gate.waivers.iter().map(|w| w.status.clone()).collect();
        assert_eq!(
            statuses,
            [WaiverStatus::Applied, WaiverStatus::UnknownRequirement]
        );

        r.waivers = vec![waiver("M-1", "2026-11-23")];
        let gate = decide(&r);
        assert_eq!(gate.verdict, Verdict::Fail);
        assert_eq!(gate.failed_must, ["M-1"]);
        assert!(gate.waived.is_empty());
        assert_eq!(gate.waivers[0].status, WaiverStatus::Expired);
    }

    #[test]
    fn error_not_run_and_not_tested_musts_all_fail_the_gate() {
        let r = results(
            vec![
                requirement("E", Level::Must, &["A"], false),
                requirement("N", Level::Must, &["missing"], false),
                requirement("T", Level::Must, &[], true),
                requirement("I", Level::Must, &["B"], false),
            ],
            vec![case("A", Outcome::Error), case("B", Outcome::Interrupted)],
        );
        let gate = decide(&r);
        assert_eq!(gate.failed_must, ["E", "N", "T", "I"]);
        assert_eq!(result_of(&gate, "E"), RequirementResult::Error);
        assert_eq!(result_of(&gate, "N"), RequirementResult::NotRun);
        assert_eq!(result_of(&gate, "T"), RequirementResult::NotTested);
        assert_eq!(result_of(&gate, "I"), RequirementResult::NotRun);
        assert_eq!(gate.untested, ["N", "T", "I"]);
    }

    #[test]
    fn an_invariant_fails_its_requirements_and_one_never_exercised_shows_nothing() {
        use crate::results::{InvariantInfo, InvariantTally};
        let mut broken = requirement("E", Level::Must, &["A"], false);
        broken.invariants = vec!["INV-1".into()];
        let mut only = requirement("O", Level::Must, &[], false);
        only.invariants = vec!["INV-2".into()];
        let mut r = results(
            vec![broken, only],
            vec![case("A", Outcome::Pass), case("B", Outcome::Fail)],
        );
        r.invariants = ["INV-1", "INV-2"]
            .iter()
            .map(|id| InvariantInfo {
                id: id.to_string(),
                title_th: None,
                title_en: None,
                requirements: vec![],
                side: crate::suite::Side::Agency,
            })
            .collect();
        // INV-1 was broken in case B, which traces to neither requirement.
        r.cases[1].invariants.insert(
            "INV-1".into(),
            InvariantTally {
                checked: 2,
                violated: 1,
            },
        );
        let gate = decide(&r);
        assert_eq!(result_of(&gate, "E"), RequirementResult::Fail);
        assert_eq!(result_of(&gate, "O"), RequirementResult::NotRun);
        assert_eq!(gate.invariants[0].violated_in, ["B"]);
        assert_eq!(gate.invariants[1].result, InvariantResult::NotExercised);
        assert_eq!(gate.failed_must, ["E", "O"]);
    }

    #[test]
    fn partial_and_interrupted_runs_never_pass() {
        let mut r = results(
            vec![requirement("M-1", Level::Must, &["A"], false)],
            vec![case("A", Outcome::Pass)],
        );
        assert_eq!(decide(&r).verdict, Verdict::Pass);
        r.selection.partial = true;
        assert_eq!(decide(&r).verdict, Verdict::Fail);
        r.selection.partial = false;
        r.interrupted = true;
        assert_eq!(decide(&r).verdict, Verdict::Fail);
    }
}
