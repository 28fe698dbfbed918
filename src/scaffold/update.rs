//! `cpc init --update` edits requirements.yaml in place: only the lines of what the proposal
//! changed are touched — a level, a re-worded clause's text and digest, a new clause's entry
//! after the clause before it, a removed clause's entry turned into comments — so a tester's
//! `text_en`, reasons, coverage notes, comments, quoting and order survive. Pure: the file's
//! text, the requirements as loaded (their places) and the target entries in; the new text
//! out, or None when the file is not in the block layout this edits (the caller rewrites it).

use std::collections::HashMap;

use super::{Entry, comment_text, entry_yaml, level, q};
use crate::suite::Requirement;

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn blank_or_comment(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with('#')
}

/// One entry of the `requirements:` list: its lines `start..end`, the lines that are its own
/// (`start..content_end`: after that, blank lines and comments at the list's indent, which
/// belong to what follows) and the column of its keys.
struct Item {
    start: usize,
    content_end: usize,
    key_indent: usize,
}

/// The entries of the block list under `requirements:`, and the list's indent.
fn items(lines: &[&str]) -> Option<(Vec<Item>, usize)> {
    let key = lines.iter().position(|l| {
        l.strip_prefix("requirements:")
            .is_some_and(blank_or_comment)
    })?;
    let first = (key + 1..lines.len()).find(|&i| !blank_or_comment(lines[i]))?;
    let list_indent = indent(lines[first]);
    let is_item = |l: &str| {
        indent(l) == list_indent && {
            let t = &l[list_indent..];
            t == "-" || t.starts_with("- ")
        }
    };
    if !is_item(lines[first]) {
        return None;
    }
    let mut starts = Vec::new();
    let mut end = lines.len();
    for (i, line) in lines.iter().enumerate().skip(first) {
        if blank_or_comment(line) {
            continue;
        }
        if is_item(line) {
            starts.push(i);
        } else if indent(line) <= list_indent {
            end = i;
            break;
        }
    }
    let items = starts
        .iter()
        .enumerate()
        .map(|(n, &start)| {
            let stop = starts.get(n + 1).copied().unwrap_or(end);
            let content_end = (start..stop)
                .rev()
                .find(|&i| {
                    i == start || !lines[i].trim().is_empty() && indent(lines[i]) > list_indent
                })
                .map_or(start + 1, |i| i + 1);
            let after_dash = &lines[start][list_indent + 1..];
            let key_indent = if after_dash.trim().is_empty() {
                (start + 1..content_end)
                    .find(|&i| !blank_or_comment(lines[i]))
                    .map_or(list_indent + 2, |i| indent(lines[i]))
            } else {
                list_indent + 1 + indent(after_dash)
            };
            Item {
                start,
                content_end,
                key_indent,
            }
        })
        .collect();
    Some((items, list_indent))
}

/// The comment after a one-line scalar value (`level: must  # ทดสอบแล้ว`), kept when the
/// value is replaced.
fn trailing_comment(value: &str) -> &str {
    let v = value.trim_start();
    let b = v.as_bytes();
    // Past a quoted scalar: `"` with `\` escapes, `'` with `''`.
    let after = match b.first() {
        Some(&quote @ (b'"' | b'\'')) => {
            let mut i = 1;
            loop {
                match b.get(i) {
                    None => return "",
                    Some(b'\\') if quote == b'"' => i += 2,
                    Some(&c) if c == quote && quote == b'\'' && b.get(i + 1) == Some(&b'\'') => {
                        i += 2
                    }
                    Some(&c) if c == quote => break &v[i + 1..],
                    Some(_) => i += 1,
                }
            }
        }
        _ => v,
    };
    let at = if after.starts_with('#') {
        Some(0)
    } else {
        after.find(" #").or_else(|| after.find("\t#"))
    };
    match at {
        // After a quoted value only spacing may come before the comment.
        Some(at) if after[..at].trim().is_empty() || !matches!(b.first(), Some(b'"' | b'\'')) => {
            after[at..].trim().trim_end_matches(['\r', '\n'])
        }
        _ => "",
    }
}

/// Replacements of line ranges, applied in one pass.
#[derive(Default)]
struct Edits {
    /// (start, end, order, new lines)
    list: Vec<(usize, usize, usize, String)>,
}

impl Edits {
    fn replace(&mut self, start: usize, end: usize, text: String) {
        let order = self.list.len();
        self.list.push((start, end, order, text));
    }

    fn apply(mut self, lines: &[&str]) -> String {
        self.list
            .sort_by_key(|(start, _, order, _)| (*start, *order));
        let mut out = String::new();
        let mut at = 0;
        for (start, end, _, text) in self.list {
            if start < at {
                continue;
            }
            for line in &lines[at..start] {
                out.push_str(line);
            }
            out.push_str(&text);
            at = end;
        }
        for line in &lines[at.min(lines.len())..] {
            out.push_str(line);
        }
        out
    }
}

/// Where a key's value is in an item: its lines, and the text before `key:` on the first.
fn find_key<'l>(lines: &[&'l str], item: &Item, key: &str) -> Option<(usize, usize, &'l str)> {
    let wanted = format!("{key}:");
    let at = (item.start..item.content_end).find(|&i| {
        let line = lines[i];
        line.len() > item.key_indent
            && (indent(line) == item.key_indent || i == item.start)
            && line[item.key_indent..].starts_with(&wanted)
            && line[item.key_indent + wanted.len()..]
                .chars()
                .next()
                .is_none_or(char::is_whitespace)
    })?;
    // The value goes on over lines deeper than the key (block scalars, long flow values); a
    // comment after its last line is a person's, and stays (in a block scalar a `#` line is
    // text).
    let block = lines[at][item.key_indent + wanted.len()..]
        .trim_start()
        .starts_with(['|', '>']);
    let end = (at + 1..item.content_end)
        .find(|&i| !lines[i].trim().is_empty() && indent(lines[i]) <= item.key_indent)
        .unwrap_or(item.content_end);
    let end = (at + 1..end)
        .rev()
        .find(|&i| {
            let t = lines[i].trim();
            !t.is_empty() && (block || !t.starts_with('#'))
        })
        .map_or(at + 1, |i| i + 1);
    Some((at, end, &lines[at][..item.key_indent]))
}

/// requirements.yaml with `entries` (the proposal's clauses, in its order, with what each
/// keeps) written into `before` in place; `removed` ids are turned into comments.
pub fn edit_in_place(
    before: &str,
    existing: &[Requirement],
    entries: &[Entry],
    removed: &[String],
    proposal_file: &str,
) -> Option<String> {
    let lines: Vec<&str> = before.split_inclusive('\n').collect();
    let newline = if before.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let (items, list_indent) = items(&lines)?;
    // Each requirement's item, by the line its id is on.
    let mut item_of: HashMap<&str, usize> = HashMap::new();
    for req in existing {
        let line = req.id.referenced.line() as usize;
        let n = items
            .iter()
            .position(|it| it.start < line && line <= it.content_end)?;
        item_of.entry(req.id.value.as_str()).or_insert(n);
    }
    let by_id: HashMap<&str, &Requirement> = existing
        .iter()
        .rev()
        .map(|r| (r.id.value.as_str(), r))
        .collect();
    let with_newline = |text: String| {
        if newline == "\n" {
            text
        } else {
            text.replace('\n', newline)
        }
    };
    let mut edits = Edits::default();
    let mut anchor = items.first()?.start;
    for entry in entries {
        let (Some(&n), Some(req)) = (item_of.get(entry.id.as_str()), by_id.get(entry.id.as_str()))
        else {
            edits.replace(anchor, anchor, with_newline(entry_yaml(entry, list_indent)));
            continue;
        };
        let item = &items[n];
        anchor = item.content_end;
        let mut set = |key: &str, value: String| match find_key(&lines, item, key) {
            Some((at, end, prefix)) => {
                let first = lines[at];
                let old_value = &first[item.key_indent + key.len() + 1..];
                let comment = if end == at + 1 {
                    trailing_comment(old_value)
                } else {
                    ""
                };
                let comment = if comment.is_empty() {
                    String::new()
                } else {
                    format!("  {comment}")
                };
                edits.replace(at, end, format!("{prefix}{key}: {value}{comment}{newline}"));
            }
            None => edits.replace(
                item.content_end,
                item.content_end,
                format!("{}{key}: {value}{newline}", " ".repeat(item.key_indent)),
            ),
        };
        if req.level != entry.level {
            set("level", level(entry.level).to_string());
        }
        if req.text_th != entry.text_th {
            set("text_th", q(&entry.text_th));
        }
        if req.text_en != entry.text_en
            && let Some(en) = &entry.text_en
        {
            set("text_en", q(en));
        }
        if req.proposal_digest.as_deref() != Some(entry.proposal_digest.as_str()) {
            set("proposal_digest", q(&entry.proposal_digest));
        }
    }
    for id in removed {
        let item = &items[*item_of.get(id.as_str())?];
        let pad = " ".repeat(list_indent);
        let mut text = format!(
            "{pad}# cpc init --update: {} is no longer a clause of {}; its entry as it was:{newline}",
            comment_text(id),
            comment_text(proposal_file)
        );
        for line in &lines[item.start..item.content_end] {
            let line = line.trim_end_matches(['\r', '\n']);
            let body = line.get(list_indent..).unwrap_or(line.trim_start());
            text.push_str(&format!("{pad}# {}{newline}", comment_text(body)));
        }
        edits.replace(item.start, item.content_end, text);
    }
    Some(edits.apply(&lines))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::{Level, RequirementsFile};

    fn loaded(text: &str) -> Vec<Requirement> {
        crate::suite::parse_yaml::<RequirementsFile>(std::path::Path::new("r.yaml"), text)
            .unwrap()
            .requirements
    }

    fn entry(id: &str, level: Level, th: &str, digest: &str) -> Entry {
        Entry {
            id: id.into(),
            level,
            text_th: th.into(),
            text_en: None,
            not_tested_reason: None,
            partial: false,
            coverage_reason_th: None,
            coverage_reason_en: None,
            proposal_digest: digest.into(),
        }
    }

    #[test]
    fn block_scalars_crlf_and_a_list_at_the_left_margin_are_edited_in_place() {
        let before = "# notes\r\nrequirements:\r\n- id: A-1\r\n  level: must\r\n  text_th: |\r\n    ข้อความเดิม\r\n    สองบรรทัด\r\n  text_en: hand written # mine\r\n  proposal_digest: old\r\n# about A-2\r\n- id: A-2\r\n  level: should\r\n  text_th: ข้อสอง\r\n# end\r\n";
        let existing = loaded(before);
        let mut a1 = entry("A-1", Level::Must, "ข้อความใหม่", "new");
        a1.text_en = Some("hand written".into());
        let entries = [a1, entry("A-3", Level::Should, "ข้อสาม", "d3")];
        let after = edit_in_place(before, &existing, &entries, &["A-2".into()], "p.md").unwrap();
        assert_eq!(
            after,
            "# notes\r\nrequirements:\r\n- id: A-1\r\n  level: must\r\n  text_th: \"ข้อความใหม่\"\r\n  text_en: hand written # mine\r\n  proposal_digest: \"new\"\r\n- id: \"A-3\"\r\n  level: should\r\n  text_th: \"ข้อสาม\"\r\n  proposal_digest: \"d3\"\r\n# about A-2\r\n# cpc init --update: A-2 is no longer a clause of p.md; its entry as it was:\r\n# - id: A-2\r\n#   level: should\r\n#   text_th: ข้อสอง\r\n# end\r\n"
        );
        let back = loaded(&after);
        assert_eq!(back.len(), 2);
    }

    #[test]
    fn a_comment_under_a_replaced_value_and_a_missing_last_line_break_are_kept() {
        let before = "requirements:\n  - id: A-1\n    level: should\n      # why should\n    text_th: x\n    proposal_digest: d";
        let existing = loaded(before);
        let entries = [entry("A-1", Level::Must, "x", "e")];
        let after = edit_in_place(before, &existing, &entries, &[], "p.md").unwrap();
        assert_eq!(
            after,
            "requirements:\n  - id: A-1\n    level: must\n      # why should\n    text_th: x\n    proposal_digest: \"e\"\n"
        );
    }

    #[test]
    fn a_flow_list_is_not_edited_in_place() {
        let before = "requirements: [{id: A-1, level: must, text_th: x}]\n";
        let existing = loaded(before);
        let entries = [entry("A-1", Level::Should, "x", "d")];
        assert_eq!(
            edit_in_place(before, &existing, &entries, &[], "p.md"),
            None
        );
    }

    #[test]
    fn comments_after_values_are_found_outside_quotes() {
        assert_eq!(trailing_comment(" must  # ทดสอบแล้ว\n"), "# ทดสอบแล้ว");
        assert_eq!(trailing_comment(" \"a # b\" # c"), "# c");
        assert_eq!(trailing_comment(" \"a \\\" # b\""), "");
        assert_eq!(trailing_comment(" 'it''s # x' # y"), "# y");
        assert_eq!(trailing_comment(" plain#not"), "");
    }
}
