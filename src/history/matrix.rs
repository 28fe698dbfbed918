//! The requirement × round matrix (`cpc history`): for each clause, its result in every round,
//! the round it first failed and the round its fix was verified. Rendered for the console
//! (aligned by display width), Markdown, CSV (committees keep these in spreadsheets) and HTML.

use std::collections::{HashMap, HashSet};

use super::RoundRecord;
use crate::gate::RequirementResult;
use crate::i18n::Lang;
use crate::report::escape::md_inline;
use crate::report::table;
use crate::report::thai_date::{Digits, english_datetime, thai_datetime};
use crate::suite::Level;

pub use crate::report::table::Format;

/// One clause across the rounds.
pub struct Row {
    pub id: String,
    pub level: Level,
    /// Its result in each round (None: the round had no such requirement), and whether waived.
    pub results: Vec<Option<(RequirementResult, bool)>>,
    /// The first round in which it did not pass.
    pub first_failed: Option<u32>,
    /// The round that verified its fix: it passed there and in every round since, after failing.
    pub fixed_in: Option<u32>,
}

pub struct Matrix<'a> {
    pub rounds: Vec<&'a RoundRecord>,
    pub rows: Vec<Row>,
}

/// The matrix of these rounds (of one suite and target, in order).
pub fn build<'a>(rounds: Vec<&'a RoundRecord>) -> Matrix<'a> {
    // Each round's results by id, once: thousands of clauses over many rounds.
    let by_round: Vec<HashMap<&str, RequirementResult>> = rounds
        .iter()
        .map(|round| {
            round
                .requirements
                .iter()
                .map(|r| (r.id.as_str(), r.result))
                .collect()
        })
        .collect();
    let waived: Vec<HashSet<&str>> = rounds
        .iter()
        .map(|round| round.waived.iter().map(String::as_str).collect())
        .collect();
    let mut seen = HashSet::new();
    let ids: Vec<(String, Level)> = rounds
        .iter()
        .flat_map(|round| &round.requirements)
        .filter(|r| seen.insert(r.id.as_str()))
        .map(|r| (r.id.clone(), r.level))
        .collect();
    let rows = ids
        .into_iter()
        .map(|(id, level)| {
            let results: Vec<Option<(RequirementResult, bool)>> = by_round
                .iter()
                .zip(&waived)
                .map(|(results, waived)| {
                    results
                        .get(id.as_str())
                        .map(|r| (*r, waived.contains(id.as_str())))
                })
                .collect();
            let failed = |i: usize| results[i].is_some_and(|(r, _)| r.is_failure());
            let passed = |i: usize| results[i].is_some_and(|(r, _)| r == RequirementResult::Pass);
            let first_failed = (0..rounds.len())
                .find(|&i| failed(i))
                .map(|i| rounds[i].round);
            let last_failed = (0..rounds.len()).rev().find(|&i| failed(i));
            let fixed_in = last_failed
                .filter(|&f| f + 1 < rounds.len() && (f + 1..rounds.len()).all(passed))
                .map(|f| rounds[f + 1].round);
            Row {
                id,
                level,
                results,
                first_failed,
                fixed_in,
            }
        })
        .collect();
    Matrix { rounds, rows }
}

fn cell(result: Option<(RequirementResult, bool)>, lang: Lang) -> String {
    let Some((result, waived)) = result else {
        return "".into();
    };
    use RequirementResult::*;
    let th = lang == Lang::Th;
    let word = match (result, th) {
        (Pass, true) => "✓ ผ่าน",
        (Pass, false) => "✓ pass",
        (Fail, true) => "✗ ไม่ผ่าน",
        (Fail, false) => "✗ fail",
        (Error, true) => "! ผิดพลาด",
        (Error, false) => "! error",
        (Flaky, true) => "~ ไม่เสถียร",
        (Flaky, false) => "~ flaky",
        (NotRun | NotTested, true) => "– ไม่ได้ทดสอบ",
        (NotRun | NotTested, false) => "– not tested",
    };
    match (waived, th) {
        (false, _) => word.into(),
        (true, true) => format!("{word} (ยกเว้น)"),
        (true, false) => format!("{word} (waived)"),
    }
}

/// The header and the body as plain cells, in the reader's language.
fn table(m: &Matrix, lang: Lang) -> (Vec<String>, Vec<Vec<String>>) {
    let th = lang == Lang::Th;
    let round_word = if th {
        "ครั้งที่"
    } else {
        "Round"
    };
    let mut header = vec![
        if th { "ข้อ" } else { "ID" }.to_string(),
        if th { "ระดับ" } else { "Level" }.to_string(),
    ];
    header.extend(m.rounds.iter().map(|r| format!("{round_word} {}", r.round)));
    header.push(
        if th {
            "ไม่ผ่านครั้งแรก"
        } else {
            "First failed"
        }
        .into(),
    );
    header.push(
        if th {
            "ยืนยันการแก้ไข"
        } else {
            "Fix verified"
        }
        .into(),
    );
    let level = |l: Level| match (l, th) {
        (Level::Must, true) => "ต้อง",
        (Level::Must, false) => "must",
        (Level::Should, true) => "ควร",
        (Level::Should, false) => "should",
    };
    let round = |r: Option<u32>| r.map(|r| format!("{round_word} {r}")).unwrap_or_default();
    let body = m
        .rows
        .iter()
        .map(|row| {
            let mut cells = vec![row.id.clone(), level(row.level).to_string()];
            cells.extend(row.results.iter().map(|r| cell(*r, lang)));
            cells.push(round(row.first_failed));
            cells.push(round(row.fixed_in));
            cells
        })
        .collect();
    (header, body)
}

/// When each round ran, and its verdict.
fn round_lines(m: &Matrix, lang: Lang) -> Vec<String> {
    m.rounds
        .iter()
        .map(|r| {
            let pass = r.verdict == crate::gate::Verdict::Pass;
            match lang {
                Lang::Th => format!(
                    "ครั้งที่ {}: {} — {}",
                    r.round,
                    thai_datetime(&r.started_at, Digits::Arabic),
                    if pass {
                        "ผ่าน"
                    } else {
                        "ไม่ผ่าน"
                    }
                ),
                Lang::En => format!(
                    "Round {}: {} — {}",
                    r.round,
                    english_datetime(&r.started_at),
                    if pass { "PASS" } else { "FAIL" }
                ),
            }
        })
        .collect()
}

/// Lines, a blank line, then the table.
fn lines(head: &[String], table: String) -> String {
    let mut out: String = head
        .iter()
        .map(|l| crate::report::escape::console_text(l) + "\n")
        .collect();
    out.push('\n');
    out + &table
}

pub fn render(m: &Matrix, format: Format, lang: Lang) -> String {
    let (header, body) = table(m, lang);
    match format {
        Format::Console => lines(&round_lines(m, lang), table::console(&header, &body)),
        Format::Markdown => {
            let rounds: Vec<String> = round_lines(m, lang)
                .iter()
                .map(|r| format!("- {}", md_inline(r)))
                .collect();
            lines(&rounds, table::markdown(&header, &body))
        }
        Format::Csv => table::csv(&header, &body),
        Format::Html => html(m, &header, &body, lang),
    }
}

fn html(m: &Matrix, header: &[String], body: &[Vec<String>], lang: Lang) -> String {
    let title = match (lang, m.rounds.first()) {
        (Lang::Th, Some(r)) => format!("ประวัติการทดสอบ {} — {}", r.suite, r.target),
        (Lang::En, Some(r)) => format!("Test history of {} — {}", r.suite, r.target),
        (_, None) => "cpc history".into(),
    };
    let class = |c: &str| match c.chars().next() {
        Some('✓') => "pass",
        Some('✗') | Some('!') | Some('~') => "fail",
        _ => "",
    };
    let page = table::Page {
        lang,
        title: &title,
        notes: &round_lines(m, lang),
        nowrap: true,
    };
    table::html(&page, header, body, class)
}
