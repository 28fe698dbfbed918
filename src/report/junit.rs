//! JUnit XML for CI (GitLab, Jenkins): one `<testsuite>` per suite, one `<testcase>` per case
//! whose name starts with the case id and lists its requirements; `<failure>` for failed
//! checks, `<error>` for could-not-evaluate; the exchanges in `<system-out>`.

use junit_report::{Duration, OffsetDateTime, ReportBuilder, TestCase, TestSuiteBuilder};
use time::format_description::well_known::Rfc3339;

use super::escape::{cdata_content, xml_text};
use super::exchange::render_step;
use super::junit_extras::{CaseExtras, Extras, Rerun};
use crate::check::Outcome;
use crate::i18n::{Lang, Text};
use crate::results::{CaseResult, RunResults, StepResult};

pub fn render(results: &RunResults, lang: Lang) -> Result<String, String> {
    let cases: Vec<TestCase> = results
        .cases
        .iter()
        .map(|c| testcase(c, &results.suite.service_code, lang))
        .collect();
    let extras = extras(results, lang);
    let timestamp =
        OffsetDateTime::parse(&results.started_at, &Rfc3339).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let name = xml_text(&format!("{} — {}", results.suite.id, results.suite.name_th));
    let suite = TestSuiteBuilder::new(&name)
        .add_testcases(cases)
        .set_timestamp(timestamp)
        .build();
    let mut xml = Vec::new();
    ReportBuilder::new()
        .add_testsuite(suite)
        .build()
        .write_xml(&mut xml)
        .map_err(|e| e.to_string())?;
    super::junit_extras::insert(&String::from_utf8_lossy(&xml), &extras)
}

/// The name junit-report gives a case's `<testcase>`.
fn case_name(case: &CaseResult, lang: Lang) -> String {
    let title = match (lang, &case.title_en) {
        (Lang::En, Some(en)) => en,
        _ => &case.title_th,
    };
    xml_text(&format!(
        "{} [{}] {}",
        case.id,
        case.requirements.join(", "),
        title
    ))
}

/// Properties: each requirement tested only in part, on the suite and on every case tracing
/// to it (`cpc.partly_tested`: `TP-x.y: what is not tested`); the role a case plays in the
/// service's process (`cpc.actor`: citizen, staff, admin or the suite's own).
fn extras(results: &RunResults, lang: Lang) -> Extras {
    let partly: Vec<(String, String)> = results
        .requirements
        .iter()
        .filter_map(|r| {
            r.partly_tested
                .as_ref()
                .map(|why| (r.id.clone(), why.get(lang).to_string()))
        })
        .collect();
    let property =
        |(id, why): &(String, String)| ("cpc.partly_tested".to_string(), format!("{id}: {why}"));
    let mut extras = Extras {
        suite: partly.iter().map(property).collect(),
        ..Extras::default()
    };
    for case in &results.cases {
        let more = CaseExtras {
            properties: case
                .actor
                .iter()
                .map(|actor| ("cpc.actor".to_string(), actor.clone()))
                .chain(
                    partly
                        .iter()
                        .filter(|(id, _)| case.requirements.contains(id))
                        .map(property),
                )
                .collect(),
            reruns: reruns(case, lang),
        };
        if !more.properties.is_empty() || !more.reruns.is_empty() {
            extras.cases.insert(case_name(case, lang), more);
        }
    }
    extras
}

/// A case's earlier runs that did not pass: flaky ones when it passed at last, reruns when not.
fn reruns(case: &CaseResult, lang: Lang) -> Vec<Rerun> {
    let flaky = case.outcome == Outcome::Flaky;
    case.attempts
        .iter()
        .map(|a| {
            let failure = a.outcome == Outcome::Fail;
            let element = match (flaky, failure) {
                (true, true) => "flakyFailure",
                (true, false) => "flakyError",
                (false, true) => "rerunFailure",
                (false, false) => "rerunError",
            };
            let problems = problems(&a.error, &a.steps, a.outcome, lang);
            Rerun {
                element,
                message: problems.lines().next().unwrap_or_default().to_string(),
                kind: if failure { "assertion" } else { "error" }.to_string(),
                problems,
                system_out: a
                    .steps
                    .iter()
                    .filter(|s| s.outcome != Outcome::NotRun)
                    .map(render_step)
                    .collect::<Vec<_>>()
                    .join("\n"),
            }
        })
        .collect()
}

fn testcase(case: &CaseResult, classname: &str, lang: Lang) -> TestCase {
    let title = match (lang, &case.title_en) {
        (Lang::En, Some(en)) => en,
        _ => &case.title_th,
    };
    // Everything here may quote what the target sent: XML-safe text, CDATA that cannot close.
    let name = xml_text(&format!(
        "{} [{}] {}",
        case.id,
        case.requirements.join(", "),
        title
    ));
    let time = Duration::milliseconds(case.duration_ms as i64);
    let problems = xml_text(&problems(&case.error, &case.steps, case.outcome, lang));
    let mut tc = match case.outcome {
        // Passed at last: Surefire's flaky test, its failed runs in <flakyFailure>.
        Outcome::Pass | Outcome::Flaky => TestCase::success(&name, time),
        Outcome::Fail => TestCase::failure(&name, time, "assertion", &problems),
        Outcome::Error => TestCase::error(&name, time, "error", &problems),
        Outcome::Interrupted => TestCase::error(&name, time, "interrupted", &problems),
        Outcome::NotRun => TestCase::skipped(&name),
    };
    tc.set_classname(&xml_text(classname));
    tc.set_filepath(&xml_text(&case.place.to_string()));
    // What was exchanged, for a case that did not pass: a passing case's exchanges are in
    // results.json, and leaving them out keeps JUnit (and a run's memory) small.
    let out: Vec<String> = case
        .steps
        .iter()
        .filter(|s| s.outcome != Outcome::NotRun && case.outcome != Outcome::Pass)
        .map(render_step)
        .collect();
    if !out.is_empty() {
        tc.set_system_out(&cdata_content(&out.join("\n")));
    }
    tc
}

/// Every failed or errored check of a run, one per line: `check: expected … got …  (file:line:col)`.
fn problems(error: &Option<Text>, steps: &[StepResult], outcome: Outcome, lang: Lang) -> String {
    let mut lines: Vec<String> = error.iter().map(|e| e.get(lang).to_string()).collect();
    for step in steps {
        if let Some(e) = &step.error {
            lines.push(format!(
                "[{} {}] {} ({})",
                step.kind,
                step.index,
                e.get(lang),
                step.place
            ));
        }
        for check in step.checks.iter().filter(|c| c.outcome != Outcome::Pass) {
            let place = check.place.as_ref().unwrap_or(&step.place);
            lines.push(format!(
                "[{} {}] {}: {} ({place})",
                step.kind,
                step.index,
                check.check,
                check.message.get(lang)
            ));
        }
    }
    if lines.is_empty() && outcome == Outcome::Interrupted {
        lines.push(outcome.label(lang).to_string());
    }
    lines.join("\n")
}
