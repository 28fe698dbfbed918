//! The results of a run: pure data, written as `results.json`. Reports, JUnit and the gate are
//! rendered from this alone, so `cpc report` can redo them without re-running.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::check::{CheckResult, Outcome};
use crate::diagnostic::Place;
use crate::i18n::Text;
use crate::suite::{Coverage, Level, Side, Suite};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunResults {
    pub cpc_version: String,
    /// Which run this is, and how it was made: shards of one run share it.
    #[serde(default)]
    pub run: RunIdentity,
    pub suite: SuiteInfo,
    pub target: String,
    /// The target was the built-in reference e-service, not an agency's system.
    #[serde(default)]
    pub reference_target: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tester: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round: Option<u32>,
    /// How the reports are rendered, so `cpc report` redoes them the same way.
    #[serde(default)]
    pub report: ReportOptions,
    pub started_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    pub selection: Selection,
    /// Ctrl-C (or a crash) stopped the run before every selected case finished.
    pub interrupted: bool,
    pub requirements: Vec<RequirementInfo>,
    /// The suite's invariants: checks on every matching exchange of the run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub invariants: Vec<InvariantInfo>,
    /// The last round before this one of the same suite against the same target, from the
    /// history directory: what the reports compare this round with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_round: Option<crate::history::RoundRecord>,
    /// The roles the suite defines besides citizen, staff and admin, with their labels.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub actors: std::collections::BTreeMap<String, crate::suite::ActorLabel>,
    /// The waivers given (`--waivers`), as written: the gate judges them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waivers: Vec<crate::waiver::Waiver>,
    /// What the suite lets waivers do.
    #[serde(default)]
    pub waiver_policy: crate::waiver::WaiverPolicy,
    /// In suite order; a selected case not yet finished is `interrupted` once the run ends.
    pub cases: Vec<CaseResult>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InvariantInfo {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title_th: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title_en: Option<String>,
    pub requirements: Vec<String>,
    pub side: Side,
}

/// How many exchanges of a case an invariant judged, and how many broke it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvariantTally {
    pub checked: u64,
    pub violated: u64,
}

/// A run's id (random, or `--run-id` given by a CI job to each of its shards) and the options
/// that change what a run finds: shards to merge must agree on all of them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunIdentity {
    pub id: String,
    /// `--fault` of the built-in reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
    /// `--timeout-ms`, `--max-body-bytes`, `--rerun-failed` and each `--var` (a secret one's
    /// value masked), as given.
    #[serde(default)]
    pub options: BTreeMap<String, String>,
}

#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct ReportOptions {
    /// English reports too (`report.en.*`).
    #[serde(default)]
    pub english: bool,
    /// Arabic digits in the Thai report (Thai digits by default).
    #[serde(default)]
    pub arabic_digits: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SuiteInfo {
    pub id: String,
    pub service_code: String,
    pub name_th: String,
    pub name_en: Option<String>,
    pub agency_th: String,
    pub agency_en: Option<String>,
    pub proposal_version: String,
    /// SHA-256 over the suite's files and the fixtures it reads.
    pub digest: String,
    /// SHA-256 of the technical proposal the suite names (`proposal:`), when it names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposal_digest: Option<String>,
    /// The proposal's file name in the suite (`proposal.docx`), as the agency sent it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposal_file: Option<String>,
}

impl SuiteInfo {
    /// The harness's own digests: never mistaken for an ID by the redactor.
    pub fn digests(&self) -> Vec<String> {
        std::iter::once(self.digest.clone())
            .chain(self.proposal_digest.clone())
            .collect()
    }
}

/// Which cases ran. A run limited by `--case` or `--tag` is partial and never passes the gate.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Selection {
    pub partial: bool,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub cases: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub tags: Vec<String>,
    /// `--shard K/N`: this run holds one share of the selected cases.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub shard: Option<Shard>,
}

/// `--shard K/N`: the K-th of N shares of the cases (1-based). A case's share follows from its
/// id alone, so every machine agrees and every case is in exactly one share.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: u32,
    pub total: u32,
}

impl Shard {
    pub fn holds(&self, case_id: &str) -> bool {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(case_id.as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        u64::from_be_bytes(first) % u64::from(self.total) == u64::from(self.index - 1)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.total)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RequirementInfo {
    pub id: String,
    pub level: Level,
    pub text_th: String,
    pub text_en: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_tested_reason: Option<String>,
    /// The cases test only part of it, and why the rest is not tested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partly_tested: Option<Text>,
    /// Every case of the suite that traces to it, selected or not.
    pub cases: Vec<String>,
    /// Every invariant that traces to it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub invariants: Vec<String>,
    /// The proposal's section it is in, when the suite names its proposal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CaseResult {
    pub id: String,
    pub title_th: String,
    pub title_en: Option<String>,
    pub requirements: Vec<String>,
    pub tags: Vec<String>,
    pub place: Place,
    pub outcome: Outcome,
    pub duration_ms: u64,
    /// Why the case could not run or finish, when no step says it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Text>,
    pub steps: Vec<StepResult>,
    /// The invariants that judged exchanges of this case, by id (over every attempt).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub invariants: BTreeMap<String, InvariantTally>,
    /// Each documented operation and response the case's answers reached (`POST /applications
    /// 201`), when the suite has an OpenAPI document.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub api_calls: BTreeMap<String, u64>,
    /// For a case a `generate:` block made: what it varies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated: Option<Generated>,
    /// Whose part of the service flow it tests (`citizen`, `staff`, `admin`, or the suite's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// Earlier runs of the case that did not pass (`--rerun-failed`), oldest first, each with
    /// its evidence; the case's own fields are its last run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attempts: Vec<Attempt>,
}

/// One earlier run of a case that did not pass.
/// What a generated case varies (`generate:` in the suite): the report groups such cases by
/// block and member.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Generated {
    /// The `generate` block's id.
    pub from: String,
    /// The member's JSON pointer in the body.
    pub member: String,
    /// `missing`, `null`, `wrong_type`, `exact_max_length`, …
    pub violation: String,
    /// A valid boundary (expects success), not a violation.
    pub valid: bool,
    /// Its place among the block's cases (they share the block's place in the file): what
    /// puts merged shards back in suite order.
    pub order: usize,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Attempt {
    pub outcome: Outcome,
    pub duration_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Text>,
    pub steps: Vec<StepResult>,
}

impl CaseResult {
    /// Runs `again` while the case fails or errs, up to `reruns` more times. A case that then
    /// passes is flaky; each run that did not pass is kept as an attempt, with its evidence.
    pub async fn rerun_failed<F: Future<Output = CaseResult>>(
        mut self,
        reruns: u32,
        mut again: impl FnMut() -> F,
    ) -> CaseResult {
        let mut attempts = Vec::new();
        while matches!(self.outcome, Outcome::Fail | Outcome::Error)
            && attempts.len() < reruns as usize
        {
            let next = again().await;
            let failed = std::mem::replace(&mut self, next);
            for (id, tally) in &failed.invariants {
                let sum = self.invariants.entry(id.clone()).or_default();
                sum.checked += tally.checked;
                sum.violated += tally.violated;
            }
            attempts.push(Attempt {
                outcome: failed.outcome,
                duration_ms: failed.duration_ms,
                error: failed.error,
                steps: failed.steps,
            });
        }
        if !attempts.is_empty() && self.outcome == Outcome::Pass {
            self.outcome = Outcome::Flaky;
        }
        self.attempts = attempts;
        self
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StepResult {
    /// 1-based, as a person counts steps in the file.
    pub index: usize,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub place: Place,
    pub outcome: Outcome,
    pub duration_ms: u64,
    /// How many requests were sent (more than one for a poll).
    pub attempts: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Text>,
    pub checks: Vec<CheckResult>,
    /// The (last) request and response exchanged, masked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exchange: Option<Exchange>,
    /// What a load step measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load: Option<LoadSummary>,
    /// An await's measured delay: from the start of its window (`since` a step, or its own
    /// start) to the first matching request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    /// Every request an await matched, in the order they arrived (the first `MAX_ARRIVALS`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arrivals: Vec<Arrival>,
    /// Matching requests beyond `MAX_ARRIVALS`, counted only.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub arrivals_not_kept: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Arrivals an await keeps as evidence, and how many of them with the whole exchange.
pub const MAX_ARRIVALS: usize = 1000;
pub const MAX_ARRIVAL_EXCHANGES: usize = 20;

/// One request an await matched: when it came, what it carried (as a digest), and for the
/// first `MAX_ARRIVAL_EXCHANGES` the request itself, masked.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Arrival {
    /// From the start of the await's window: negative for a request the `since` step caused
    /// before it had its answer.
    pub after_ms: i64,
    /// From the matching request before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gap_ms: Option<u64>,
    pub method: String,
    pub path: String,
    /// The body's size as received, and the SHA-256 of the bytes the portal kept.
    pub bytes: usize,
    pub sha256: String,
    /// The portal's answer.
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange: Option<Exchange>,
}

/// A load step's measurements: counts, throughput and latency percentiles (from an HDR
/// histogram of every successful answer, in ms with microsecond precision).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct LoadSummary {
    pub users: usize,
    pub requests: u64,
    /// Answered with an accepted status; the latencies are theirs.
    #[serde(default)]
    pub successes: u64,
    pub errors: u64,
    pub error_rate: f64,
    pub duration_ms: u64,
    pub throughput_rps: f64,
    pub latency_ms: Latency,
    /// Responses by status, and `error` for transport failures.
    pub outcomes: std::collections::BTreeMap<String, u64>,
    /// The first few failures, as said.
    pub error_samples: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Latency {
    pub min: f64,
    pub mean: f64,
    pub p50: f64,
    pub p90: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Exchange {
    pub request: RequestRecord,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<ResponseRecord>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RequestRecord {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<BodyRecord>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ResponseRecord {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: BodyRecord,
    pub elapsed_ms: u64,
}

/// A body as recorded: text (cut to a limit) or a note that it was binary.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BodyRecord {
    pub bytes: usize,
    pub text: String,
    pub truncated: bool,
    pub binary: bool,
}

/// Only pending cases trace to the requirement (and no invariant): it is not tested yet.
fn pending_only(suite: &Suite, id: &str) -> bool {
    let tracing: Vec<bool> = suite
        .cases()
        .filter(|(_, c)| c.value.requirements.iter().any(|x| x.value == id))
        .map(|(_, c)| c.value.pending)
        .collect();
    let by_invariant = suite
        .invariants
        .iter()
        .any(|(_, i)| i.value.requirements.iter().any(|x| x.value == id));
    !tracing.is_empty() && tracing.iter().all(|p| *p) && !by_invariant
}

impl RunResults {
    /// The frame of a run before any case finishes: every requirement, no cases yet.
    pub fn start(suite: &Suite, target: &str, selection: Selection, started_at: String) -> Self {
        let requirements = suite
            .requirements
            .iter()
            .map(|r| RequirementInfo {
                id: r.id.value.clone(),
                level: r.level,
                text_th: r.text_th.clone(),
                text_en: r.text_en.clone(),
                not_tested_reason: r.not_tested_reason.clone().or_else(|| {
                    pending_only(suite, &r.id.value)
                        .then(|| "ยังไม่ได้เขียนกรณีทดสอบ (case not written yet)".to_string())
                }),
                section: suite
                    .proposal
                    .as_ref()
                    .and_then(|p| p.parsed.clauses.iter().find(|c| c.id == r.id.value))
                    .map(|c| c.section.clone()),
                partly_tested: r
                    .coverage
                    .as_ref()
                    .filter(|c| c.value == Coverage::Partial)
                    .map(|_| {
                        let th = r.coverage_reason_th.clone().unwrap_or_default();
                        let en = r.coverage_reason_en.clone().unwrap_or_else(|| th.clone());
                        Text::new(th, en)
                    }),
                cases: suite
                    .cases()
                    .filter(|(_, c)| !c.value.pending)
                    .filter(|(_, c)| c.value.requirements.iter().any(|x| x.value == r.id.value))
                    .map(|(_, c)| c.value.id.value.clone())
                    .collect(),
                invariants: suite
                    .invariants
                    .iter()
                    .filter(|(_, i)| i.value.requirements.iter().any(|x| x.value == r.id.value))
                    .map(|(_, i)| i.value.id.value.clone())
                    .collect(),
            })
            .collect();
        let invariants = suite
            .invariants
            .iter()
            .map(|(_, i)| InvariantInfo {
                id: i.value.id.value.clone(),
                title_th: i.value.title_th.clone(),
                title_en: i.value.title_en.clone(),
                requirements: i
                    .value
                    .requirements
                    .iter()
                    .map(|r| r.value.clone())
                    .collect(),
                side: i.value.when.side,
            })
            .collect();
        let m = &suite.meta;
        Self {
            cpc_version: crate::VERSION.to_string(),
            run: RunIdentity::default(),
            suite: SuiteInfo {
                id: m.id.clone(),
                service_code: m.service_code.clone(),
                name_th: m.name_th.clone(),
                name_en: m.name_en.clone(),
                agency_th: m.agency_th.clone(),
                agency_en: m.agency_en.clone(),
                proposal_version: m.proposal_version.clone(),
                digest: suite.digest.clone(),
                proposal_digest: suite.proposal.as_ref().map(|p| p.digest.clone()),
                proposal_file: m.proposal.as_ref().map(|p| p.value.clone()),
            },
            target: target.to_string(),
            reference_target: false,
            tester: None,
            round: None,
            report: ReportOptions::default(),
            waivers: Vec::new(),
            waiver_policy: m.waiver_policy.clone().unwrap_or_default(),
            previous_round: None,
            actors: m.actors.clone(),
            started_at,
            finished_at: None,
            selection,
            interrupted: false,
            requirements,
            invariants,
            cases: Vec::new(),
        }
    }

    pub fn case(&self, id: &str) -> Option<&CaseResult> {
        self.cases.iter().find(|c| c.id == id)
    }
}

#[cfg(test)]
mod shard_tests {
    use super::Shard;

    #[test]
    fn every_case_is_in_exactly_one_shard_and_shares_are_even() {
        let ids: Vec<String> = (0..3000).map(|i| format!("CASE-{i:04}")).collect();
        for total in 1..=7 {
            let mut sizes = vec![0usize; total as usize];
            for id in &ids {
                let holding: Vec<u32> = (1..=total)
                    .filter(|&index| Shard { index, total }.holds(id))
                    .collect();
                assert_eq!(holding.len(), 1, "{id} of {total}");
                sizes[holding[0] as usize - 1] += 1;
            }
            let even = ids.len() / total as usize;
            assert!(sizes.iter().all(|&s| s > even * 8 / 10), "{sizes:?}");
        }
    }
}
