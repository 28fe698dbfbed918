//! What a proposal is made of, whatever its format: headings, paragraphs, code and tables, each
//! with the place a person finds it by (a line of a Markdown file; a paragraph, or a table and
//! its row, of a Word document). The Markdown and Word readers make these; the clause reader
//! reads only these, so both formats are read by one set of rules.

use std::fmt;

/// A proposal of more blocks (paragraphs, lines, table rows) than this is not read past them: a
/// real one has a few thousand, and each costs memory.
pub const MAX_BLOCKS: usize = 500_000;
/// A table row of more cells than this keeps the rest in its last cell (Word allows 63 columns).
pub const MAX_COLUMNS: usize = 256;
/// A Word document of more table cells than this is refused.
pub const MAX_CELLS: usize = 1_000_000;

/// Where something is in a proposal, as a person looks for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Spot {
    /// A line of a Markdown file (1-based).
    Line(usize),
    /// A paragraph of a Word document outside any table (1-based, in document order).
    Paragraph(usize),
    /// A Word table (1-based, in document order).
    Table(usize),
    /// A row of a Word table (both 1-based).
    Row { table: usize, row: usize },
    /// A paragraph of a Word document's page headers, footers, footnotes, endnotes or comments.
    Part { part: Part, paragraph: usize },
}

/// The parts of a Word document besides its body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Part {
    Header,
    Footer,
    Footnotes,
    Endnotes,
    Comments,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Part::Header => "page headers",
            Part::Footer => "page footers",
            Part::Footnotes => "footnotes",
            Part::Endnotes => "endnotes",
            Part::Comments => "comments",
        })
    }
}

impl Spot {
    /// The line, for a place in a text file (diagnostics show its source line).
    pub fn line(self) -> Option<usize> {
        match self {
            Spot::Line(line) => Some(line),
            _ => None,
        }
    }
}

impl fmt::Display for Spot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Spot::Line(n) => write!(f, "line {n}"),
            Spot::Paragraph(n) => write!(f, "paragraph {n}"),
            Spot::Table(n) => write!(f, "table {n}"),
            Spot::Row { table, row } => write!(f, "table {table}, row {row}"),
            Spot::Part { part, paragraph } => write!(f, "{part}, paragraph {paragraph}"),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    /// A heading; `section` when it names a section of the proposal (not the document's title).
    Heading {
        text: String,
        section: bool,
        spot: Spot,
    },
    Paragraph {
        text: String,
        spot: Spot,
    },
    /// A line inside a fenced code block or an HTML comment: never read as requirements.
    Code {
        text: String,
        spot: Spot,
    },
    /// A paragraph of a page header, footer, footnote or comment: never read as requirements.
    Aside {
        text: String,
        spot: Spot,
    },
    Table {
        rows: Vec<Row>,
        spot: Spot,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub cells: Vec<Cell>,
    /// Marked as a header by the document (a Markdown row above `|---|`, a Word row repeated
    /// at the top of each page).
    pub header: bool,
    pub spot: Spot,
}

/// A cell's text, one entry per line (a paragraph, a line break or a bullet of the cell), with
/// markup removed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Cell {
    pub lines: Vec<String>,
}

impl Cell {
    pub fn new(lines: Vec<String>) -> Self {
        Self {
            lines: lines.into_iter().filter(|l| !l.trim().is_empty()).collect(),
        }
    }

    /// The whole text on one line, spacing normalised.
    pub fn text(&self) -> String {
        self.lines
            .iter()
            .flat_map(|l| l.split_whitespace())
            .collect::<Vec<_>>()
            .join(" ")
    }
}
