//! Generated cases in a report: one row per member of each `generate` block, with counts, so a
//! committee reads dozens of rows rather than hundreds (the failed ones are still shown in full
//! with the other failures); and a requirement's case list names the block once.

use std::collections::HashMap;

use serde::Serialize;

use crate::check::Outcome;
use crate::i18n::Lang;
use crate::results::{CaseResult, RunResults};

#[derive(Serialize)]
pub struct GeneratedRow {
    /// The `generate` block.
    pub from: String,
    /// The member's JSON pointer (`/applicant/citizen_id`; `(body)` for the whole body).
    pub member: String,
    /// What was tried, in order: `missing, null, wrong_type, format`.
    pub variations: String,
    pub cases: String,
    pub passed: String,
    pub not_passed: String,
}

/// What a generated case tried, as a Thai reader is told it; English keeps the names the case
/// ids carry (`…:/days:below_minimum`), which `--case` picks. A name not in the table (a newer
/// cpc's) is shown as it is.
fn violation_label(violation: &str, lang: Lang) -> String {
    if lang == Lang::En {
        return violation.to_string();
    }
    if let Some(n) = violation.strip_prefix("random_") {
        return format!("ค่าสุ่ม #{n}");
    }
    let th = match violation {
        "missing" => "ไม่มี",
        "null" => "เป็น null",
        "wrong_type" => "ชนิดผิด",
        "not_integer" => "ไม่ใช่จำนวนเต็ม",
        "not_in_enum" => "นอก enum",
        "not_const" => "ไม่ตรง const",
        "unexpected_property" => "สมาชิกเกิน",
        "below_min_length" => "สั้นกว่า minLength",
        "exact_min_length" => "ยาวเท่า minLength",
        "above_max_length" => "ยาวกว่า maxLength",
        "exact_max_length" => "ยาวเท่า maxLength",
        "pattern" => "ผิด pattern",
        "format" => "ผิด format",
        "below_minimum" => "ต่ำกว่า minimum",
        "exact_minimum" => "เท่ากับ minimum",
        "above_maximum" => "เกิน maximum",
        "exact_maximum" => "เท่ากับ maximum",
        "not_multiple_of" => "ไม่ใช่พหุคูณของ multipleOf",
        "below_min_items" => "น้อยกว่า minItems",
        "above_max_items" => "มากกว่า maxItems",
        "duplicate_items" => "รายการซ้ำ",
        other => other,
    };
    th.to_string()
}

/// A row per (block, member), in the order the cases were made.
pub fn rows(results: &RunResults, lang: Lang, num: &dyn Fn(usize) -> String) -> Vec<GeneratedRow> {
    let mut groups: Vec<((&str, &str), Vec<&CaseResult>)> = Vec::new();
    let mut index: HashMap<(&str, &str), usize> = HashMap::new();
    for case in &results.cases {
        let Some(g) = &case.generated else { continue };
        let key = (g.from.as_str(), g.member.as_str());
        let at = *index.entry(key).or_insert_with(|| {
            groups.push((key, Vec::new()));
            groups.len() - 1
        });
        groups[at].1.push(case);
    }
    groups
        .into_iter()
        .map(|((from, member), cases)| {
            let passed = cases.iter().filter(|c| c.outcome == Outcome::Pass).count();
            let run = cases
                .iter()
                .filter(|c| c.outcome != Outcome::NotRun)
                .count();
            let variations: Vec<String> = cases
                .iter()
                .filter_map(|c| c.generated.as_ref())
                .map(|g| violation_label(&g.violation, lang))
                .collect();
            GeneratedRow {
                from: from.to_string(),
                member: if member.is_empty() {
                    "(body)".into()
                } else {
                    member.to_string()
                },
                variations: variations.join(", "),
                cases: num(cases.len()),
                passed: num(passed),
                not_passed: num(run - passed),
            }
        })
        .collect()
}

/// A requirement's cases as a report lists them: each generated case's block once, where its
/// first case is, with how many cases it made.
pub fn case_list(
    ids: &[String],
    results: &RunResults,
    lang: Lang,
    num: &dyn Fn(usize) -> String,
) -> Vec<String> {
    let blocks: HashMap<&str, &str> = results
        .cases
        .iter()
        .filter_map(|c| {
            c.generated
                .as_ref()
                .map(|g| (c.id.as_str(), g.from.as_str()))
        })
        .collect();
    let count = |block: &str| {
        ids.iter()
            .filter(|id| blocks.get(id.as_str()) == Some(&block))
            .count()
    };
    let mut seen: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for id in ids {
        match blocks.get(id.as_str()) {
            None => out.push(id.clone()),
            Some(block) if !seen.contains(block) => {
                seen.push(block);
                let n = num(count(block));
                out.push(match lang {
                    Lang::Th => format!("{block} (สร้างจาก schema {n} กรณี)"),
                    Lang::En => format!("{block} ({n} generated)"),
                });
            }
            Some(_) => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thai_reader_is_told_what_was_tried_in_thai_an_english_one_the_case_ids_names() {
        assert_eq!(violation_label("wrong_type", Lang::Th), "ชนิดผิด");
        assert_eq!(
            violation_label("exact_max_length", Lang::Th),
            "ยาวเท่า maxLength"
        );
        assert_eq!(violation_label("random_3", Lang::Th), "ค่าสุ่ม #3");
        assert_eq!(violation_label("wrong_type", Lang::En), "wrong_type");
        assert_eq!(
            violation_label("from_a_newer_cpc", Lang::Th),
            "from_a_newer_cpc"
        );
    }
}
