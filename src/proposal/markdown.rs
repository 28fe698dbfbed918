//! A Markdown proposal as blocks: headings (`##` and deeper name sections; `#` is the title),
//! paragraphs line by line, fenced code, and tables: GitHub tables (with or without outer pipes,
//! the row above `|---|` a header), and runs of `| … |` rows without a delimiter row, which
//! GitHub shows as text but a proposal's author meant as a table. Pure: text in, blocks out.

use super::blocks::{Block, Cell, MAX_BLOCKS, MAX_COLUMNS, Row, Spot};

/// A cell or line as plain text: bold, italics, code marks and links removed.
pub fn plain(text: &str) -> String {
    // [text](url) → text, in one pass.
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        let link = rest[open..]
            .find("](")
            .map(|c| open + c)
            .and_then(|close| rest[close..].find(')').map(|end| (close, close + end)));
        let Some((close, end)) = link else {
            break;
        };
        out.push_str(&rest[..open]);
        out.push_str(&rest[open + 1..close]);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    let s = out.replace("**", "").replace("__", "").replace('`', "");
    super::words(&s)
}

/// A cell's lines: `<br>` breaks a line inside a Markdown table cell.
fn cell(raw: &str) -> Cell {
    let mut text = raw.to_string();
    for br in ["<br />", "<br/>", "<BR>", "<br>"] {
        text = text.replace(br, "\n");
    }
    Cell::new(text.lines().map(plain).collect())
}

/// The cells of a table row: split at `|` that are not escaped (`\|`) or inside code.
fn cells(line: &str) -> Vec<String> {
    let line = line.trim();
    let line = line.strip_prefix('|').unwrap_or(line);
    let line = line.strip_suffix('|').unwrap_or(line);
    let mut out = Vec::new();
    let mut cell = String::new();
    let mut code = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cell.push('|');
                chars.next();
            }
            '`' => {
                code = !code;
                cell.push(c);
            }
            // Past the last column the rest stays in the last cell: nothing is dropped.
            '|' if !code && out.len() + 1 < MAX_COLUMNS => out.push(std::mem::take(&mut cell)),
            c => cell.push(c),
        }
    }
    out.push(cell);
    out.into_iter().map(|c| c.trim().to_string()).collect()
}

/// A fenced code block's opening: its marker and length (CommonMark: three or more backticks
/// or tildes, indented at most three spaces; a backtick fence's info has no backtick).
fn fence_open(line: &str) -> Option<(char, usize)> {
    let rest = line.trim_start_matches(' ');
    if line.len() - rest.len() > 3 {
        return None;
    }
    let marker = rest.chars().next().filter(|c| matches!(c, '`' | '~'))?;
    let len = rest.chars().take_while(|c| *c == marker).count();
    let info = &rest[len..];
    (len >= 3 && !(marker == '`' && info.contains('`'))).then_some((marker, len))
}

/// Whether `line` closes a fence opened with `marker` × `len`: the same marker, at least as
/// many, nothing after them.
fn fence_closes(line: &str, (marker, len): (char, usize)) -> bool {
    let rest = line.trim_start_matches(' ');
    if line.len() - rest.len() > 3 {
        return false;
    }
    let run = rest.chars().take_while(|c| *c == marker).count();
    run >= len && rest[run..].trim().is_empty()
}

/// A table's delimiter row (`|---|:--:|`, or `--- | ---` without outer pipes).
fn is_delimiter(line: &str) -> bool {
    let t = line.trim();
    t.contains('|')
        && cells(t).iter().all(|c| {
            let c = c.strip_prefix(':').unwrap_or(c);
            let c = c.strip_suffix(':').unwrap_or(c);
            !c.is_empty() && c.chars().all(|ch| ch == '-')
        })
}

/// A row of the table that started above: GitHub tables run until a blank line or a line
/// without a `|`.
fn is_row(line: &str) -> bool {
    !line.trim().is_empty() && line.contains('|')
}

/// How a Markdown proposal's reading ended early.
#[derive(Debug, PartialEq)]
pub enum Cut {
    /// A code block opened on this line is never closed.
    Unclosed(usize),
    /// More than MAX_BLOCKS blocks: not read from this line on.
    TooLong(usize),
}

/// The blocks of a Markdown proposal, and how its reading ended early, if it did.
pub fn blocks(text: &str) -> (Vec<Block>, Option<Cut>) {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut fence: Option<((char, usize), usize)> = None;
    let mut i = 0;
    let mut rows_seen = 0usize;
    let mut comment = false;
    while i < lines.len() {
        if out.len() + rows_seen > MAX_BLOCKS {
            return (out, Some(Cut::TooLong(i + 1)));
        }
        let line = lines[i];
        let spot = Spot::Line(i + 1);
        if let Some((open, _)) = fence {
            if fence_closes(line, open) {
                fence = None;
            } else if !line.trim().is_empty() {
                out.push(Block::Code {
                    text: line.to_string(),
                    spot,
                });
            }
            i += 1;
            continue;
        }
        if let Some(open) = fence_open(line) {
            fence = Some((open, i + 1));
            i += 1;
            continue;
        }
        // An HTML comment is not shown: what it holds is not read (but its ids are named).
        if comment || line.trim_start().starts_with("<!--") {
            let rest = line.trim_start().strip_prefix("<!--").unwrap_or(line);
            comment = !rest.contains("-->");
            out.push(Block::Code {
                text: line.to_string(),
                spot,
            });
            i += 1;
            continue;
        }
        let trimmed = line.trim_start();
        if let Some(heading) = trimmed.strip_prefix('#') {
            let level = 1 + heading.chars().take_while(|c| *c == '#').count();
            out.push(Block::Heading {
                text: plain(heading.trim_start_matches('#')),
                section: level >= 2,
                spot,
            });
            i += 1;
            continue;
        }
        let github = line.contains('|') && lines.get(i + 1).is_some_and(|l| is_delimiter(l));
        // Rows of pipes without a delimiter row: no header, but a table all the same.
        let bare = trimmed.starts_with('|') && !is_delimiter(line);
        if github || bare {
            let mut rows = Vec::new();
            if github {
                rows.push(row(line, true, spot));
                i += 2;
            }
            // A bare table goes on while its rows start with a pipe (prose may hold one).
            while i < lines.len()
                && is_row(lines[i])
                && (github || lines[i].trim_start().starts_with('|') && !is_delimiter(lines[i]))
            {
                rows.push(row(lines[i], false, Spot::Line(i + 1)));
                i += 1;
            }
            rows_seen += rows.len();
            out.push(Block::Table { rows, spot });
            continue;
        }
        let text = plain(trimmed);
        if !text.is_empty() {
            out.push(Block::Paragraph { text, spot });
        }
        i += 1;
    }
    (out, fence.map(|(_, line)| Cut::Unclosed(line)))
}

fn row(line: &str, header: bool, spot: Spot) -> Row {
    Row {
        cells: cells(line).iter().map(|c| cell(c)).collect(),
        header,
        spot,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shapes(text: &str) -> Vec<String> {
        blocks(text)
            .0
            .iter()
            .map(|b| match b {
                Block::Heading { text, section, .. } => format!("h{}:{text}", u8::from(*section)),
                Block::Paragraph { text, .. } => format!("p:{text}"),
                Block::Code { text, .. } | Block::Aside { text, .. } => format!("code:{text}"),
                Block::Table { rows, spot } => format!(
                    "table@{spot}:{}",
                    rows.iter()
                        .map(|r| {
                            let cells: Vec<String> =
                                r.cells.iter().map(|c| c.lines.join("/")).collect();
                            format!("{}[{}]", if r.header { "H" } else { "" }, cells.join(","))
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
            })
            .collect()
    }

    #[test]
    fn github_tables_bare_pipe_rows_fences_and_headings() {
        let text = "# Title\n## 2. Sec\n\n| ID | ระดับ |\n|---|---|\n| **A-1** | ต้อง<br>must |\n\n\
                    | A-2 | ควร | x \\| y |\n| A-3 | ต้อง | `a|b` |\nprose with | a pipe\n\n```\n| A-9 | ต้อง |\n```\n<!-- a comment\n| A-8 | ต้อง | in it |\n-->\nafter\n";
        assert_eq!(
            shapes(text),
            [
                "h0:Title",
                "h1:2. Sec",
                "table@line 4:H[ID,ระดับ] [A-1,ต้อง/must]",
                "table@line 8:[A-2,ควร,x | y] [A-3,ต้อง,a|b]",
                "p:prose with | a pipe",
                "code:| A-9 | ต้อง |",
                "code:<!-- a comment",
                "code:| A-8 | ต้อง | in it |",
                "code:-->",
                "p:after",
            ]
        );
    }

    #[test]
    fn a_proposal_too_long_or_too_wide_is_bounded_and_said() {
        let text = "a\n".repeat(MAX_BLOCKS + 10);
        let (read, cut) = blocks(&text);
        assert_eq!(read.len(), MAX_BLOCKS + 1);
        assert_eq!(cut, Some(Cut::TooLong(MAX_BLOCKS + 2)));
        let row = format!("| A-1 | ต้อง |{}tail |", "|".repeat(10_000));
        let (read, _) = blocks(&row);
        let Block::Table { rows, .. } = &read[0] else {
            panic!("{read:?}")
        };
        assert_eq!(rows[0].cells.len(), MAX_COLUMNS);
        assert!(rows[0].cells[MAX_COLUMNS - 1].text().ends_with("tail"));
    }

    #[test]
    fn an_unclosed_fence_is_said() {
        assert_eq!(blocks("a\n~~~\n| x |\n").1, Some(Cut::Unclosed(2)));
        assert_eq!(blocks("~~~\nx\n~~~\n").1, None);
    }
}
