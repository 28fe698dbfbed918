//! Requirement tables: which column holds the clause id, which the level (ต้อง/ควร, must/should)
//! and which the text. A header row in Thai or English names them, in any order; what the rows
//! hold decides where the header is silent or wrong: the column of clause-shaped ids is the id
//! column (not a row-number column headed `ข้อ` or `No.`), the column of levels is the level
//! column, and the longest other column is the text. Levels may also be marks (✓) under
//! columns headed ต้อง and ควร. Two text columns (Thai and English) are both the text. A table
//! continued after a page break without its header takes the layout of the table before it. A
//! row with only text continues the clause above; a row merged across names a section. Each
//! other row is a clause or a problem with its place. Pure.

use super::blocks::{Cell, Row, Spot};
use super::{Clause, Level, Problem, ProblemKind, level};

/// A table column's role, from its header.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Column {
    Id,
    Level,
    Text,
    /// Headed by a level (`ต้อง`): a mark in a row's cell gives the row that level.
    Mark(Level),
    Other,
}

fn column(header: &str) -> Column {
    let h = header.to_lowercase();
    let h = h.trim().trim_end_matches([':', '.']).trim();
    if h.is_empty() {
        return Column::Other;
    }
    if let Some(level) = level(h) {
        return Column::Mark(level);
    }
    let words: Vec<&str> = h
        .split(|c: char| c.is_whitespace() || "()[]/".contains(c))
        .filter(|w| !w.is_empty())
        .collect();
    let has = |list: &[&str]| words.iter().any(|w| list.contains(w));
    let starts = |list: &[&str]| list.iter().any(|w| h.starts_with(w));
    // An id column first: `Requirement ID` is the ids, not the requirements.
    if has(&["id", "clause", "ข้อ", "เลขข้อ"]) || starts(&["รหัส", "หมายเลขข้อ"])
    {
        Column::Id
    } else if starts(&["ระดับ", "level", "priority", "ความสำคัญ", "ความจำเป็น"])
    {
        Column::Level
    } else if starts(&[
        "ข้อกำหนด",
        "requirement",
        "text",
        "description",
        "รายละเอียด",
        "คำอธิบาย",
    ]) {
        Column::Text
    } else {
        Column::Other
    }
}

/// Dashes and Thai digits as an id's ASCII (`TP–๑.๕` is `TP-1.5`): Word turns hyphens into
/// dashes, and Thai documents write Thai digits.
pub fn ascii_id(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}' | '\u{FF0D}' => '-',
            '๐'..='๙' => char::from(b'0' + (c as u32 - '๐' as u32) as u8),
            c => c,
        })
        .collect()
}

/// A clause id as a cell holds it on its own: letters, then numbers with dots
/// (`TP-2.1`, `PAY3`, `SEC_1.2.3`), or dotted numbers (`2.1`).
pub fn is_clause_id(text: &str) -> bool {
    let t = text.trim();
    let letters = t.chars().take_while(|c| c.is_ascii_alphabetic()).count();
    let rest = t[letters..].trim_start_matches(['-', '_']);
    let numbers = !rest.is_empty()
        && rest
            .split('.')
            .all(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
    numbers && (letters > 0 || rest.contains('.')) && letters <= 12
}

/// The clause id a cell gives: the whole cell, or its first word when a note follows
/// (`TP-1.6 (ใหม่)`, never `0.9 draft`: a number with a note is not an id); None when it gives
/// none.
pub fn id_in(cell: &str) -> Option<String> {
    let cell = ascii_id(cell.trim());
    if is_clause_id(&cell) {
        return Some(cell);
    }
    let first = cell.split_whitespace().next()?;
    (is_clause_id(first) && first.starts_with(|c: char| c.is_ascii_alphabetic()))
        .then(|| first.to_string())
}

/// Where a row's level comes from.
#[derive(Clone, Debug, PartialEq)]
enum Levels {
    Column(usize),
    /// Marks under columns headed by levels.
    Marks(Vec<(usize, Level)>),
}

/// The columns of a table's requirements.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    width: usize,
    id: usize,
    levels: Levels,
    /// The text columns, in order (none: the table has no text to read).
    text: Vec<usize>,
}

fn roles(row: &Row) -> Vec<Column> {
    row.cells.iter().map(|c| column(&c.text())).collect()
}

fn has_id(row: &Row) -> bool {
    row.cells.iter().any(|c| id_in(&c.text()).is_some())
}

/// The header a table's rows name, when it names the id and a level (or level marks).
fn named(rows: &[Row], headers: &[bool]) -> Option<Vec<Column>> {
    rows.iter()
        .zip(headers)
        .filter(|(_, h)| **h)
        .find_map(|(r, _)| {
            let roles = roles(r);
            let levels = roles
                .iter()
                .any(|r| matches!(r, Column::Level | Column::Mark(_)));
            (roles.contains(&Column::Id) && levels).then_some(roles)
        })
}

/// Which rows name columns rather than give clauses: none holds a clause id; each is marked as
/// a header by the document, or names two or more roles above the first clause, or repeats the
/// header (a table continued after a page break).
fn headers(rows: &[Row]) -> Vec<bool> {
    let first = rows.iter().position(has_id).unwrap_or(rows.len());
    let leading: Vec<bool> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let named = roles(r).iter().filter(|c| **c != Column::Other).count();
            !has_id(r) && (r.header || i < first && named >= 2)
        })
        .collect();
    let Some(header) = named(rows, &leading) else {
        return leading;
    };
    rows.iter()
        .zip(leading)
        .map(|(r, lead)| lead || !has_id(r) && roles(r) == header)
        .collect()
}

fn layout(rows: &[Row], headers: &[bool], previous: Option<&Layout>) -> Option<Layout> {
    let width = rows.iter().map(|r| r.cells.len()).max().unwrap_or(0);
    let roles = named(rows, headers);
    let data: Vec<&Row> = rows
        .iter()
        .zip(headers)
        .filter(|(_, h)| !**h)
        .map(|(r, _)| r)
        .collect();
    let count = |col: usize, test: &dyn Fn(&str) -> bool| {
        data.iter()
            .filter(|r| r.cells.get(col).is_some_and(|c| test(&c.text())))
            .count()
    };
    let best = |test: &dyn Fn(&str) -> bool, not: &[usize]| {
        (0..width)
            .filter(|c| !not.contains(c))
            .map(|c| (count(c, test), c))
            .filter(|(n, _)| *n > 0)
            // The most rows; of equals, the leftmost.
            .max_by_key(|(n, c)| (*n, std::cmp::Reverse(*c)))
    };
    let find = |want: Column| {
        roles
            .as_ref()
            .and_then(|r| r.iter().position(|c| *c == want))
    };
    let ids = |t: &str| id_in(t).is_some();
    // A table continued without its header: the table before it, if the rows agree.
    if roles.is_none()
        && let Some(prev) = previous.filter(|p| p.width == width)
        && count(prev.id, &ids) > 0
    {
        return Some(prev.clone());
    }
    // The rows decide over a header: a `ข้อ` column of row numbers is not the ids.
    let id = match (find(Column::Id), best(&ids, &[])) {
        (Some(named), Some((n, found))) if n > count(named, &ids) => found,
        (Some(named), _) => named,
        (None, found) => found?.1,
    };
    let marks: Vec<(usize, Level)> = roles
        .iter()
        .flatten()
        .enumerate()
        .filter_map(|(i, r)| match r {
            Column::Mark(level) if i != id => Some((i, *level)),
            _ => None,
        })
        .collect();
    let is_level = |t: &str| level(t).is_some();
    let levels = match (find(Column::Level), best(&is_level, &[id])) {
        (Some(named), Some((n, found))) if n > count(named, &is_level) => Levels::Column(found),
        (Some(named), _) => Levels::Column(named),
        (None, _) if !marks.is_empty() => Levels::Marks(marks),
        (None, found) => Levels::Column(found?.1),
    };
    let taken: Vec<usize> = match &levels {
        Levels::Column(c) => vec![id, *c],
        Levels::Marks(m) => std::iter::once(id)
            .chain(m.iter().map(|(c, _)| *c))
            .collect(),
    };
    let mut text: Vec<usize> = roles
        .iter()
        .flatten()
        .enumerate()
        .filter(|(i, r)| **r == Column::Text && !taken.contains(i))
        .map(|(i, _)| i)
        .collect();
    if text.is_empty() {
        // The longest other column.
        let longest = (0..width)
            .filter(|c| !taken.contains(c))
            .map(|c| {
                let chars: usize = data
                    .iter()
                    .filter_map(|r| r.cells.get(c))
                    .map(|cell| cell.text().chars().count())
                    .sum();
                (chars, c)
            })
            .filter(|(n, _)| *n > 0)
            .max_by_key(|(n, c)| (*n, std::cmp::Reverse(*c)));
        text.extend(longest.map(|(_, c)| c));
    }
    Some(Layout {
        width,
        id,
        levels,
        text,
    })
}

/// What a requirement table gave.
pub struct TableRead {
    pub clauses: Vec<Clause>,
    pub problems: Vec<Problem>,
    /// Its layout, for a table that continues it.
    pub layout: Layout,
}

/// Reads a table under `section`, or None when it is not a requirement table (no column of
/// clause ids with a column of levels). `previous` is the layout of the requirement table
/// before it, which a continuation without a header takes.
pub fn read(
    rows: &[Row],
    spot: Spot,
    section: &mut String,
    previous: Option<&Layout>,
) -> Option<TableRead> {
    let headers = headers(rows);
    let layout = layout(rows, &headers, previous)?;
    let mut out = TableRead {
        clauses: Vec::new(),
        problems: Vec::new(),
        layout: layout.clone(),
    };
    if layout.text.is_empty() {
        out.problems.push(Problem {
            spot,
            subject: spot.to_string(),
            kind: ProblemKind::Table,
            message: "a table of clause ids and levels with no column for the text: its rows are not read as requirements; name its columns as a requirement table does (ID | ระดับ | ข้อกำหนด)".into(),
        });
        return Some(out);
    }
    // Clauses read, each with its text's lines (rows below may continue them), and the one
    // the next row would continue.
    let mut drafts: Vec<(Clause, Vec<String>)> = Vec::new();
    let mut last: Option<usize> = None;
    for (row, _) in rows.iter().zip(&headers).filter(|(_, h)| !**h) {
        let cell = |at: usize| row.cells.get(at).map(Cell::text).unwrap_or_default();
        let id_text = cell(layout.id);
        let text_lines: Vec<String> = layout
            .text
            .iter()
            .filter_map(|c| row.cells.get(*c))
            .flat_map(|c| c.lines.iter().cloned())
            .collect();
        let (level_found, level_text) = match &layout.levels {
            Levels::Column(c) => (level(&cell(*c)), cell(*c)),
            Levels::Marks(marks) => {
                let marked: Vec<Level> = marks
                    .iter()
                    .filter(|(c, _)| !cell(*c).is_empty())
                    .map(|(_, l)| *l)
                    .collect();
                let shown = marked
                    .iter()
                    .map(|l| match l {
                        Level::Must => "ต้อง",
                        Level::Should => "ควร",
                    })
                    .collect::<Vec<_>>()
                    .join(" and ");
                match marked.as_slice() {
                    [one] => (Some(*one), shown),
                    _ => (None, shown),
                }
            }
        };
        let filled: Vec<String> = row
            .cells
            .iter()
            .map(Cell::text)
            .filter(|t| !t.is_empty())
            .collect();
        if filled.is_empty() {
            continue;
        }
        let text_only = id_text.is_empty()
            && level_text.is_empty()
            && !text_lines.is_empty()
            && filled.len() == 1;
        // Only text: it goes on with the clause above (a cell Word split over two rows).
        if text_only && let Some(at) = last {
            drafts[at].1.extend(text_lines);
            continue;
        }
        // One text across the whole row (merged, or the same in every cell): a section title.
        let distinct: std::collections::BTreeSet<&String> = filled.iter().collect();
        if !text_only
            && layout.width >= 3
            && level_found.is_none()
            && id_in(&id_text).is_none()
            && distinct.len() == 1
            && (filled.len() == 1 || filled.len() == layout.width)
        {
            *section = filled[0].clone();
            last = None;
            continue;
        }
        let mut problem = |subject: &str, message: String| {
            out.problems.push(Problem {
                spot: row.spot,
                subject: subject.to_string(),
                kind: ProblemKind::Row,
                message,
            });
        };
        let id = id_in(&id_text).unwrap_or_else(|| ascii_id(&id_text));
        if id.is_empty() {
            problem(
                &row.spot.to_string(),
                format!(
                    "a row of a requirement table without a clause id: not read («{}»)",
                    snippet(&filled.join(" | "))
                ),
            );
        } else if let Some(lvl) = level_found {
            if text_lines.is_empty() {
                problem(&id, format!("clause {id} has no text: not read"));
            } else {
                let clause = Clause {
                    id,
                    level: lvl,
                    text: String::new(),
                    text_th: None,
                    text_en: None,
                    section: section.clone(),
                    spot: row.spot,
                };
                drafts.push((clause, text_lines));
                last = Some(drafts.len() - 1);
                continue;
            }
        } else if level_text.is_empty() {
            problem(
                &id,
                format!("clause {id} gives no level (ต้อง/ควร): not read"),
            );
        } else {
            problem(
                &id,
                format!("clause {id}: level `{level_text}` is neither ต้อง/must nor ควร/should"),
            );
        }
        last = None;
    }
    out.clauses = drafts
        .into_iter()
        .map(|(mut clause, lines)| {
            clause.text = super::words(&lines.join(" "));
            (clause.text_th, clause.text_en) = super::script::split(&lines);
            clause
        })
        .collect();
    Some(out)
}

/// The clause-shaped ids in the cells of a table that is not read as requirements; ids of
/// numbers alone (`2.1`) only when `numbers` (the proposal's clauses are numbered so), as a
/// version or a section number is not a clause otherwise.
pub fn ids_in(rows: &[Row], numbers: bool) -> Vec<String> {
    rows.iter()
        .flat_map(|r| r.cells.iter())
        .filter_map(|c| id_in(&c.text()))
        .filter(|id| numbers || id.starts_with(|c: char| c.is_ascii_alphabetic()))
        .collect()
}

/// The start of a long text, for a message.
pub fn snippet(text: &str) -> String {
    let mut out: String = text.chars().take(60).collect();
    if text.chars().count() > 60 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(table: &[&[&str]], header: bool) -> Vec<Row> {
        table
            .iter()
            .enumerate()
            .map(|(i, cells)| Row {
                cells: cells
                    .iter()
                    .map(|c| Cell::new(c.split('\n').map(String::from).collect()))
                    .collect(),
                header: header && i == 0,
                spot: Spot::Row {
                    table: 1,
                    row: i + 1,
                },
            })
            .collect()
    }

    fn clauses(read: &TableRead) -> Vec<(&str, Level, &str, Option<&str>, &str)> {
        read.clauses
            .iter()
            .map(|c| {
                (
                    c.id.as_str(),
                    c.level,
                    c.text_th.as_deref().unwrap_or(""),
                    c.text_en.as_deref(),
                    c.section.as_str(),
                )
            })
            .collect()
    }

    #[test]
    fn clause_ids_have_one_shape() {
        for id in ["TP-2.1", "PAY3", "SEC_1.2.3", "2.1", "R-10"] {
            assert!(is_clause_id(id), "{id}");
        }
        for not in ["ต้อง", "2", "TP-", "TP-2.", "HTTP/1.1", "abc", "TP-2.1 x"] {
            assert!(!is_clause_id(not), "{not}");
        }
        assert_eq!(id_in("TP–๑.๕").as_deref(), Some("TP-1.5"));
        assert_eq!(id_in("TP-1.6 (ใหม่)").as_deref(), Some("TP-1.6"));
        assert_eq!(id_in("ข้อ 1"), None);
    }

    #[test]
    fn a_table_without_a_header_is_read_from_what_its_rows_hold() {
        let t = rows(
            &[
                &["1", "A-1", "ตอบ 200 ทุกครั้ง", "ต้อง"],
                &["2", "A-2", "ควรบันทึก log\nShould keep a log of calls", "ควร"],
                &["หมวด 2", "", "", ""],
                &["3", "A-3", "ตอบภายใน 1 วินาที", "Must"],
                &["", "", "(ต่อ) และทุกคำขอ", ""],
            ],
            false,
        );
        let mut section = "s".to_string();
        let read = read(&t, Spot::Table(1), &mut section, None).unwrap();
        assert_eq!(
            clauses(&read),
            [
                ("A-1", Level::Must, "ตอบ 200 ทุกครั้ง", None, "s"),
                (
                    "A-2",
                    Level::Should,
                    "ควรบันทึก log",
                    Some("Should keep a log of calls"),
                    "s"
                ),
                (
                    "A-3",
                    Level::Must,
                    "ตอบภายใน 1 วินาที (ต่อ) และทุกคำขอ",
                    None,
                    "หมวด 2"
                ),
            ]
        );
        assert!(read.problems.is_empty());
    }

    #[test]
    fn headers_that_name_the_wrong_column_are_corrected_by_the_rows() {
        // `ข้อ` is a row number here and `Requirement ID` holds the ids; two text columns.
        let t = rows(
            &[
                &[
                    "ข้อ",
                    "Requirement ID",
                    "ข้อกำหนด (ภาษาไทย)",
                    "Requirement (English)",
                    "ระดับ",
                ],
                &["1", "TP-1.1", "ตอบ 200", "Answers with status 200", "ต้อง"],
                &["2", "TP-1.2", "บันทึก", "Keeps a log of calls", "ควรมี"],
            ],
            true,
        );
        let read = read(&t, Spot::Table(1), &mut String::new(), None).unwrap();
        assert_eq!(
            clauses(&read),
            [
                (
                    "TP-1.1",
                    Level::Must,
                    "ตอบ 200",
                    Some("Answers with status 200"),
                    ""
                ),
                (
                    "TP-1.2",
                    Level::Should,
                    "บันทึก",
                    Some("Keeps a log of calls"),
                    ""
                ),
            ]
        );
    }

    #[test]
    fn marks_under_level_columns_continuation_rows_and_a_continued_table() {
        let t = rows(
            &[
                &["รหัส", "รายละเอียด", "ต้อง", "ควร"],
                &["S-1", "ตรวจ token", "✓", ""],
                &["", "- และบันทึกผล", "", ""],
                &["S-2", "แจ้งผล", "", "✓"],
                &["S-3", "ทั้งสอง", "✓", "✓"],
            ],
            false,
        );
        let first = read(&t, Spot::Table(1), &mut String::new(), None).unwrap();
        assert_eq!(
            clauses(&first),
            [
                ("S-1", Level::Must, "ตรวจ token - และบันทึกผล", None, ""),
                ("S-2", Level::Should, "แจ้งผล", None, ""),
            ]
        );
        assert_eq!(first.problems.len(), 1);
        assert!(first.problems[0].message.contains("ต้อง and ควร"));
        // The next page: no header, the same four columns.
        let next = rows(&[&["S-4", "ข้อสี่ยาวกว่าข้ออื่นมาก", "", "✓"]], false);
        let read = read(
            &next,
            Spot::Table(2),
            &mut String::new(),
            Some(&first.layout),
        )
        .unwrap();
        assert_eq!(
            clauses(&read),
            [("S-4", Level::Should, "ข้อสี่ยาวกว่าข้ออื่นมาก", None, "")]
        );
    }

    #[test]
    fn a_repeated_header_is_skipped_and_bad_rows_are_problems() {
        let t = rows(
            &[
                &["ID", "ระดับ", "ข้อกำหนด"],
                &["A-1", "ต้อง", "x"],
                &["ID", "ระดับ", "ข้อกำหนด"],
                &["A-2", "maybe", "y"],
                &["", "ต้อง", "z"],
                &["A-3", "", "w"],
                &["A-4", "ควร", ""],
            ],
            true,
        );
        let read = read(&t, Spot::Table(1), &mut String::new(), None).unwrap();
        assert_eq!(read.clauses.len(), 1);
        let problems: Vec<(String, &str)> = read
            .problems
            .iter()
            .map(|p| (p.spot.to_string(), p.subject.as_str()))
            .collect();
        assert_eq!(
            problems,
            [
                ("table 1, row 4".to_string(), "A-2"),
                ("table 1, row 5".to_string(), "table 1, row 5"),
                ("table 1, row 6".to_string(), "A-3"),
                ("table 1, row 7".to_string(), "A-4"),
            ]
        );
    }

    #[test]
    fn tables_that_are_not_requirements() {
        let status = rows(&[&["status", "meaning"], &["ok", "fine"]], true);
        assert!(read(&status, Spot::Table(1), &mut String::new(), None).is_none());
        let no_text = rows(&[&["ID", "ระดับ"], &["A-1", "ต้อง"]], true);
        let read = read(&no_text, Spot::Table(2), &mut String::new(), None).unwrap();
        assert!(read.clauses.is_empty());
        assert_eq!(read.problems[0].kind, ProblemKind::Table);
    }
}
