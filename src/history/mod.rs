//! Rounds of step 10 (ครั้งที่ ๑, ๒, ๓ …): each finished run of a suite leaves a compact record
//! in a history directory; a run knows its round and the last round of the same suite against
//! the same target, and says what changed since: requirements fixed, still failing, and newly
//! failing (regressions). Pure: records in, comparisons and matrices out.

pub mod matrix;

use serde::{Deserialize, Serialize};

use crate::gate::{Gate, RequirementResult, Verdict};
use crate::results::RunResults;
use crate::suite::Level;

/// What history keeps of one run: enough to compare rounds and draw the matrix.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoundRecord {
    pub round: u32,
    pub suite: String,
    pub suite_digest: String,
    /// The target as shown, or `reference` for the built-in one.
    pub target: String,
    pub started_at: String,
    pub verdict: Verdict,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waived: Vec<String>,
    pub requirements: Vec<RequirementRound>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RequirementRound {
    pub id: String,
    pub level: Level,
    pub result: RequirementResult,
}

/// The target a record is kept under: every run of the built-in reference is one target.
pub fn target_key(results: &RunResults) -> String {
    if results.reference_target {
        "reference".into()
    } else {
        results.target.clone()
    }
}

impl RoundRecord {
    pub fn of(results: &RunResults, gate: &Gate, round: u32) -> Self {
        Self {
            round,
            suite: results.suite.id.clone(),
            suite_digest: results.suite.digest.clone(),
            target: target_key(results),
            started_at: results.started_at.clone(),
            verdict: gate.verdict,
            waived: gate.waived.clone(),
            requirements: gate
                .requirements
                .iter()
                .map(|r| RequirementRound {
                    id: r.id.clone(),
                    level: r.level,
                    result: r.result,
                })
                .collect(),
        }
    }
}

/// The records of one suite against one target, by round.
pub fn rounds_of<'a>(
    records: &'a [RoundRecord],
    suite: &str,
    target: &str,
) -> Vec<&'a RoundRecord> {
    let mut list: Vec<&RoundRecord> = records
        .iter()
        .filter(|r| r.suite == suite && r.target == target)
        .collect();
    list.sort_by_key(|r| r.round);
    list
}

/// The highest round a record may have: step 10 takes a few rounds over 15 days, so a larger
/// number is a damaged or forged record (and `round + 1` stays in range).
pub const MAX_ROUND: u32 = 1_000_000;

/// What changed since the previous round.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Comparison {
    pub previous_round: u32,
    pub previous_at: String,
    /// Not passed then, passed now: the fix is verified.
    pub fixed: Vec<String>,
    /// Not passed then, nor now.
    pub still_failing: Vec<String>,
    /// Passed then, not now: a regression.
    pub regressions: Vec<String>,
    /// The suite is not the one that round ran (its digest differs): a change may be the
    /// suite's, not the service's.
    pub suite_changed: bool,
}

/// Shown wrong or not shown right: a result a committee counts against the service.
fn failing(result: RequirementResult) -> bool {
    result.is_failure()
}

/// Compares the requirements of this round with the previous round's. Requirements without a
/// result in either (not run, not tested) are left out: nothing changed that a run can show.
pub fn compare(previous: &RoundRecord, now: &RoundRecord) -> Comparison {
    let mut comparison = Comparison {
        previous_round: previous.round,
        previous_at: previous.started_at.clone(),
        suite_changed: previous.suite_digest != now.suite_digest,
        ..Comparison::default()
    };
    let then_of: std::collections::HashMap<&str, &RequirementRound> = previous
        .requirements
        .iter()
        .map(|r| (r.id.as_str(), r))
        .collect();
    for now in &now.requirements {
        let Some(then) = then_of.get(now.id.as_str()) else {
            continue;
        };
        let list = match (failing(then.result), now.result) {
            (true, RequirementResult::Pass) => &mut comparison.fixed,
            (true, r) if failing(r) => &mut comparison.still_failing,
            (false, r) if then.result == RequirementResult::Pass && failing(r) => {
                &mut comparison.regressions
            }
            _ => continue,
        };
        list.push(now.id.clone());
    }
    comparison
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(round: u32, target: &str, results: &[(&str, RequirementResult)]) -> RoundRecord {
        RoundRecord {
            round,
            suite: "csg".into(),
            suite_digest: String::new(),
            target: target.into(),
            started_at: format!("2026-11-{:02}T10:00:00+07:00", 10 + round),
            verdict: Verdict::Fail,
            waived: vec![],
            requirements: results
                .iter()
                .map(|(id, result)| RequirementRound {
                    id: id.to_string(),
                    level: Level::Must,
                    result: *result,
                })
                .collect(),
        }
    }

    #[test]
    fn fixed_still_failing_and_regressions() {
        use RequirementResult::*;
        let then = record(
            1,
            "reference",
            &[
                ("A", Fail),
                ("B", Error),
                ("C", Pass),
                ("D", Pass),
                ("E", NotRun),
                ("F", Flaky),
            ],
        );
        let now = record(
            2,
            "reference",
            &[
                ("A", Pass),
                ("B", Fail),
                ("C", Fail),
                ("D", Pass),
                ("E", Fail),
                ("F", Pass),
            ],
        );
        let c = compare(&then, &now);
        assert_eq!(c.previous_round, 1);
        assert_eq!(c.fixed, ["A", "F"]);
        assert_eq!(c.still_failing, ["B"]);
        assert_eq!(c.regressions, ["C"]);
        assert!(!c.suite_changed);
        // The suite edited between the rounds: said beside the comparison.
        let edited = RoundRecord {
            suite_digest: "another".into(),
            ..now
        };
        assert!(compare(&then, &edited).suite_changed);
    }
}
