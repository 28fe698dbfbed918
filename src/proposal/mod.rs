//! Reading a technical proposal (step 8's document) into its clauses and what it says of the
//! service. Agencies write proposals in Word; a Markdown copy is read the same way: each
//! format is made into blocks (headings, paragraphs, code, tables with their places), and one
//! set of rules reads clauses from those. A requirement table has a column for the clause id,
//! one for the level (ต้อง/ควร, must/should) and one for the text — named by a header row or
//! found from what the rows hold. Liberal in what it reads, and it loses nothing: a row it
//! cannot read, a table that holds levels it cannot place, and every clause-shaped id that is
//! not a clause read are problems with their places. Pure: bytes in, model out.

mod blocks;
mod docx;
mod head;
mod ids;
mod markdown;
mod script;
mod tables;

use std::collections::{HashMap, HashSet};

use sha2::{Digest, Sha256};

pub use blocks::Spot;
use blocks::{Block, Row};
pub use markdown::plain;

use crate::diagnostic::{Diagnostic, Place};
use crate::suite::Level;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    #[default]
    Markdown,
    Word,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Proposal {
    pub format: Format,
    pub service_name_th: Option<String>,
    pub service_name_en: Option<String>,
    pub service_code: Option<String>,
    pub agency_th: Option<String>,
    pub version: Option<String>,
    pub clauses: Vec<Clause>,
    /// Requirement tables that gave at least one clause.
    pub tables_read: usize,
    /// What could not be read, each with its place: nothing is skipped without a word.
    pub problems: Vec<Problem>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Clause {
    pub id: String,
    pub level: Level,
    /// The whole text of its cell, on one line (what its digest is of).
    pub text: String,
    /// The text by language: a cell holding Thai and English gives both.
    pub text_th: Option<String>,
    pub text_en: Option<String>,
    /// The heading it is under, as written (`2. การเชื่อมต่อและความปลอดภัย (connection and security)`).
    pub section: String,
    /// Where its row is.
    pub spot: Spot,
}

impl Clause {
    /// The digest of its text, normalised (markup and spacing do not count): what a
    /// requirement stores to notice when the proposal's wording changes.
    pub fn digest(&self) -> String {
        text_digest(&self.text)
    }
}

/// Something in the proposal that was not read as a clause, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub spot: Spot,
    /// What a tester names to say it is not a clause (`proposal_skipped` in suite.yaml): the
    /// clause id when there is one, else the place.
    pub subject: String,
    pub kind: ProblemKind,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProblemKind {
    /// A table that holds requirements cpc cannot read.
    Table,
    /// A row of a requirement table that is not a clause.
    Row,
    /// A clause-shaped id outside any clause read.
    Id,
    /// The document as a whole (a code block never closed).
    Document,
}

/// Where a spot of a proposal file is, as a person reads it: `proposal.md:96`,
/// `proposal.docx (table 3, row 5)`.
pub fn place(path: &std::path::Path, spot: Spot) -> String {
    match spot {
        Spot::Line(line) => format!("{}:{line}", path.display()),
        spot => format!("{} ({spot})", path.display()),
    }
}

/// A problem at a spot of a proposal file: a line of a text file shows its source line.
pub fn diagnostic(path: &std::path::Path, spot: Spot, message: String) -> Diagnostic {
    match spot {
        Spot::Line(line) => Diagnostic::at(Place::new(path, line as u64, 1), message),
        spot => Diagnostic::nowhere(format!("{} ({spot}): {message}", path.display())),
    }
}

pub fn text_digest(text: &str) -> String {
    let normal = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let hash = Sha256::digest(normal.as_bytes());
    crate::suite::digest::hex(&hash[..8])
}

/// Text on one line, spacing normalised, without the zero-width marks Thai typists put between
/// words (they would split an id or a word that reads whole).
pub fn words(text: &str) -> String {
    text.split(|c: char| c.is_whitespace())
        .map(|w| {
            w.replace(
                ['\u{200B}', '\u{200C}', '\u{200D}', '\u{FEFF}', '\u{00AD}'],
                "",
            )
        })
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A level as a proposal writes it: `ต้อง`, `MUST`, or both languages (`ต้อง (must)`,
/// `ควร / Should`) when they agree.
pub fn level(text: &str) -> Option<Level> {
    let one = |w: &str| match w.to_lowercase().as_str() {
        "ต้อง" | "ต้องมี" | "must" | "shall" | "required" | "mandatory" | "บังคับ" => {
            Some(Level::Must)
        }
        "ควร" | "ควรมี" | "should" | "recommended" | "แนะนำ" => {
            Some(Level::Should)
        }
        _ => None,
    };
    let mut found = None;
    for word in text
        .split(|c: char| c.is_whitespace() || matches!(c, '/' | '(' | ')' | ',' | '|'))
        .filter(|w| !w.is_empty())
    {
        let level = one(word)?;
        if found.is_some_and(|f| f != level) {
            return None;
        }
        found = Some(level);
    }
    found
}

/// A proposal from its file's bytes: a Word document (.docx) or Markdown text. Formats cpc
/// does not read are named with what to give instead.
pub fn read(bytes: &[u8]) -> Result<Proposal, String> {
    const OLE: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    if bytes.starts_with(b"%PDF-") {
        return Err("it is a PDF: a PDF's tables cannot be read back reliably; open the proposal in Word and save it as a Word document (.docx), or give it as Markdown (.md)".into());
    }
    if bytes.starts_with(&OLE) {
        return Err("it is an older Word document (.doc): open it in Word and save it as a Word document (.docx)".into());
    }
    if bytes.starts_with(b"{\\rtf") {
        return Err(
            "it is an RTF file: open it in Word and save it as a Word document (.docx)".into(),
        );
    }
    if bytes.starts_with(b"PK") {
        if bytes
            .get(30..)
            .is_some_and(|b| b.starts_with(b"mimetypeapplication/vnd.oasis.opendocument"))
        {
            return Err(
                "it is an OpenDocument file (.odt): save it as a Word document (.docx)".into(),
            );
        }
        return parse_docx(bytes);
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|_| "it is neither a Word document (.docx) nor UTF-8 Markdown text".to_string())?;
    Ok(parse(text))
}

/// A Markdown proposal.
pub fn parse(text: &str) -> Proposal {
    let (blocks, cut) = markdown::blocks(text);
    let mut proposal = from_blocks(&blocks, Format::Markdown);
    let (line, message) = match cut {
        None => return proposal,
        // Everything after an unclosed fence is code: requirement tables there would be lost.
        Some(markdown::Cut::Unclosed(line)) => (
            line,
            "a code block opened here is never closed: the rest of the proposal is read as code, not requirements".to_string(),
        ),
        Some(markdown::Cut::TooLong(line)) => (
            line,
            format!(
                "the proposal is not read from here on: more than {} lines and table rows (a real one has a few thousand)",
                blocks::MAX_BLOCKS
            ),
        ),
    };
    proposal.problems.push(Problem {
        spot: Spot::Line(line),
        subject: Spot::Line(line).to_string(),
        kind: ProblemKind::Document,
        message,
    });
    proposal
}

/// A Word proposal (.docx).
pub fn parse_docx(bytes: &[u8]) -> Result<Proposal, String> {
    let blocks = docx::blocks(bytes)?;
    Ok(from_blocks(&blocks, Format::Word))
}

fn from_blocks(blocks: &[Block], format: Format) -> Proposal {
    let mut p = Proposal {
        format,
        ..Proposal::default()
    };
    let mut section = String::new();
    let mut readable = HashSet::new();
    let mut previous: Option<tables::Layout> = None;
    // The head: what comes before the first section and the first clause.
    let mut head = true;
    let mut unread_tables: Vec<(Spot, &[Row])> = Vec::new();
    let mut first: HashMap<String, Spot> = HashMap::new();
    for block in blocks {
        match block {
            Block::Heading {
                text,
                section: is_section,
                ..
            } => {
                if *is_section {
                    section = text.clone();
                }
                head &= !(*is_section && numbered(text)) && p.clauses.is_empty();
                if head {
                    head::line(&mut p, text);
                }
            }
            Block::Paragraph { text, .. } if head && p.clauses.is_empty() => {
                head::line(&mut p, text)
            }
            Block::Paragraph { .. } | Block::Code { .. } | Block::Aside { .. } => {}
            Block::Table { rows, spot } => {
                match tables::read(rows, *spot, &mut section, previous.as_ref()) {
                    Some(read) => {
                        readable.insert(*spot);
                        previous = Some(read.layout);
                        p.tables_read += usize::from(!read.clauses.is_empty());
                        p.problems.extend(read.problems);
                        for clause in read.clauses {
                            match first.get(&clause.id) {
                                Some(at) => p.problems.push(twice(&clause, *at)),
                                None => {
                                    first.insert(clause.id.clone(), clause.spot);
                                    p.clauses.push(clause);
                                }
                            }
                        }
                    }
                    None => {
                        if head && p.clauses.is_empty() {
                            head_table(&mut p, rows);
                        }
                        unread_tables.push((*spot, rows));
                    }
                }
            }
        }
    }
    let read: HashSet<&str> = p.clauses.iter().map(|c| c.id.as_str()).collect();
    let numbers = read
        .iter()
        .any(|id| !id.starts_with(|c: char| c.is_ascii_alphabetic()));
    for (spot, rows) in unread_tables {
        if let Some(message) = unread_table(rows, &read, numbers) {
            p.problems.push(Problem {
                spot,
                subject: spot.to_string(),
                kind: ProblemKind::Table,
                message,
            });
        }
    }
    let unaccounted = ids::unaccounted(blocks, &read, &p.problems, &readable);
    p.problems.extend(unaccounted);
    p
}

/// A numbered section's heading (`1. ภาพรวม`, `หมวด ๒`, `Section 3`): the head ends there.
fn numbered(heading: &str) -> bool {
    let t = heading.trim().to_lowercase();
    let t = ["หมวด", "ส่วนที่", "บทที่", "section", "chapter"]
        .iter()
        .find_map(|w| t.strip_prefix(w))
        .unwrap_or(&t)
        .trim_start();
    t.starts_with(|c: char| c.is_ascii_digit() || ('๐'..='๙').contains(&c))
}

fn twice(clause: &Clause, first: Spot) -> Problem {
    Problem {
        spot: clause.spot,
        subject: clause.id.clone(),
        kind: ProblemKind::Row,
        message: format!(
            "clause {} appears twice (first at {first}): this row is not read",
            clause.id
        ),
    }
}

/// Why a table that is not read as requirements is a problem: it holds clause ids not read
/// elsewhere (of any shape), or levels.
fn unread_table(rows: &[Row], read: &HashSet<&str>, numbers: bool) -> Option<String> {
    let unread: Vec<String> = tables::ids_in(rows, numbers)
        .into_iter()
        .filter(|id| !read.contains(id.as_str()))
        .collect();
    let Some(first) = unread.first() else {
        return unread_levels(rows);
    };
    let more = match unread.len() {
        1 => String::new(),
        n => format!(" and {} more", n - 1),
    };
    Some(format!(
        "a table of clause ids ({first}{more}) with no column of levels (ต้อง/ควร) cpc can read: its rows are not read as requirements; give each row its level (ID | ระดับ | ข้อกำหนด)"
    ))
}

/// A label | value table in the head: the head of the proposal as a table. Only two columns:
/// a revision history (ฉบับที่ | วันที่ | …) or a contact list is not one.
fn head_table(p: &mut Proposal, rows: &[Row]) {
    for row in rows {
        if let [label, value] = row.cells.as_slice() {
            head::pair(p, &label.text(), &value.text());
        }
    }
}

/// Why a table that is not read as requirements holds some: a level column or level cells
/// without a column of clause ids.
fn unread_levels(rows: &[Row]) -> Option<String> {
    let strict = |t: &str| {
        matches!(
            t.to_lowercase().as_str(),
            "ต้อง" | "ควร" | "must" | "should" | "shall"
        )
    };
    let names = |t: &str| {
        let t = t.to_lowercase();
        ["ระดับ", "level"].iter().any(|w| t.starts_with(w))
    };
    let cells = || rows.iter().flat_map(|r| r.cells.iter().map(|c| c.text()));
    let header_level = rows
        .iter()
        .filter(|r| r.header)
        .any(|r| r.cells.iter().any(|c| names(&c.text())));
    (header_level || cells().any(|t| strict(&t))).then(|| {
        "a table that gives levels (ต้อง/ควร) but has no column of clause ids: its rows are not read as requirements; give each row its clause id (ID | ระดับ | ข้อกำหนด)".to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_in_any_column_order_with_markup_and_thai_or_english_headers() {
        let text = "\
งานบริการ (service): **ขอรับเงิน** (Grant)
รหัสงานบริการ (service code): `CSG`
หน่วยงานเจ้าของงานบริการ (owning agency): กรมตัวอย่าง (fictional)
ฉบับที่ (version): 1.1 — ตามขั้นตอนที่ ๘

## 2. ความปลอดภัย (security)

| ID | ระดับ | ข้อกำหนด |
|---|---|---|
| TP-2.1 | ต้อง | ตรวจ `Token` ทุกครั้ง<br>ห้ามตอบ 2xx |
| **TP-2.2** | [ควร](#levels) | ตอบเป็น JSON |

```
| TP-9.9 | ต้อง | inside a code block |
```

## 3. Other

| Text | Note | Level | Clause |
|:--|---|---|--:|
| Answers `a \\| b` | x | MUST | TP-3.1 |
| Something | y | maybe | TP-3.2 |

| status | meaning |
|---|---|
| ok | fine |
";
        let p = parse(text);
        assert_eq!(p.service_code.as_deref(), Some("CSG"));
        assert_eq!(p.service_name_th.as_deref(), Some("ขอรับเงิน"));
        assert_eq!(p.service_name_en.as_deref(), Some("Grant"));
        assert_eq!(p.agency_th.as_deref(), Some("กรมตัวอย่าง"));
        assert_eq!(p.version.as_deref(), Some("1.1"));
        let got: Vec<(&str, Level, &str, &str, usize)> = p
            .clauses
            .iter()
            .map(|c| {
                (
                    c.id.as_str(),
                    c.level,
                    c.text.as_str(),
                    c.section.as_str(),
                    c.spot.line().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "TP-2.1",
                    Level::Must,
                    "ตรวจ Token ทุกครั้ง ห้ามตอบ 2xx",
                    "2. ความปลอดภัย (security)",
                    10
                ),
                (
                    "TP-2.2",
                    Level::Should,
                    "ตอบเป็น JSON",
                    "2. ความปลอดภัย (security)",
                    11
                ),
                ("TP-3.1", Level::Must, "Answers a | b", "3. Other", 21),
            ]
        );
        let problems: Vec<(Spot, &str)> = p
            .problems
            .iter()
            .map(|p| (p.spot, p.message.as_str()))
            .collect();
        assert_eq!(
            problems,
            [
                (
                    Spot::Line(22),
                    "clause TP-3.2: level `maybe` is neither ต้อง/must nor ควร/should"
                ),
                (
                    Spot::Line(14),
                    "TP-9.9 looks like a clause id of this proposal but is not read: it is in a code block or a comment, which is never read as requirements («| TP-9.9 | ต้อง | inside a code block |»)"
                ),
            ]
        );
    }

    #[test]
    fn pipe_less_tables_nested_fences_and_a_bom_are_read_as_github_shows_them() {
        let text = "\u{FEFF}## 1. One

ID | Level | Requirement
---|:---:|---
TP-1.1 | must | read without outer pipes
TP-1.2 | should | [linked](#x) and [again](#y) text
not a row: the table ended

````markdown
```
| ID | ระดับ | ข้อกำหนด |
|---|---|---|
| TP-9.1 | ต้อง | inside the outer fence: an inner ``` does not close it |
```
````

~~~
| TP-9.2 | ต้อง | inside tildes |
~~~

| ID | ระดับ | ข้อกำหนด |
|---|---|---|
| TP-1.3 | ต้อง | after both fences |
";
        let p = parse(text);
        let ids: Vec<(&str, &str, usize)> = p
            .clauses
            .iter()
            .map(|c| (c.id.as_str(), c.text.as_str(), c.spot.line().unwrap()))
            .collect();
        assert_eq!(
            ids,
            [
                ("TP-1.1", "read without outer pipes", 5),
                ("TP-1.2", "linked and again text", 6),
                ("TP-1.3", "after both fences", 23),
            ]
        );
        // Rows in code are not read, and said.
        let unread: Vec<(&str, Spot, ProblemKind)> = p
            .problems
            .iter()
            .map(|p| (p.subject.as_str(), p.spot, p.kind))
            .collect();
        assert_eq!(
            unread,
            [
                ("TP-9.1", Spot::Line(13), ProblemKind::Id),
                ("TP-9.2", Spot::Line(18), ProblemKind::Id)
            ]
        );
    }

    #[test]
    fn tables_that_hold_requirements_cpc_cannot_read_are_reported() {
        let text = "\
| ID | ระดับ |
|---|---|
| TP-1.1 | ต้อง |

| หมายเลข | ความต้องการ | ระดับที่ต้องมี |
|---|---|---|
| TP-2.1 | ตอบ 200 | ต้อง |

| ID | ระดับ | ข้อกำหนด |
|---|---|
| TP-3.1 | ต้อง | a delimiter row one cell short |

| field | type | note |
|---|---|---|
| name | string | required |

```
| ID | ระดับ | ข้อกำหนด |
|---|---|---|
| TP-4.1 | ต้อง | never closed |
";
        let p = parse(text);
        // Headers cpc does not know, and a delimiter row one cell short: read from the rows.
        let read: Vec<(&str, Spot)> = p.clauses.iter().map(|c| (c.id.as_str(), c.spot)).collect();
        assert_eq!(
            read,
            [("TP-2.1", Spot::Line(7)), ("TP-3.1", Spot::Line(11))]
        );
        assert_eq!(p.clauses[0].text, "ตอบ 200");
        let problems: Vec<(Spot, ProblemKind, &str)> = p
            .problems
            .iter()
            .map(|p| (p.spot, p.kind, p.message.split(':').next().unwrap()))
            .collect();
        assert_eq!(
            problems,
            [
                (
                    Spot::Line(1),
                    ProblemKind::Table,
                    "a table of clause ids and levels with no column for the text"
                ),
                (
                    Spot::Line(20),
                    ProblemKind::Id,
                    "TP-4.1 looks like a clause id of this proposal but is not read"
                ),
                (
                    Spot::Line(17),
                    ProblemKind::Document,
                    "a code block opened here is never closed"
                ),
            ]
        );
    }

    #[test]
    fn digests_ignore_spacing() {
        assert_eq!(text_digest("a  b\nc"), text_digest(" a b c "));
        assert_ne!(text_digest("a b c"), text_digest("a b d"));
        assert_eq!(text_digest("x").len(), 16);
    }
}
