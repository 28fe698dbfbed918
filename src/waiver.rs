//! Waivers (ข้อยกเว้น): a committee's written acceptance of a requirement that did not pass,
//! for a while, on someone's authority. A valid waiver lets the gate pass over that requirement
//! and the verdict says so; it never hides the evidence (the requirement keeps its result, the
//! failed cases stay failed in every file). A waiver that is expired, not yet approved on the
//! run's date, for another round, for a requirement the suite does not have, or missing one of
//! its fields is not applied, and the report says which and why.

use serde::{Deserialize, Serialize};
use time::Date;
use time::macros::format_description;

/// One waiver as written in the waivers file; every field is checked before it is applied.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Waiver {
    #[serde(default)]
    pub requirement: Option<String>,
    #[serde(default)]
    pub reason_th: Option<String>,
    #[serde(default)]
    pub approved_by: Option<String>,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub approved_on: Option<String>,
    /// `YYYY-MM-DD`, the last day it applies (Bangkok time).
    #[serde(default)]
    pub expires_on: Option<String>,
    /// The rounds it applies to; all rounds when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rounds: Option<Vec<u32>>,
    /// Where it was written (`file:line`), for messages; set when the file is read.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub place: String,
}

/// What the suite lets waivers do (`waiver_policy` in suite.yaml): the waivers file is the
/// committee's, the limits are the service's. Without one: at most 3 waivers, of requirements
/// that failed or were flaky — never of one whose cases erred or did not run, for then nothing
/// showed what the waiver accepts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaiverPolicy {
    /// The most requirements waived in one run.
    #[serde(default = "default_max")]
    pub max: usize,
    /// The levels that may be waived.
    #[serde(default = "default_levels")]
    pub levels: Vec<crate::suite::Level>,
    /// The results that may be waived: `fail`, `flaky`, `error`, `not_run`, `not_tested`.
    #[serde(default = "default_results")]
    pub results: Vec<crate::gate::RequirementResult>,
}

fn default_max() -> usize {
    3
}

fn default_levels() -> Vec<crate::suite::Level> {
    vec![crate::suite::Level::Must, crate::suite::Level::Should]
}

fn default_results() -> Vec<crate::gate::RequirementResult> {
    vec![
        crate::gate::RequirementResult::Fail,
        crate::gate::RequirementResult::Flaky,
    ]
}

impl Default for WaiverPolicy {
    fn default() -> Self {
        Self {
            max: default_max(),
            levels: default_levels(),
            results: default_results(),
        }
    }
}

/// What came of a waiver at this run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status", content = "detail")]
pub enum WaiverStatus {
    /// It lets the gate pass over its requirement.
    Applied,
    /// Its requirement passed: nothing to waive.
    NotNeeded,
    /// Required fields missing or empty, or a date that is not `YYYY-MM-DD`.
    Incomplete(Vec<String>),
    /// The suite has no such requirement.
    UnknownRequirement,
    /// The run is after its last day.
    Expired,
    /// Approved after the run's date.
    NotYetApproved,
    /// It names rounds, and this run's round is not one of them (or the run has no round).
    NotThisRound,
    /// The suite's waiver policy does not allow it (why, in Thai and English).
    NotAllowed { th: String, en: String },
}

impl WaiverStatus {
    pub fn applies(&self) -> bool {
        matches!(self, Self::Applied)
    }

    /// Why it is not applied, in Thai and in English.
    pub fn why(&self) -> (String, String) {
        match self {
            Self::Applied => ("ใช้ข้อยกเว้นนี้".into(), "applied".into()),
            Self::NotNeeded => (
                "ข้อกำหนดนี้ผ่านแล้ว ไม่ต้องใช้ข้อยกเว้น".into(),
                "the requirement passed: nothing to waive".into(),
            ),
            Self::Incomplete(fields) => (
                format!("ข้อมูลไม่ครบหรือไม่ถูกต้อง: {}", fields.join(", ")),
                format!("incomplete or invalid: {}", fields.join(", ")),
            ),
            Self::UnknownRequirement => (
                "ไม่มีข้อกำหนดนี้ในชุดทดสอบ".into(),
                "the suite has no such requirement".into(),
            ),
            Self::Expired => ("หมดอายุแล้ว".into(), "expired".into()),
            Self::NotAllowed { th, en } => (
                format!("นโยบายข้อยกเว้นของชุดทดสอบไม่อนุญาต: {th}"),
                format!("the suite's waiver policy does not allow it: {en}"),
            ),
            Self::NotYetApproved => (
                "วันที่อนุมัติอยู่หลังวันที่ทดสอบ".into(),
                "approved after the run's date".into(),
            ),
            Self::NotThisRound => (
                "ไม่ได้อนุมัติสำหรับการทดสอบครั้งนี้".into(),
                "not approved for this round".into(),
            ),
        }
    }
}

/// A waiver and what came of it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct JudgedWaiver {
    #[serde(flatten)]
    pub waiver: Waiver,
    #[serde(flatten)]
    pub status: WaiverStatus,
}

/// The waivers file: `waivers:` and a list.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaiverFile {
    pub waivers: Vec<serde_saphyr::Spanned<Waiver>>,
}

fn date(text: &str) -> Option<Date> {
    Date::parse(text.trim(), format_description!("[year]-[month]-[day]")).ok()
}

/// Judges one waiver for a run on `run_date` (Bangkok) in `round`, over a requirement that
/// exists (`Some(passed)`) or not (`None`).
pub fn judge(
    waiver: &Waiver,
    run_date: Option<Date>,
    round: Option<u32>,
    requirement_passed: Option<bool>,
) -> WaiverStatus {
    let filled = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
    let mut missing: Vec<String> = [
        ("requirement", &waiver.requirement),
        ("reason_th", &waiver.reason_th),
        ("approved_by", &waiver.approved_by),
    ]
    .into_iter()
    .filter(|(_, v)| !filled(v))
    .map(|(name, _)| name.to_string())
    .collect();
    let approved = waiver.approved_on.as_deref().and_then(date);
    let expires = waiver.expires_on.as_deref().and_then(date);
    if approved.is_none() {
        missing.push("approved_on (YYYY-MM-DD)".into());
    }
    if expires.is_none() {
        missing.push("expires_on (YYYY-MM-DD)".into());
    }
    if let (Some(a), Some(e)) = (approved, expires)
        && e < a
    {
        missing.push("expires_on (before approved_on)".into());
    }
    if waiver.rounds.as_ref().is_some_and(Vec::is_empty) {
        missing.push("rounds (empty)".into());
    }
    if !missing.is_empty() {
        return WaiverStatus::Incomplete(missing);
    }
    let Some(passed) = requirement_passed else {
        return WaiverStatus::UnknownRequirement;
    };
    // Without the run's date, no waiver can be shown to be in force.
    let Some(today) = run_date else {
        return WaiverStatus::Expired;
    };
    if expires.is_some_and(|e| today > e) {
        return WaiverStatus::Expired;
    }
    if approved.is_some_and(|a| today < a) {
        return WaiverStatus::NotYetApproved;
    }
    if let Some(rounds) = &waiver.rounds
        && !round.is_some_and(|r| rounds.contains(&r))
    {
        return WaiverStatus::NotThisRound;
    }
    if passed {
        WaiverStatus::NotNeeded
    } else {
        WaiverStatus::Applied
    }
}

/// The Bangkok date of an RFC 3339 time (a run's `started_at`).
pub fn run_date(started_at: &str) -> Option<Date> {
    use time::format_description::well_known::Rfc3339;
    time::OffsetDateTime::parse(started_at, &Rfc3339)
        .ok()
        .map(|t| t.to_offset(crate::clock::BANGKOK).date())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn waiver() -> Waiver {
        Waiver {
            requirement: Some("TP-4.4".into()),
            reason_th: Some("หน่วยงานแก้ไขในรุ่นถัดไป".into()),
            approved_by: Some("คณะกรรมการ".into()),
            approved_on: Some("2026-11-20".into()),
            expires_on: Some("2026-12-31".into()),
            rounds: None,
            place: String::new(),
        }
    }

    fn on(day: &str) -> Option<Date> {
        date(day)
    }

    #[test]
    fn a_complete_waiver_in_force_applies_to_a_failed_requirement_only() {
        let w = waiver();
        assert_eq!(
            judge(&w, on("2026-11-24"), Some(2), Some(false)),
            WaiverStatus::Applied
        );
        assert_eq!(
            judge(&w, on("2026-12-31"), None, Some(false)),
            WaiverStatus::Applied
        );
        assert_eq!(
            judge(&w, on("2026-11-24"), None, Some(true)),
            WaiverStatus::NotNeeded
        );
    }

    #[test]
    fn expired_early_unknown_and_other_rounds_do_not_apply() {
        let w = waiver();
        assert_eq!(
            judge(&w, on("2027-01-01"), None, Some(false)),
            WaiverStatus::Expired
        );
        assert_eq!(
            judge(&w, on("2026-11-19"), None, Some(false)),
            WaiverStatus::NotYetApproved
        );
        assert_eq!(
            judge(&w, on("2026-11-24"), None, None),
            WaiverStatus::UnknownRequirement
        );
        let rounds = Waiver {
            rounds: Some(vec![1, 2]),
            ..waiver()
        };
        assert_eq!(
            judge(&rounds, on("2026-11-24"), Some(2), Some(false)),
            WaiverStatus::Applied
        );
        assert_eq!(
            judge(&rounds, on("2026-11-24"), Some(3), Some(false)),
            WaiverStatus::NotThisRound
        );
        assert_eq!(
            judge(&rounds, on("2026-11-24"), None, Some(false)),
            WaiverStatus::NotThisRound
        );
    }

    #[test]
    fn an_incomplete_waiver_names_what_is_missing() {
        let w = Waiver {
            approved_by: Some("  ".into()),
            expires_on: Some("31/12/2026".into()),
            ..waiver()
        };
        assert_eq!(
            judge(&w, on("2026-11-24"), None, Some(false)),
            WaiverStatus::Incomplete(vec!["approved_by".into(), "expires_on (YYYY-MM-DD)".into()])
        );
        let backwards = Waiver {
            expires_on: Some("2026-11-01".into()),
            ..waiver()
        };
        assert_eq!(
            judge(&backwards, on("2026-11-24"), None, Some(false)),
            WaiverStatus::Incomplete(vec!["expires_on (before approved_on)".into()])
        );
    }

    #[test]
    fn the_run_date_is_bangkok_time() {
        assert_eq!(run_date("2026-11-24T18:30:00Z"), on("2026-11-25"));
        assert_eq!(run_date("2026-11-24T10:15:00+07:00"), on("2026-11-24"));
        assert_eq!(run_date("not a time"), None);
    }
}
