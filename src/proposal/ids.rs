//! No clause lost: every token in the document shaped like a clause id of this proposal — the
//! shapes inferred from the ids read (`TP-2.1` read makes every `TP-<numbers>` one) — is a
//! clause that was read, an id a problem already names, or a problem of its own with its
//! place and why it was not read. A reference to a clause that was read (`ตามข้อ TP-2.3`) is
//! not a problem. Pure.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use super::blocks::{Block, Spot};
use super::tables::snippet;
use super::{Problem, ProblemKind};

/// Where a token was seen, and why a token there is not read.
fn why(block: &Block, readable_table: bool) -> &'static str {
    match block {
        Block::Heading { .. } => "it is in a heading, not in a requirement table",
        Block::Paragraph { .. } => "it is in a paragraph, not in a requirement table",
        Block::Code { .. } => {
            "it is in a code block or a comment, which is never read as requirements"
        }
        Block::Aside { .. } => {
            "it is in a page header, footer, footnote or comment, which is never read as requirements"
        }
        Block::Table { .. } if readable_table => {
            "it is mentioned in a requirement table, but no row gives it as a clause"
        }
        Block::Table { .. } => {
            "it is in a table that is not a requirement table (no column of clause ids with a column of levels)"
        }
    }
}

/// The prefixes of the ids read: `TP-2.1` → `TP-`. Ids of numbers alone (`2.1`) give no
/// shape: every version number would look like one.
fn prefixes<'a>(ids: impl Iterator<Item = &'a str>) -> BTreeSet<String> {
    ids.filter_map(|id| {
        let digit = id.find(|c: char| c.is_ascii_digit())?;
        let prefix = &id[..digit];
        prefix
            .chars()
            .any(|c| c.is_ascii_alphabetic())
            .then(|| prefix.to_string())
    })
    .collect()
}

/// The ids of the given shapes in a text, in order.
fn tokens<'t>(text: &'t str, prefixes: &BTreeSet<String>) -> Vec<&'t str> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    for prefix in prefixes {
        let mut from = 0;
        while let Some(at) = text[from..].find(prefix.as_str()).map(|i| from + i) {
            from = at + prefix.len();
            // Not the tail of a longer word (`XTP-1`).
            if at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_') {
                continue;
            }
            let rest = &text[from..];
            let mut end = 0;
            let rb = rest.as_bytes();
            // Digits, and dots between digits (`2.1`, not the full stop of `TP-2.`).
            while end < rb.len()
                && (rb[end].is_ascii_digit()
                    || rb[end] == b'.'
                        && end > 0
                        && rb.get(end + 1).is_some_and(u8::is_ascii_digit))
            {
                end += 1;
            }
            if end == 0
                || rb
                    .get(end)
                    .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
            {
                continue;
            }
            out.push(&text[at..from + end]);
        }
    }
    out
}

/// The problems of ids not accounted for: one per id, at its first place, with how many other
/// places hold it.
pub fn unaccounted(
    blocks: &[Block],
    read: &HashSet<&str>,
    problems: &[Problem],
    readable_tables: &HashSet<Spot>,
) -> Vec<Problem> {
    let prefixes = prefixes(read.iter().copied());
    if prefixes.is_empty() {
        return Vec::new();
    }
    let named: HashSet<&str> = problems.iter().map(|p| p.subject.as_str()).collect();
    let spots = |kind: ProblemKind| -> HashSet<Spot> {
        problems
            .iter()
            .filter(|p| p.kind == kind)
            .map(|p| p.spot)
            .collect()
    };
    let (reported_rows, reported_tables) = (spots(ProblemKind::Row), spots(ProblemKind::Table));
    // id → (first spot, why, text there, places)
    let mut found: BTreeMap<String, (Spot, &'static str, String, usize)> = BTreeMap::new();
    let mut order = Vec::new();
    let mut see = |text: &str, spot: Spot, reason: &'static str| {
        for id in tokens(text, &prefixes) {
            if read.contains(id) || named.contains(id) || reported_rows.contains(&spot) {
                continue;
            }
            match found.get_mut(id) {
                Some(entry) => entry.3 += 1,
                None => {
                    order.push(id.to_string());
                    found.insert(id.to_string(), (spot, reason, snippet(text), 1));
                }
            }
        }
    };
    for block in blocks {
        match block {
            Block::Heading { text, spot, .. }
            | Block::Paragraph { text, spot }
            | Block::Code { text, spot }
            | Block::Aside { text, spot } => see(text, *spot, why(block, false)),
            // A table already reported: its ids are named with it.
            Block::Table { spot, .. } if reported_tables.contains(spot) => {}
            Block::Table { rows, spot } => {
                let reason = why(block, readable_tables.contains(spot));
                for row in rows {
                    for cell in &row.cells {
                        for line in &cell.lines {
                            see(line, row.spot, reason);
                        }
                    }
                }
            }
        }
    }
    order
        .into_iter()
        .map(|id| {
            let (spot, reason, text, places) = &found[&id];
            let more = match places - 1 {
                0 => String::new(),
                n => format!(" (and {n} more place(s))"),
            };
            Problem {
                spot: *spot,
                message: format!(
                    "{id} looks like a clause id of this proposal but is not read: {reason} («{text}»){more}"
                ),
                subject: id,
                kind: ProblemKind::Id,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_have_the_shapes_of_the_ids_read() {
        let prefixes = prefixes(["TP-2.1", "PAY-3", "2.1"].into_iter());
        assert_eq!(
            prefixes.iter().map(String::as_str).collect::<Vec<_>>(),
            ["PAY-", "TP-"]
        );
        assert_eq!(
            tokens("ตามข้อTP-2.3, TP-10.1. XTP-1 TP-x TP-4a (PAY-7)", &prefixes),
            ["PAY-7", "TP-2.3", "TP-10.1"]
        );
    }
}
