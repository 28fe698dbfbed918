//! Requirement tables: which column holds the clause id, which the level (ต้อง/ควร, must/should)
//! and which the text — named by a header row in Thai or English, in any order, or, for a table
//! without one (or with headers cpc does not know), found from what the rows hold: the column
//! of clause ids, the column of levels, and the longest other column as the text. A table
//! continued after a page break, with its header repeated or not, is read the same way. Each
//! row is a clause or a problem with its place. Pure.

use super::blocks::{Cell, Row, Spot};
use super::{Clause, Problem, ProblemKind, level};

/// A table column's role.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Column {
    Id,
    Level,
    Text,
    Other,
}

/// A column's role from its header.
fn column(header: &str) -> Column {
    let h = header.to_lowercase();
    let h = h.trim();
    let any = |words: &[&str]| {
        words
            .iter()
            .any(|w| h == *w || h.starts_with(&format!("{w} ")))
    };
    if any(&["id", "ข้อ", "รหัส", "clause", "no.", "เลขข้อ", "รหัสข้อกำหนด"])
    {
        Column::Id
    } else if any(&["ระดับ", "level", "priority", "ความสำคัญ"]) {
        Column::Level
    } else if any(&[
        "ข้อกำหนด",
        "requirement",
        "requirements",
        "text",
        "description",
        "รายละเอียด",
    ]) {
        Column::Text
    } else {
        Column::Other
    }
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

/// The columns of a table's requirements, when it holds any.
struct Layout {
    id: usize,
    level: usize,
    text: usize,
    /// Rows that are headers, not clauses.
    header: Vec<bool>,
}

/// The header roles of a row, when it names at least the id and level columns.
fn header_roles(row: &Row) -> Option<Vec<Column>> {
    let roles: Vec<Column> = row.cells.iter().map(|c| column(&c.text())).collect();
    (roles.contains(&Column::Id) && roles.contains(&Column::Level)).then_some(roles)
}

fn layout(rows: &[Row]) -> Option<Layout> {
    let width = rows.iter().map(|r| r.cells.len()).max().unwrap_or(0);
    let named = rows.iter().find_map(header_roles);
    let header: Vec<bool> = rows
        .iter()
        .map(|r| match &named {
            // A repeated header (a table continued after a page break) is a header too.
            Some(roles) => header_roles(r).as_ref() == Some(roles),
            // A "header" that holds a clause id and a level is the table's first clause.
            None => {
                r.header
                    && !(r.cells.iter().any(|c| is_clause_id(&c.text()))
                        && r.cells.iter().any(|c| level(&c.text()).is_some()))
            }
        })
        .collect();
    let data = || {
        rows.iter()
            .zip(&header)
            .filter(|(_, h)| !**h)
            .map(|(r, _)| r)
    };
    let count = |col: usize, test: &dyn Fn(&Cell) -> bool| {
        data()
            .filter(|r| r.cells.get(col).is_some_and(test))
            .count()
    };
    let find = |role: Column| {
        named
            .as_ref()
            .and_then(|roles| roles.iter().position(|c| *c == role))
    };
    let best = |test: &dyn Fn(&Cell) -> bool, not: &[usize]| {
        (0..width)
            .filter(|c| !not.contains(c))
            .map(|c| (count(c, test), c))
            .filter(|(n, _)| *n > 0)
            // The most rows; of equals, the leftmost.
            .max_by_key(|(n, c)| (*n, std::cmp::Reverse(*c)))
            .map(|(_, c)| c)
    };
    let id = find(Column::Id).or_else(|| best(&|c| is_clause_id(&c.text()), &[]))?;
    let level = find(Column::Level).or_else(|| best(&|c| level(&c.text()).is_some(), &[id]))?;
    let text = find(Column::Text).or_else(|| {
        // The longest other column.
        (0..width)
            .filter(|c| *c != id && *c != level)
            .map(|c| {
                let chars: usize = data()
                    .filter_map(|r| r.cells.get(c))
                    .map(|cell| cell.text().chars().count())
                    .sum();
                (chars, c)
            })
            .filter(|(n, _)| *n > 0)
            .max_by_key(|(n, c)| (*n, std::cmp::Reverse(*c)))
            .map(|(_, c)| c)
    });
    Some(Layout {
        id,
        level,
        text: text.unwrap_or(usize::MAX),
        header,
    })
}

/// What a table gave: its clauses and problems (read ones), or why it is not a requirement
/// table (None: it holds no column of clause ids with a column of levels).
pub struct TableRead {
    pub clauses: Vec<Clause>,
    pub problems: Vec<Problem>,
}

/// Reads a table under `section`; a row merged across the whole table names a new section.
pub fn read(rows: &[Row], spot: Spot, section: &mut String) -> Option<TableRead> {
    let layout = layout(rows)?;
    let width = rows.iter().map(|r| r.cells.len()).max().unwrap_or(0);
    let mut out = TableRead {
        clauses: Vec::new(),
        problems: Vec::new(),
    };
    if layout.text == usize::MAX {
        out.problems.push(Problem {
            spot,
            subject: spot.to_string(),
            kind: ProblemKind::Table,
            message: "a table of clause ids and levels with no column for the text: its rows are not read as requirements; name its columns as a requirement table does (ID | ระดับ | ข้อกำหนด)".into(),
        });
        return Some(out);
    }
    for (row, header) in rows.iter().zip(&layout.header) {
        if *header {
            continue;
        }
        let cell = |at: usize| row.cells.get(at).map(Cell::text).unwrap_or_default();
        let (id, level_text, text) = (cell(layout.id), cell(layout.level), cell(layout.text));
        let filled: Vec<String> = row
            .cells
            .iter()
            .map(Cell::text)
            .filter(|t| !t.is_empty())
            .collect();
        if filled.is_empty() {
            continue;
        }
        // One text across the whole row (merged, or the same in every cell): a section title.
        if width >= 3 && level(&level_text).is_none() && !is_clause_id(&id) {
            let distinct: std::collections::BTreeSet<&String> = filled.iter().collect();
            if distinct.len() == 1 && (filled.len() == 1 || filled.len() == width) {
                *section = filled[0].clone();
                continue;
            }
        }
        let mut problem = |subject: &str, message: String| {
            out.problems.push(Problem {
                spot: row.spot,
                subject: subject.to_string(),
                kind: ProblemKind::Row,
                message,
            });
        };
        if id.is_empty() {
            problem(
                &row.spot.to_string(),
                format!(
                    "a row of a requirement table without a clause id: not read («{}»)",
                    snippet(&filled.join(" | "))
                ),
            );
        } else if let Some(lvl) = level(&level_text) {
            if text.is_empty() {
                problem(&id, format!("clause {id} has no text: not read"));
            } else {
                let lines = &row.cells[layout.text].lines;
                let (text_th, text_en) = super::script::split(lines);
                out.clauses.push(Clause {
                    id,
                    level: lvl,
                    text,
                    text_th,
                    text_en,
                    section: section.clone(),
                    spot: row.spot,
                });
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
    }
    Some(out)
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

    #[test]
    fn clause_ids_have_one_shape() {
        for id in ["TP-2.1", "PAY3", "SEC_1.2.3", "2.1", "R-10"] {
            assert!(is_clause_id(id), "{id}");
        }
        for not in ["ต้อง", "2", "TP-", "TP-2.", "HTTP/1.1", "abc", "TP-2.1 x"] {
            assert!(!is_clause_id(not), "{not}");
        }
    }

    #[test]
    fn a_table_without_a_header_is_read_from_what_its_rows_hold() {
        let t = rows(
            &[
                &["1", "A-1", "ตอบ 200 ทุกครั้ง", "ต้อง"],
                &["2", "A-2", "ควรบันทึก log\nShould keep a log of calls", "ควร"],
                &["", "", "หมวด 2", ""],
                &["3", "A-3", "ตอบภายใน 1 วินาที", "Must"],
            ],
            false,
        );
        let mut section = "s".to_string();
        let read = read(&t, Spot::Table(1), &mut section).unwrap();
        let got: Vec<(&str, &str, Option<&str>, &str)> = read
            .clauses
            .iter()
            .map(|c| {
                (
                    c.id.as_str(),
                    c.text_th.as_deref().unwrap_or(""),
                    c.text_en.as_deref(),
                    c.section.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("A-1", "ตอบ 200 ทุกครั้ง", None, "s"),
                (
                    "A-2",
                    "ควรบันทึก log",
                    Some("Should keep a log of calls"),
                    "s"
                ),
                ("A-3", "ตอบภายใน 1 วินาที", None, "หมวด 2"),
            ]
        );
        assert!(read.problems.is_empty());
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
        let read = read(&t, Spot::Table(1), &mut String::new()).unwrap();
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
        assert!(read(&status, Spot::Table(1), &mut String::new()).is_none());
        let no_text = rows(&[&["ID", "ระดับ"], &["A-1", "ต้อง"]], true);
        let read = read(&no_text, Spot::Table(2), &mut String::new()).unwrap();
        assert!(read.clauses.is_empty());
        assert_eq!(read.problems[0].kind, ProblemKind::Table);
    }
}
