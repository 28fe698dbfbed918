//! No clause lost: every token in the document shaped like a clause id of this proposal — the
//! shapes inferred from the ids read (`TP-2.1` read makes every `TP-<numbers>` one) — is a
//! clause that was read, an id a problem already names, or a problem of its own with its
//! place and why it was not read. A reference to a clause that was read (`ตามข้อ TP-2.3`) is
//! not a problem. Pure.

use std::collections::{BTreeMap, HashSet};

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
fn prefixes<'a>(ids: impl Iterator<Item = &'a str>) -> HashSet<String> {
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

/// The ids of the given shapes in a text, in order, as ASCII (`TP–๑.๒` is `TP-1.2`). One pass:
/// at each word start, the letters (and a `-` or `_`) before a digit are looked up among the
/// prefixes.
fn tokens(text: &str, prefixes: &HashSet<String>) -> Vec<String> {
    let text = super::tables::ascii_id(text);
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut at = 0;
    while at < b.len() {
        let word_start = b[at].is_ascii_alphabetic()
            && (at == 0 || !(b[at - 1].is_ascii_alphanumeric() || b[at - 1] == b'_'));
        if !word_start {
            at += 1;
            continue;
        }
        let letters = at
            + b[at..]
                .iter()
                .take_while(|c| c.is_ascii_alphabetic())
                .count();
        let sep = letters + usize::from(matches!(b.get(letters), Some(b'-' | b'_')));
        let mut end = sep;
        // Digits, and dots between digits (`2.1`, not the full stop of `TP-2.`).
        while end < b.len()
            && (b[end].is_ascii_digit()
                || b[end] == b'.' && end > sep && b.get(end + 1).is_some_and(u8::is_ascii_digit))
        {
            end += 1;
        }
        let whole = end > sep
            && !b
                .get(end)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_');
        if whole && prefixes.contains(&text[at..sep]) {
            out.push(text[at..end].to_string());
        }
        at = letters.max(at + 1);
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
            if read.contains(id.as_str())
                || named.contains(id.as_str())
                || reported_rows.contains(&spot)
            {
                continue;
            }
            match found.get_mut(&id) {
                Some(entry) => entry.3 += 1,
                None => {
                    order.push(id.clone());
                    found.insert(id, (spot, reason, snippet(text), 1));
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
        let mut sorted: Vec<&str> = prefixes.iter().map(String::as_str).collect();
        sorted.sort();
        assert_eq!(sorted, ["PAY-", "TP-"]);
        assert_eq!(
            tokens(
                "ตามข้อTP-2.3, TP-10.1. XTP-1 TP-x TP-4a (PAY-7) TP–๑.๕ TPX-1",
                &prefixes
            ),
            ["TP-2.3", "TP-10.1", "PAY-7", "TP-1.5"]
        );
    }
}
