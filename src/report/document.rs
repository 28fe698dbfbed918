//! What a report says, computed from the results alone, in one language: the templates only lay
//! it out. Thai digits apply to dates and counts, never to identifiers, codes or evidence.

use std::collections::BTreeMap;

use serde::Serialize;

use super::exchange::render_step;
use super::thai_date::{Digits, digits, english_date, english_datetime, thai_date, thai_datetime};
use crate::check::Outcome;
use crate::gate::{Gate, InvariantResult, RequirementResult, Verdict};
use crate::i18n::Lang;
use crate::results::{CaseResult, RunResults};
use crate::suite::Level;
use crate::waiver::{JudgedWaiver, WaiverStatus};

/// Labels by key, each in Thai and English (from `templates/labels.json`).
pub type Labels = BTreeMap<String, BTreeMap<String, String>>;

#[derive(Serialize)]
pub struct Document {
    pub lang: &'static str,
    /// The labels in this document's language.
    pub l: BTreeMap<String, String>,
    pub title: String,
    pub meta: Vec<Row>,
    pub pass: bool,
    pub verdict: String,
    pub next_step: String,
    /// How much of a pass rests on waivers, when any does.
    pub waiver_share: Option<String>,
    pub partial: bool,
    pub interrupted: bool,
    pub observations: Vec<RequirementRow>,
    /// Waivers that let the gate pass over a requirement, and those not applied (with why).
    pub waivers: Vec<WaiverRow>,
    pub ignored_waivers: Vec<WaiverRow>,
    /// What changed since the previous round, when history knows one.
    pub compared: Option<Compared>,
    pub counts: Vec<Row>,
    /// Results by the service flow's roles, and within each by section (when cases name an actor).
    pub roles: Vec<RoleRow>,
    pub requirements: Vec<RequirementRow>,
    pub invariants: Vec<InvariantRow>,
    /// Generated cases, a row per member of each `generate` block.
    pub generated: Vec<super::generated::GeneratedRow>,
    pub failures: Vec<FailedCase>,
    pub fixes: Vec<Fix>,
    pub generated_by: String,
    /// SHA-256 of results.json, to match a printed page with its evidence bundle, and its QR
    /// code (inline SVG, made here from the digest alone).
    pub run_digest: Option<String>,
    pub run_qr: Option<String>,
}

#[derive(Serialize)]
pub struct Row {
    pub label: String,
    pub value: String,
}

#[derive(Clone, Serialize)]
pub struct RequirementRow {
    pub id: String,
    pub level: String,
    pub text: String,
    pub result: String,
    /// `pass`, `fail`, `error`, `not_run` or `not_tested`, for styling.
    pub class: String,
    pub cases: String,
    pub not_tested_reason: Option<String>,
    /// Tested only in part: what is not tested.
    pub partly_tested: Option<String>,
    /// A valid waiver lets the gate pass over it.
    pub waived: bool,
}

#[derive(Serialize)]
pub struct RoleRow {
    /// The role's label on its first row (its total), empty on its section rows.
    pub role: String,
    pub section: String,
    pub cases: String,
    pub passed: String,
    pub not_passed: String,
}

#[derive(Serialize)]
pub struct Compared {
    /// `ครั้งที่ ๑ — ๒๐ พฤศจิกายน ๒๕๖๙ เวลา …`
    pub previous: String,
    pub fixed: String,
    pub still_failing: String,
    pub regressions: String,
    /// Said when the suite differs from the one that round ran.
    pub suite_changed: bool,
}

#[derive(Serialize)]
pub struct WaiverRow {
    pub requirement: String,
    pub reason: String,
    pub approved_by: String,
    pub approved_on: String,
    pub expires_on: String,
    /// Why it was not applied (empty when it was), and where it was written.
    pub why: String,
    pub place: String,
}

#[derive(Serialize)]
pub struct InvariantRow {
    pub id: String,
    pub title: String,
    pub requirements: String,
    pub result: String,
    /// `pass`, `fail` or `not_exercised`, for styling.
    pub class: String,
    pub checked: String,
    pub violated_in: String,
}

#[derive(Serialize)]
pub struct FailedCase {
    pub id: String,
    pub title: String,
    pub requirements: String,
    pub outcome: String,
    pub problems: Vec<Problem>,
    pub exchanges: Vec<String>,
}

#[derive(Serialize)]
pub struct Problem {
    pub step: String,
    pub check: String,
    pub message: String,
    pub expected: Option<String>,
    pub actual: Option<String>,
    /// The start of the body a failed body check looked at.
    pub excerpt: Option<String>,
    pub place: String,
}

#[derive(Serialize)]
pub struct Fix {
    pub id: String,
    pub text: String,
    pub items: Vec<String>,
}

/// Options a run's reports are rendered with (kept in results.json, so `cpc report` redoes
/// them the same way).
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub lang: Lang,
    pub digits: Digits,
}

pub fn build(
    results: &RunResults,
    gate: &Gate,
    labels: &Labels,
    style: Style,
    run_digest: Option<&str>,
) -> Document {
    let lang = style.lang;
    let code = match lang {
        Lang::Th => "th",
        Lang::En => "en",
    };
    let l: BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| (k.clone(), v.get(code).cloned().unwrap_or_default()))
        .collect();
    let label = |key: &str| l.get(key).cloned().unwrap_or_else(|| key.to_string());
    let num = |n: usize| match lang {
        Lang::Th => digits(&n.to_string(), style.digits),
        Lang::En => n.to_string(),
    };
    let when = |at: &str| match lang {
        Lang::Th => thai_datetime(at, style.digits),
        Lang::En => english_datetime(at),
    };
    let pick = |th: &str, en: &Option<String>| in_lang(lang, th, en);
    let s = &results.suite;
    let service_name = pick(&s.name_th, &s.name_en);
    let title = match lang {
        Lang::Th => format!("{}{}", label("title"), service_name),
        Lang::En => format!("{} {}", label("title"), service_name),
    };

    let mut meta = vec![
        Row {
            label: label("service"),
            value: service_name,
        },
        Row {
            label: label("service_code"),
            value: s.service_code.clone(),
        },
        Row {
            label: label("agency"),
            value: pick(&s.agency_th, &s.agency_en),
        },
        Row {
            label: label("proposal_version"),
            value: s.proposal_version.clone(),
        },
        Row {
            label: label("tested_at"),
            value: when(&results.started_at),
        },
    ];
    if let Some(finished) = &results.finished_at {
        meta.push(Row {
            label: label("finished_at"),
            value: when(finished),
        });
    }
    let target = if results.reference_target {
        label("reference_target")
    } else {
        results.target.clone()
    };
    meta.push(Row {
        label: label("target"),
        value: target,
    });
    if let Some(tester) = &results.tester {
        meta.push(Row {
            label: label("tester"),
            value: tester.clone(),
        });
    }
    if let Some(round) = results.round {
        meta.push(Row {
            label: label("round"),
            value: num(round as usize),
        });
    }
    meta.push(Row {
        label: label("suite"),
        value: s.id.clone(),
    });
    meta.push(Row {
        label: label("cpc_version"),
        value: format!("cpc {}", results.cpc_version),
    });
    if let Some(file) = &s.proposal_file {
        meta.push(Row {
            label: label("proposal_file"),
            value: file.clone(),
        });
    }
    if let Some(digest) = &s.proposal_digest {
        meta.push(Row {
            label: label("proposal_digest"),
            value: digest.clone(),
        });
    }
    // Last: the template sets the last row in the digest's type.
    meta.push(Row {
        label: label("suite_digest"),
        value: s.digest.clone(),
    });

    let pass = gate.verdict == Verdict::Pass;
    let next = |key: &str| match lang {
        Lang::Th => digits(&label(key), style.digits),
        Lang::En => label(key),
    };

    let requirement_rows = requirement_rows(results, gate, &label, &num, lang);
    let invariant_rows = invariant_rows(results, gate, &label, &num, lang);

    let counts = count_rows(gate, &label, &num);

    let failures: Vec<FailedCase> = results
        .cases
        .iter()
        .filter(|c| {
            matches!(
                c.outcome,
                Outcome::Fail | Outcome::Error | Outcome::Interrupted | Outcome::Flaky
            )
        })
        .map(|c| failed_case(c, lang))
        .collect();

    let fixes = fixes(results, gate, &requirement_rows, &failures);

    let day = |ymd: &Option<String>| {
        let ymd = ymd.as_deref().unwrap_or("");
        match lang {
            Lang::Th => thai_date(ymd, style.digits),
            Lang::En => english_date(ymd),
        }
    };
    let waiver_row = |w: &JudgedWaiver| {
        let (th, en) = w.status.why();
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        WaiverRow {
            requirement: text(&w.waiver.requirement),
            reason: text(&w.waiver.reason_th),
            approved_by: text(&w.waiver.approved_by),
            approved_on: day(&w.waiver.approved_on),
            expires_on: day(&w.waiver.expires_on),
            why: match (w.status.applies(), lang) {
                (true, _) => String::new(),
                (false, Lang::Th) => th,
                (false, Lang::En) => en,
            },
            place: w.waiver.place.clone(),
        }
    };
    // A waiver for a requirement that passed changes nothing: not worth a line.
    let (waivers, ignored_waivers) = gate
        .waivers
        .iter()
        .filter(|w| w.status != WaiverStatus::NotNeeded)
        .partition::<Vec<_>, _>(|w| w.status.applies());
    let verdict = match (pass, gate.waived.is_empty()) {
        (true, true) => "pass",
        (true, false) => "pass_waived",
        (false, _) => "fail",
    };

    let compared = super::console::comparison(results, gate).map(|c| {
        let list = |ids: &[String]| match ids.is_empty() {
            true => label("none"),
            false => ids.join(", "),
        };
        Compared {
            previous: format!(
                "{} {} — {}",
                label("compared_with"),
                num(c.previous_round as usize),
                when(&c.previous_at)
            ),
            fixed: list(&c.fixed),
            still_failing: list(&c.still_failing),
            regressions: list(&c.regressions),
            suite_changed: c.suite_changed,
        }
    });

    let roles = role_rows(results, &label, &num, lang);

    Document {
        lang: code,
        roles,
        run_digest: run_digest.map(str::to_string),
        run_qr: run_digest.and_then(crate::bundle::qr_svg),
        compared,
        waivers: waivers.into_iter().map(waiver_row).collect(),
        ignored_waivers: ignored_waivers.into_iter().map(waiver_row).collect(),
        title,
        meta,
        pass,
        verdict: label(verdict),
        next_step: next(if pass { "next_pass" } else { "next_fail" }),
        waiver_share: super::console::waiver_share(gate, lang),
        partial: results.selection.partial,
        interrupted: results.interrupted,
        observations: requirement_rows
            .iter()
            .filter(|r| gate.observations.contains(&r.id))
            .cloned()
            .collect(),
        counts,
        requirements: requirement_rows,
        invariants: invariant_rows,
        generated: super::generated::rows(results, lang, &num),
        failures,
        fixes,
        generated_by: format!("{} cpc {}", label("generated_by"), results.cpc_version),
        l,
    }
}

/// The section a case belongs to: its first requirement's in the proposal, else its file's name.
fn case_section(results: &RunResults, c: &CaseResult) -> String {
    c.requirements
        .first()
        .and_then(|id| results.requirements.iter().find(|r| r.id == *id))
        .and_then(|r| r.section.clone())
        .unwrap_or_else(|| {
            std::path::Path::new(&c.place.file)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
}

/// The counts at the head of the report: cases by outcome, requirements of each level and how
/// many passed, and how many were partly tested.
fn count_rows(
    gate: &Gate,
    label: &dyn Fn(&str) -> String,
    num: &dyn Fn(usize) -> String,
) -> Vec<Row> {
    let count_level = |level: Level| {
        let all: Vec<_> = gate
            .requirements
            .iter()
            .filter(|r| r.level == level)
            .collect();
        let passed = all
            .iter()
            .filter(|r| r.result == RequirementResult::Pass)
            .count();
        (all.len(), passed)
    };
    let c = &gate.cases;
    let partly = gate.partly_tested.len();
    let (must, must_passed) = count_level(Level::Must);
    let (should, should_passed) = count_level(Level::Should);
    let counts = vec![
        Row {
            label: label("cases"),
            value: format!(
                "{} {} — {} {}, {} {}, {} {}, {} {}",
                label("total"),
                num(c.total),
                label("cases_passed"),
                num(c.passed),
                label("cases_failed"),
                num(c.failed),
                label("cases_error"),
                num(c.error),
                label("cases_skipped"),
                num(c.interrupted
                    + c.total
                        .saturating_sub(c.passed + c.failed + c.error + c.interrupted + c.flaky)),
            ) + &match c.flaky {
                0 => String::new(),
                n => format!(", {} {}", label("cases_flaky"), num(n)),
            },
        },
        Row {
            label: format!("{} ({})", label("requirements"), label("level_must")),
            value: format!(
                "{} {} — {} {}",
                label("total"),
                num(must),
                label("of_which_passed"),
                num(must_passed)
            ),
        },
        Row {
            label: format!("{} ({})", label("requirements"), label("level_should")),
            value: format!(
                "{} {} — {} {}",
                label("total"),
                num(should),
                label("of_which_passed"),
                num(should_passed)
            ),
        },
    ];
    let mut counts = counts;
    if partly > 0 {
        counts.push(Row {
            label: label("partly_tested_count"),
            value: num(partly),
        });
    }
    counts
}

/// For each requirement not shown to hold, what the agency must fix: the problems of the failed
/// cases tracing to it, and the violations of its invariants wherever they were seen.
fn fixes(
    results: &RunResults,
    gate: &Gate,
    requirement_rows: &[RequirementRow],
    failures: &[FailedCase],
) -> Vec<Fix> {
    gate.requirements
        .iter()
        .filter(|r| r.result.is_failure())
        .map(|r| {
            let row = requirement_rows.iter().find(|x| x.id == r.id);
            // The invariants tracing to it: their violations are its to fix, in whichever
            // case they were seen.
            let prefixes: Vec<String> = results
                .invariants
                .iter()
                .filter(|i| i.requirements.contains(&r.id))
                .map(|i| format!("invariant {}:", i.id))
                .collect();
            let items = failures
                .iter()
                .flat_map(|f| {
                    let traced = f.requirements.split(", ").any(|id| id == r.id);
                    let prefixes = &prefixes;
                    f.problems
                        .iter()
                        .filter(move |p| traced || prefixes.iter().any(|x| p.check.starts_with(x)))
                        .map(move |p| format!("{} — {}: {}", f.id, p.check, p.message))
                })
                .collect();
            Fix {
                id: r.id.clone(),
                text: row.map(|x| x.text.clone()).unwrap_or_default(),
                items,
            }
        })
        .collect()
}

/// The English text when the reader asked for English and there is one, else the Thai.
fn in_lang(lang: Lang, th: &str, en: &Option<String>) -> String {
    match (lang, en) {
        (Lang::En, Some(en)) => en.clone(),
        _ => th.to_string(),
    }
}

/// A row per requirement, in the gate's order: its level, text, result and the cases and
/// invariants that trace to it (a block's generated cases once).
fn requirement_rows(
    results: &RunResults,
    gate: &Gate,
    label: &dyn Fn(&str) -> String,
    num: &dyn Fn(usize) -> String,
    lang: Lang,
) -> Vec<RequirementRow> {
    let pick = |th: &str, en: &Option<String>| in_lang(lang, th, en);
    gate.requirements
        .iter()
        .map(|r| {
            let info = results.requirements.iter().find(|i| i.id == r.id);
            let class = match r.result {
                RequirementResult::Pass => "pass",
                RequirementResult::Fail => "fail",
                RequirementResult::Error => "error",
                RequirementResult::NotRun => "not_run",
                RequirementResult::NotTested => "not_tested",
                RequirementResult::Flaky => "flaky",
            };
            RequirementRow {
                id: r.id.clone(),
                level: label(match r.level {
                    Level::Must => "level_must",
                    Level::Should => "level_should",
                }),
                text: info
                    .map(|i| pick(&i.text_th, &i.text_en))
                    .unwrap_or_default(),
                result: label(&format!("result_{class}")),
                class: class.to_string(),
                cases: super::generated::case_list(&r.cases, results, lang, num)
                    .into_iter()
                    .chain(info.iter().flat_map(|i| i.invariants.iter().cloned()))
                    .collect::<Vec<_>>()
                    .join(", "),
                not_tested_reason: info.and_then(|i| i.not_tested_reason.clone()),
                partly_tested: info
                    .and_then(|i| i.partly_tested.as_ref())
                    .map(|why| why.get(lang).to_string()),
                waived: r.waived,
            }
        })
        .collect()
}

/// A row per invariant: what it judged, and where it was broken.
fn invariant_rows(
    results: &RunResults,
    gate: &Gate,
    label: &dyn Fn(&str) -> String,
    num: &dyn Fn(usize) -> String,
    lang: Lang,
) -> Vec<InvariantRow> {
    gate.invariants
        .iter()
        .map(|v| {
            let info = results.invariants.iter().find(|i| i.id == v.id);
            let class = match v.result {
                InvariantResult::Pass => "pass",
                InvariantResult::Fail => "fail",
                InvariantResult::NotExercised => "not_exercised",
            };
            InvariantRow {
                id: v.id.clone(),
                title: info
                    .and_then(|i| match (lang, &i.title_en) {
                        (Lang::En, Some(en)) => Some(en.clone()),
                        _ => i.title_th.clone(),
                    })
                    .unwrap_or_default(),
                requirements: v.requirements.join(", "),
                result: label(&format!("invariant_{class}")),
                class: class.to_string(),
                checked: num(v.checked as usize),
                // A block's generated cases once, with how many: not 13 ids for one field.
                violated_in: super::generated::case_list(&v.violated_in, results, lang, num)
                    .join(", "),
            }
        })
        .collect()
}

/// Each role's cases (citizen, staff, admin, the suite's own, then cases naming none): a total
/// row, then a row per section in suite order. Nothing when no case names an actor.
fn role_rows(
    results: &RunResults,
    label: &dyn Fn(&str) -> String,
    num: &dyn Fn(usize) -> String,
    lang: Lang,
) -> Vec<RoleRow> {
    if results.cases.iter().all(|c| c.actor.is_none()) {
        return Vec::new();
    }
    let mut roles: Vec<Option<String>> = crate::suite::ACTORS
        .iter()
        .map(|a| Some(a.to_string()))
        .chain(results.actors.keys().cloned().map(Some))
        .collect();
    roles.push(None);
    let role_label = |role: &Option<String>| match role {
        None => label("role_none"),
        Some(r) if crate::suite::ACTORS.contains(&r.as_str()) => label(&format!("role_{r}")),
        Some(r) => results
            .actors
            .get(r)
            .map(|a| match (lang, &a.en) {
                (Lang::En, Some(en)) => en.clone(),
                _ => a.th.clone(),
            })
            .unwrap_or_else(|| r.clone()),
    };
    let counts = |cases: &[&CaseResult]| {
        let passed = cases.iter().filter(|c| c.outcome == Outcome::Pass).count();
        let run = cases
            .iter()
            .filter(|c| c.outcome != Outcome::NotRun)
            .count();
        (num(cases.len()), num(passed), num(run - passed))
    };
    let mut rows = Vec::new();
    for role in &roles {
        let cases: Vec<&CaseResult> = results.cases.iter().filter(|c| c.actor == *role).collect();
        if cases.is_empty() {
            continue;
        }
        let (all, passed, not_passed) = counts(&cases);
        rows.push(RoleRow {
            role: role_label(role),
            section: label("all_sections"),
            cases: all,
            passed,
            not_passed,
        });
        let mut sections: Vec<String> = Vec::new();
        for c in &cases {
            let s = case_section(results, c);
            if !sections.contains(&s) {
                sections.push(s);
            }
        }
        for section in sections {
            let in_section: Vec<&CaseResult> = cases
                .iter()
                .copied()
                .filter(|c| case_section(results, c) == section)
                .collect();
            let (all, passed, not_passed) = counts(&in_section);
            rows.push(RoleRow {
                role: String::new(),
                section,
                cases: all,
                passed,
                not_passed,
            });
        }
    }
    rows
}

fn failed_case(c: &CaseResult, lang: Lang) -> FailedCase {
    let title = match (lang, &c.title_en) {
        (Lang::En, Some(en)) => en.clone(),
        _ => c.title_th.clone(),
    };
    let mut problems = Vec::new();
    let mut exchanges = Vec::new();
    // Each earlier run that did not pass (`--rerun-failed`), then the last one.
    let runs = c
        .attempts
        .iter()
        .map(|a| (a.outcome, &a.error, &a.steps))
        .chain(std::iter::once((c.outcome, &c.error, &c.steps)));
    for (i, (outcome, error, steps)) in runs.enumerate() {
        let attempt = match (c.attempts.is_empty(), lang) {
            (true, _) => String::new(),
            (false, Lang::Th) => format!("ครั้งที่ {} · ", i + 1),
            (false, Lang::En) => format!("attempt {} · ", i + 1),
        };
        if let Some(error) = error {
            problems.push(Problem {
                step: attempt.trim_end_matches(" · ").to_string(),
                check: outcome.label(lang).to_string(),
                message: error.get(lang).to_string(),
                expected: None,
                actual: None,
                excerpt: None,
                place: c.place.to_string(),
            });
        }
        for step in steps {
            let step_label = format!("{attempt}{} {}", step.kind, step.index);
            if let Some(error) = &step.error {
                problems.push(Problem {
                    step: step_label.clone(),
                    check: step.outcome.label(lang).to_string(),
                    message: error.get(lang).to_string(),
                    expected: None,
                    actual: None,
                    excerpt: None,
                    place: step.place.to_string(),
                });
            }
            for check in step.checks.iter().filter(|k| k.outcome != Outcome::Pass) {
                problems.push(Problem {
                    step: step_label.clone(),
                    check: check.check.clone(),
                    message: check.message.get(lang).to_string(),
                    expected: check.expected.clone(),
                    actual: check.actual.clone(),
                    excerpt: check.excerpt.clone(),
                    place: check.place.as_ref().unwrap_or(&step.place).to_string(),
                });
            }
        }
        exchanges.extend(
            steps
                .iter()
                .filter(|s| {
                    matches!(s.outcome, Outcome::Fail | Outcome::Error) && s.exchange.is_some()
                })
                .map(|s| format!("{attempt}{}", render_step(s))),
        );
    }
    FailedCase {
        id: c.id.clone(),
        title,
        requirements: c.requirements.join(", "),
        outcome: c.outcome.label(lang).to_string(),
        problems,
        exchanges,
    }
}
