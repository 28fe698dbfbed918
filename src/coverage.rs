//! The trace matrix (`cpc coverage`): each clause, its level and section, the cases and
//! invariants that test it, the kinds of checks they make, and "not tested" with the reason.
//! Committees keep these in spreadsheets. Pure: the loaded suite in, rows out.

use std::collections::BTreeSet;

use crate::i18n::Lang;
use crate::suite::{Coverage, Expect, Level, Suite};

pub struct Row {
    pub id: String,
    pub level: Level,
    pub section: String,
    pub cases: Vec<String>,
    pub pending: Vec<String>,
    pub invariants: Vec<String>,
    pub checks: BTreeSet<&'static str>,
    /// Why it is not (fully) tested, when it is not.
    pub gap: Option<String>,
}

/// The kinds of checks an `expect` makes.
fn checks(expect: &Expect, into: &mut BTreeSet<&'static str>) {
    let kinds: [(&'static str, bool); 12] = [
        ("status", expect.status.is_some()),
        ("headers", !expect.headers.is_empty()),
        ("json", expect.json.is_some()),
        ("schema", expect.schema.is_some()),
        ("jsonpath", !expect.body.is_empty()),
        ("duration", expect.duration_ms.is_some()),
        ("text", expect.text.is_some()),
        ("bytes", expect.bytes.is_some()),
        ("xpath", !expect.xml.is_empty()),
        ("latency", expect.latency_ms.is_some()),
        ("error_rate", expect.error_rate.is_some()),
        ("throughput", expect.throughput_rps.is_some()),
    ];
    into.extend(kinds.iter().filter(|(_, on)| *on).map(|(k, _)| *k));
}

pub fn rows(suite: &Suite) -> Vec<Row> {
    let section = |id: &str| {
        suite
            .proposal
            .as_ref()
            .and_then(|p| p.parsed.clauses.iter().find(|c| c.id == id))
            .map(|c| c.section.clone())
            .unwrap_or_default()
    };
    suite
        .requirements
        .iter()
        .map(|r| {
            let id = r.id.value.as_str();
            let mut row = Row {
                id: id.to_string(),
                level: r.level,
                section: section(id),
                cases: Vec::new(),
                pending: Vec::new(),
                invariants: Vec::new(),
                checks: BTreeSet::new(),
                gap: None,
            };
            for (_, case) in suite.cases() {
                let c = &case.value;
                if !c.requirements.iter().any(|x| x.value == id) {
                    continue;
                }
                if c.pending {
                    row.pending.push(c.id.value.clone());
                    continue;
                }
                row.cases.push(c.id.value.clone());
                for step in &c.steps {
                    if let Some(kind) = step.value.kind() {
                        row.checks.insert(kind.name());
                    }
                    checks(&step.value.expect, &mut row.checks);
                }
            }
            for (_, inv) in &suite.invariants {
                if inv.value.requirements.iter().any(|x| x.value == id) {
                    row.invariants.push(inv.value.id.value.clone());
                    row.checks.insert("invariant");
                }
            }
            let tested = !row.cases.is_empty() || !row.invariants.is_empty();
            row.gap = match (&r.not_tested_reason, tested) {
                (Some(why), _) => Some(why.clone()),
                (None, false) if !row.pending.is_empty() => {
                    Some("ยังไม่ได้เขียนกรณีทดสอบ (case not written yet)".into())
                }
                (None, false) => Some("ไม่มีกรณีทดสอบ (no case)".into()),
                (None, true) => r
                    .coverage
                    .as_ref()
                    .filter(|c| c.value == Coverage::Partial)
                    .map(|_| {
                        format!(
                            "ทดสอบเพียงบางส่วน (partly): {}",
                            r.coverage_reason_th.clone().unwrap_or_default()
                        )
                    }),
            };
            row
        })
        .collect()
}

/// Header and cells for the table renderers, in the reader's language.
pub fn table(rows: &[Row], lang: Lang) -> (Vec<String>, Vec<Vec<String>>) {
    let th = lang == Lang::Th;
    let header: Vec<String> = if th {
        [
            "ข้อ",
            "ระดับ",
            "หมวด",
            "กรณีทดสอบ",
            "การตรวจที่ต้องเป็นจริงตลอด",
            "ชนิดการตรวจ",
            "ไม่ได้ทดสอบ / หมายเหตุ",
        ]
    } else {
        [
            "ID",
            "Level",
            "Section",
            "Cases",
            "Invariants",
            "Checks",
            "Not tested / note",
        ]
    }
    .iter()
    .map(|s| s.to_string())
    .collect();
    let body = rows
        .iter()
        .map(|r| {
            let level = match (r.level, th) {
                (Level::Must, true) => "ต้อง",
                (Level::Must, false) => "must",
                (Level::Should, true) => "ควร",
                (Level::Should, false) => "should",
            };
            vec![
                r.id.clone(),
                level.to_string(),
                r.section.clone(),
                r.cases.join(", "),
                r.invariants.join(", "),
                r.checks.iter().copied().collect::<Vec<_>>().join(", "),
                r.gap.clone().unwrap_or_default(),
            ]
        })
        .collect();
    (header, body)
}
