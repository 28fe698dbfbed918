//! Console output: one line per case as it finishes, then a summary and the verdict.
//! Thai by default, English with `--lang en`; colour only on a terminal without `NO_COLOR`.

use unicode_width::UnicodeWidthStr;

use super::escape::console_text;
use crate::check::Outcome;
use crate::gate::{Gate, RequirementResult, Verdict};
use crate::history::{Comparison, RoundRecord};
use crate::i18n::Lang;
use crate::i18n::Text;
use crate::results::{CaseResult, RunResults, StepResult};
use crate::suite::Level;
use crate::waiver::WaiverStatus;

pub struct Console {
    pub lang: Lang,
    pub colour: bool,
    /// Display width of the widest case id, for aligned columns.
    pub id_width: usize,
}

/// Pads to a display width (Thai marks take no column).
pub fn pad(text: &str, width: usize) -> String {
    let w = UnicodeWidthStr::width(text);
    format!("{text}{}", " ".repeat(width.saturating_sub(w)))
}

impl Console {
    pub fn new(lang: Lang, colour: bool, ids: impl Iterator<Item = usize>) -> Self {
        Self {
            lang,
            colour,
            id_width: ids.max().unwrap_or(0),
        }
    }

    fn paint(&self, outcome: Outcome, text: &str) -> String {
        let code = match outcome {
            Outcome::Pass => "32",
            Outcome::Fail => "31",
            Outcome::Error => "35",
            Outcome::Interrupted | Outcome::NotRun | Outcome::Flaky => "33",
        };
        if self.colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn outcome_width(&self) -> usize {
        [
            Outcome::Pass,
            Outcome::Fail,
            Outcome::Error,
            Outcome::Interrupted,
            Outcome::Flaky,
        ]
        .iter()
        .map(|o| UnicodeWidthStr::width(o.label(self.lang)))
        .max()
        .unwrap_or(0)
    }

    /// The case line, and under a case that did not pass, why, with the place of each check.
    pub fn case(&self, case: &CaseResult) -> String {
        let label = pad(case.outcome.label(self.lang), self.outcome_width());
        let title = match (self.lang, &case.title_en) {
            (Lang::En, Some(en)) => en,
            _ => &case.title_th,
        };
        let mut out = format!(
            "  {}  {}  {}  ({} ms)\n",
            self.paint(case.outcome, &label),
            pad(&console_text(&case.id), self.id_width),
            console_text(title),
            case.duration_ms
        );
        if case.outcome == Outcome::Pass {
            return out;
        }
        // Each earlier run that did not pass (`--rerun-failed`), then the last one.
        let runs = case
            .attempts
            .iter()
            .map(|a| (a.outcome, &a.error, &a.steps))
            .chain(std::iter::once((case.outcome, &case.error, &case.steps)));
        for (i, (outcome, error, steps)) in runs.enumerate() {
            if !case.attempts.is_empty() {
                let n = i + 1;
                out.push_str(&match self.lang {
                    Lang::Th => format!("    ครั้งที่ {n}: {}\n", outcome.label(self.lang)),
                    Lang::En => format!("    attempt {n}: {}\n", outcome.label(self.lang)),
                });
            }
            self.problems(&mut out, error, steps);
        }
        out
    }

    /// Why a run of a case did not pass: its error, and each step's error and failed checks.
    fn problems(&self, out: &mut String, error: &Option<Text>, steps: &[StepResult]) {
        if let Some(error) = error {
            out.push_str(&format!("      ✗ {}\n", console_text(error.get(self.lang))));
        }
        for step in steps
            .iter()
            .filter(|s| matches!(s.outcome, Outcome::Fail | Outcome::Error))
        {
            if let Some(error) = &step.error {
                out.push_str(&format!(
                    "      ✗ [{} {}] {}  ({})\n",
                    step.kind,
                    step.index,
                    console_text(error.get(self.lang)),
                    step.place
                ));
            }
            for check in step.checks.iter().filter(|c| c.outcome != Outcome::Pass) {
                let place = check.place.as_ref().unwrap_or(&step.place);
                out.push_str(&format!(
                    "      ✗ [{} {}] {}: {}  ({place})\n",
                    step.kind,
                    step.index,
                    console_text(&check.check),
                    console_text(check.message.get(self.lang))
                ));
                if let Some(excerpt) = &check.excerpt {
                    let label = if self.lang == Lang::Th {
                        "body ที่ได้"
                    } else {
                        "the body"
                    };
                    out.push_str(&format!("        {label}: {}\n", console_text(excerpt)));
                }
            }
        }
    }

    pub fn summary(&self, results: &RunResults, gate: &Gate) -> String {
        let c = &gate.cases;
        let th = self.lang == Lang::Th;
        let mut out = String::from("\n");
        // Flaky cases are counted only in runs that have them (`--rerun-failed`).
        let flaky = match (c.flaky, th) {
            (0, _) => String::new(),
            (n, true) => format!(", ไม่เสถียร {n}"),
            (n, false) => format!(", {n} flaky"),
        };
        out.push_str(&if th {
            format!(
                "สรุป: {} กรณี — ผ่าน {}, ไม่ผ่าน {}, ผิดพลาด {}, ถูกขัดจังหวะ {}{flaky}\n",
                c.total, c.passed, c.failed, c.error, c.interrupted
            )
        } else {
            format!(
                "Summary: {} cases — {} passed, {} failed, {} error, {} interrupted{flaky}\n",
                c.total, c.passed, c.failed, c.error, c.interrupted
            )
        });
        if let Some(shard) = results.selection.shard {
            out.push_str(&if th {
                format!(
                    "shard {shard}: ผลการตัดสินของชุดทดสอบทั้งชุดได้จากการรวมผลทุก shard (cpc merge)\n"
                )
            } else {
                format!("Shard {shard}: the suite's verdict comes from merging every shard (cpc merge)\n")
            });
        } else if results.selection.partial {
            out.push_str(if th {
                "การทดสอบบางส่วน (--case/--tag หรือรวมผลไม่ครบทุก shard): ผลการตัดสินจะไม่ผ่านจนกว่าจะทดสอบครบทุกกรณี\n"
            } else {
                "Partial run (--case/--tag, or not every shard merged): the gate cannot pass until every case runs\n"
            });
        }
        if results.interrupted {
            out.push_str(if th {
                "การทดสอบถูกขัดจังหวะ\n"
            } else {
                "The run was interrupted\n"
            });
        }
        let ids = |level: Level, keep: fn(RequirementResult) -> bool| -> String {
            let matching = gate
                .requirements
                .iter()
                .filter(|r| r.level == level && keep(r.result));
            matching
                .map(|r| r.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let lines = [
            (
                ids(Level::Must, RequirementResult::is_failure),
                "ข้อกำหนดระดับ \"ต้อง\" ที่ไม่ผ่าน",
                "Must requirements failed",
                false,
            ),
            (
                ids(Level::Must, RequirementResult::is_untested),
                "ข้อกำหนดระดับ \"ต้อง\" ที่ยังไม่ได้ทดสอบ (นับเป็นไม่ผ่าน)",
                "Must requirements not tested (count as not passed)",
                true,
            ),
            (
                ids(Level::Should, RequirementResult::is_failure),
                "ข้อสังเกต (ข้อกำหนดระดับ \"ควร\" ที่ไม่ผ่าน)",
                "Observations (should requirements failed)",
                false,
            ),
            (
                ids(Level::Should, RequirementResult::is_untested),
                "ข้อกำหนดระดับ \"ควร\" ที่ยังไม่ได้ทดสอบ",
                "Should requirements not tested",
                true,
            ),
        ];
        let not_exercised: Vec<&str> = gate
            .invariants
            .iter()
            .filter(|i| i.result == crate::gate::InvariantResult::NotExercised)
            .map(|i| i.id.as_str())
            .collect();
        let broken: Vec<&str> = gate
            .invariants
            .iter()
            .filter(|i| i.result == crate::gate::InvariantResult::Fail)
            .map(|i| i.id.as_str())
            .collect();
        let lines = lines.into_iter().chain([
            (
                broken.join(", "),
                "การตรวจทุกคำตอบที่พบการละเมิด",
                "Invariants broken",
                false,
            ),
            (
                not_exercised.join(", "),
                "การตรวจทุกคำตอบที่ไม่มีคำตอบให้ตรวจ",
                "Invariants not exercised (no exchange matched)",
                true,
            ),
        ]);
        // A shard leaves most requirements to the other shards: only what it broke counts.
        let shard = results.selection.shard.is_some();
        for (list, th_label, en_label, untested) in lines {
            let left_to_other_shards = shard && untested;
            if !list.is_empty() && !left_to_other_shards {
                let label = if th { th_label } else { en_label };
                out.push_str(&format!("{label}: {list}\n"));
            }
        }
        // A pass of a partly tested requirement is a pass of the tested part: say so.
        for p in &gate.partly_tested {
            let (label, why) = if th {
                ("ทดสอบเพียงบางส่วน", &p.reason_th)
            } else {
                ("Partly tested", &p.reason_en)
            };
            out.push_str(&format!("{label}: {} — {}\n", p.id, console_text(why)));
        }
        if let Some(c) = comparison(results, gate) {
            out.push_str(&self.comparison(&c));
        }
        // A waiver never hides a failure: name each one, and each that was not applied.
        for w in &gate.waivers {
            let id = w.waiver.requirement.as_deref().unwrap_or("?");
            let (why_th, why_en) = w.status.why();
            let line = match (&w.status, th) {
                (WaiverStatus::NotNeeded, _) => continue,
                (WaiverStatus::Applied, true) => format!(
                    "ข้อยกเว้น: {id} — อนุมัติโดย {} ใช้ได้ถึง {}",
                    w.waiver.approved_by.as_deref().unwrap_or(""),
                    w.waiver.expires_on.as_deref().unwrap_or("")
                ),
                (WaiverStatus::Applied, false) => format!(
                    "Waived: {id} — approved by {}, until {}",
                    w.waiver.approved_by.as_deref().unwrap_or(""),
                    w.waiver.expires_on.as_deref().unwrap_or("")
                ),
                (_, true) => format!("ข้อยกเว้นที่ไม่นำมาใช้: {id} — {why_th} ({})", w.waiver.place),
                (_, false) => format!("Waiver not applied: {id} — {why_en} ({})", w.waiver.place),
            };
            out.push_str(&console_text(&line));
            out.push('\n');
        }
        if shard {
            let (outcome, line) = match (gate.must_broken(), th) {
                (false, true) => (
                    Outcome::Pass,
                    "ผลของ shard นี้: ไม่พบข้อกำหนดระดับ \"ต้อง\" ที่ไม่ผ่าน",
                ),
                (false, false) => (Outcome::Pass, "This shard: no must requirement failed"),
                (true, true) => (Outcome::Fail, "ผลของ shard นี้: มีข้อกำหนดระดับ \"ต้อง\" ที่ไม่ผ่าน"),
                (true, false) => (Outcome::Fail, "This shard: must requirements failed"),
            };
            out.push_str(&self.paint(outcome, line));
            out.push('\n');
            return out;
        }
        let outcome = match gate.verdict {
            Verdict::Pass => Outcome::Pass,
            Verdict::Fail => Outcome::Fail,
        };
        out.push_str(&self.paint(outcome, &verdict_line(gate, self.lang)));
        // It names requirement ids read back from files (`cpc merge`): shown, never obeyed.
        if let Some(share) = waiver_share(gate, self.lang) {
            out.push_str(&format!("\n  {}", super::escape::console_text(&share)));
        }
        out.push('\n');
        out
    }
}

/// What changed since the previous round of the same suite against the same target.
pub fn comparison(results: &RunResults, gate: &Gate) -> Option<Comparison> {
    let previous = results.previous_round.as_ref()?;
    let now = RoundRecord::of(results, gate, results.round?);
    Some(crate::history::compare(previous, &now))
}

impl Console {
    fn comparison(&self, c: &Comparison) -> String {
        let th = self.lang == Lang::Th;
        let list = |ids: &[String]| match (ids.is_empty(), th) {
            (true, true) => "ไม่มี".to_string(),
            (true, false) => "none".to_string(),
            (false, _) => ids.join(", "),
        };
        let at = match self.lang {
            Lang::Th => crate::report::thai_date::thai_datetime(
                &c.previous_at,
                crate::report::thai_date::Digits::Arabic,
            ),
            Lang::En => crate::report::thai_date::english_datetime(&c.previous_at),
        };
        let lines = if th {
            [
                format!("เทียบกับครั้งก่อน (ครั้งที่ {}, {at}):", c.previous_round),
                format!("  แก้ไขแล้ว: {}", list(&c.fixed)),
                format!("  ยังไม่ผ่าน: {}", list(&c.still_failing)),
                format!("  ไม่ผ่านใหม่ (ถดถอย): {}", list(&c.regressions)),
            ]
        } else {
            [
                format!(
                    "Compared with the last round (round {}, {at}):",
                    c.previous_round
                ),
                format!("  fixed: {}", list(&c.fixed)),
                format!("  still failing: {}", list(&c.still_failing)),
                format!("  newly failing (regressions): {}", list(&c.regressions)),
            ]
        };
        let changed = match (c.suite_changed, th) {
            (false, _) => None,
            (true, true) => Some(
                "  ชุดทดสอบไม่ใช่ชุดเดียวกับครั้งก่อน: ผลที่ต่างไปอาจมาจากชุดทดสอบ ไม่ใช่ระบบ".to_string(),
            ),
            (true, false) => Some(
                "  the suite is not the one that round ran: a change may be the suite's, not the service's"
                    .to_string(),
            ),
        };
        lines
            .iter()
            .chain(changed.iter())
            .map(|l| console_text(l) + "\n")
            .collect()
    }
}

/// How much of a pass rests on waivers: `1 จาก 24 ข้อกำหนด ผ่านด้วยข้อยกเว้น`.
pub fn waiver_share(gate: &Gate, lang: Lang) -> Option<String> {
    if gate.waived.is_empty() {
        return None;
    }
    let (n, all) = (gate.waived.len(), gate.requirements.len());
    Some(match lang {
        Lang::Th => format!(
            "ข้อกำหนด {n} จาก {all} ข้อ ผ่านเกณฑ์ด้วยข้อยกเว้น ไม่ใช่ผลการทดสอบ ({})",
            gate.waived.join(", ")
        ),
        Lang::En => format!(
            "{n} of {all} requirements pass the gate by waiver, not by test ({})",
            gate.waived.join(", ")
        ),
    })
}

/// The verdict and the next step, in the words of the onboarding procedure.
pub fn verdict_line(gate: &Gate, lang: Lang) -> String {
    let waived = !gate.waived.is_empty();
    match (gate.verdict, lang) {
        (Verdict::Pass, Lang::Th) if waived => "ผลการตัดสิน: ผ่าน (มีข้อยกเว้น) → ขั้นตอนที่ 11 หน่วยงานมอบหมายเจ้าหน้าที่ดูแลระบบของงานบริการ".into(),
        (Verdict::Pass, Lang::En) if waived => "Verdict: PASS (with waivers) → step 11, the agency assigns the service's system administrators".into(),
        (Verdict::Pass, Lang::Th) => {
            "ผลการตัดสิน: ผ่าน → ขั้นตอนที่ 11 หน่วยงานมอบหมายเจ้าหน้าที่ดูแลระบบของงานบริการ".into()
        }
        (Verdict::Fail, Lang::Th) => {
            "ผลการตัดสิน: ไม่ผ่าน → กลับไปขั้นตอนที่ 9 หน่วยงานปรับระบบทางเทคนิค".into()
        }
        (Verdict::Pass, Lang::En) => {
            "Verdict: PASS → step 11, the agency assigns the service's system administrators".into()
        }
        (Verdict::Fail, Lang::En) => {
            "Verdict: FAIL → back to step 9, the agency adapts its systems".into()
        }
    }
}
