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
                // A generated case is listed as its block, once (its count is in the report).
                let listed = match &c.generated {
                    Some(g) => format!("{} (generate)", g.from),
                    None => c.id.value.clone(),
                };
                if !row.cases.contains(&listed) {
                    row.cases.push(listed);
                }
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
    let header = header(
        th,
        &[
            "ข้อ",
            "ระดับ",
            "หมวด",
            "กรณีทดสอบ",
            "การตรวจที่ต้องเป็นจริงตลอด",
            "ชนิดการตรวจ",
            "ไม่ได้ทดสอบ / หมายเหตุ",
        ],
        &[
            "ID",
            "Level",
            "Section",
            "Cases",
            "Invariants",
            "Checks",
            "Not tested / note",
        ],
    );
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

/// One documented response of one operation: the cases that expect it, and how many of a
/// run's answers it documented (`None`: no run given).
pub struct OperationRow {
    pub operation: String,
    pub status: String,
    /// False for a status the run reached that the operation does not document.
    pub documented: bool,
    pub cases: Vec<String>,
    pub reached: Option<u64>,
}

/// The OpenAPI document's operations × documented statuses, as Schemathesis shows API
/// coverage: the cases whose request to the operation (its path matched against the template,
/// `{{ … }}` standing for a segment) expects a status the response documents, and what a
/// run's answers reached. `default` is expected by no case: it stands for what is not listed.
pub fn operations(
    suite: &Suite,
    api: &crate::openapi::ApiDoc,
    run: Option<&crate::results::RunResults>,
) -> Vec<OperationRow> {
    let mut reached: std::collections::BTreeMap<&str, u64> = Default::default();
    for case in run.iter().flat_map(|r| r.cases.iter()) {
        for (key, n) in &case.api_calls {
            let total = reached.entry(key.as_str()).or_default();
            *total = total.saturating_add(*n);
        }
    }
    // Each request step's operation, found once: (its operation, the status it expects, the
    // case as listed).
    let mut calls: Vec<(
        &crate::openapi::Operation,
        &crate::suite::StatusSpec,
        String,
    )> = Vec::new();
    for (_, case) in suite.cases().filter(|(_, c)| !c.value.pending) {
        let c = &case.value;
        let listed = match &c.generated {
            Some(g) => format!("{} (generate)", g.from),
            None => c.id.value.clone(),
        };
        for s in &c.steps {
            let (Some(r), Some(status)) = (s.value.request_spec(), &s.value.expect.status) else {
                continue;
            };
            let path = r
                .value
                .path
                .as_ref()
                .map(|p| p.value.as_str())
                .unwrap_or("");
            let path = path.split('?').next().unwrap_or("");
            if let Ok(op) = api.operation(&r.value.method.value, path) {
                calls.push((op, &status.value, listed.clone()));
            }
        }
    }
    let mut rows = Vec::new();
    for op in &api.operations {
        for response in &op.responses {
            let key = response.status.to_ascii_uppercase();
            let codes: Vec<u16> = match key.strip_suffix("XX").and_then(|c| c.parse::<u16>().ok()) {
                Some(class) => (class * 100..class * 100 + 100).collect(),
                None => key.parse().into_iter().collect(),
            };
            let mut cases: Vec<String> = Vec::new();
            for (called, status, listed) in &calls {
                let expects =
                    std::ptr::eq(*called, op) && codes.iter().any(|code| status.accepts(*code));
                if expects && !cases.contains(listed) {
                    cases.push(listed.clone());
                }
            }
            rows.push(OperationRow {
                operation: op.key(),
                status: response.status.clone(),
                documented: true,
                cases,
                reached: run.map(|_| {
                    let key = format!("{} {}", op.key(), response.status);
                    reached.get(key.as_str()).copied().unwrap_or(0)
                }),
            });
        }
        // What the run reached beyond the document: a status code (the results are read back,
        // so nothing else is taken for one).
        let prefix = format!("{} ", op.key());
        let keys = reached.range(prefix.as_str()..);
        for (key, n) in keys.take_while(|(key, _)| key.starts_with(&prefix)) {
            let code = &key[prefix.len()..];
            if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            let status: u16 = code.parse().unwrap_or(0);
            if (100..600).contains(&status) && op.response(status).is_none() {
                rows.push(OperationRow {
                    operation: op.key(),
                    status: code.to_string(),
                    documented: false,
                    cases: Vec::new(),
                    reached: Some(*n),
                });
            }
        }
    }
    rows
}

/// Header and cells of the operations table, in the reader's language.
pub fn operations_table(rows: &[OperationRow], lang: Lang) -> (Vec<String>, Vec<Vec<String>>) {
    let th = lang == Lang::Th;
    let header = header(
        th,
        &[
            "เมธอดและเส้นทาง",
            "สถานะ",
            "คำตอบในการทดสอบ",
            "กรณีทดสอบที่คาดสถานะนี้",
        ],
        &[
            "Operation",
            "Status",
            "Answers in the run",
            "Cases expecting it",
        ],
    );
    let body = rows
        .iter()
        .map(|r| {
            let reached = match (r.reached, th) {
                (None, _) => "—".to_string(),
                (Some(0), true) => "ไม่ถึง (never)".to_string(),
                (Some(0), false) => "never".to_string(),
                (Some(n), _) => n.to_string(),
            };
            let cases = match r.cases.len() {
                0 if th => "ไม่มี (none)".to_string(),
                0 => "none".to_string(),
                n if n > 4 => format!("{} … (+{})", r.cases[..4].join(", "), n - 4),
                _ => r.cases.join(", "),
            };
            let status = match (r.documented, th) {
                (true, _) => r.status.clone(),
                (false, true) => format!("{} (ไม่มีในเอกสาร)", r.status),
                (false, false) => format!("{} (undocumented)", r.status),
            };
            vec![r.operation.clone(), status, reached, cases]
        })
        .collect();
    (header, body)
}

/// A table's header in the reader's language.
fn header(th: bool, thai: &[&str], english: &[&str]) -> Vec<String> {
    let words = if th { thai } else { english };
    words.iter().map(|s| s.to_string()).collect()
}
