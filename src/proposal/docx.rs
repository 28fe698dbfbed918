//! A Word proposal (.docx) as blocks: its body's paragraphs, headings (by style or outline
//! level) and tables, read from `word/document.xml` as the reader sees the document — runs
//! joined (bold split mid-word is one word), tracked deletions and field codes left out, line
//! breaks and bullets in a cell kept as lines, merged cells laid on the table's grid (a cell
//! merged down repeats in each row it covers), nested tables' text kept in their cell.
//!
//! A .docx is a hostile input like any other: the archive's entry count, each part's size once
//! inflated (counted as it inflates, whatever its header claims), the XML's nesting and the
//! spans of merged cells are bounded, and a DOCTYPE (entity tricks) is refused. Pure: bytes in,
//! blocks out.

use std::collections::HashMap;
use std::io::{Cursor, Read};

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::blocks::{Block, Cell, MAX_BLOCKS, MAX_CELLS, MAX_COLUMNS, Part, Row, Spot};

/// At most this many entries in the archive (Word writes a few dozen).
const MAX_ENTRIES: usize = 10_000;
/// The main document part, inflated.
const MAX_DOCUMENT: u64 = 64 * 1024 * 1024;
/// Styles and relationships, inflated.
const MAX_SMALL_PART: u64 = 8 * 1024 * 1024;
/// Elements nested deeper than this are refused (Word nests a few dozen at most).
const MAX_DEPTH: usize = 256;
/// A merged cell spans at most this many grid columns (Word allows 63).
const MAX_SPAN: usize = 64;
/// Page headers, footers and notes parts read, at most.
const MAX_ASIDE_PARTS: usize = 64;

const DOCUMENT: &str = "word/document.xml";

/// The blocks of a .docx file's body.
pub fn blocks(bytes: &[u8]) -> Result<Vec<Block>, String> {
    match entry_count(bytes)? {
        usize::MAX => {
            return Err(format!(
                "the archive is a ZIP64 one (more than 65,535 entries): a Word document has far fewer (at most {MAX_ENTRIES} are read)"
            ));
        }
        entries if entries > MAX_ENTRIES => {
            return Err(format!(
                "the archive has {entries} entries: a Word document has far fewer (at most {MAX_ENTRIES} are read)"
            ));
        }
        _ => {}
    }
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| format!("not a readable .docx (zip) archive: {e}"))?;
    if archive.len() > MAX_ENTRIES {
        return Err(format!(
            "the archive has {} entries: a Word document has far fewer (at most {MAX_ENTRIES} are read)",
            archive.len()
        ));
    }
    let main = main_part(&mut archive)?;
    let document = part(&mut archive, &main, MAX_DOCUMENT)?
        .ok_or_else(|| format!("the archive has no `{main}`: not a Word document"))?;
    let styles = match part(&mut archive, "word/styles.xml", MAX_SMALL_PART)? {
        Some(xml) => Styles::read(&xml)?,
        None => Styles::default(),
    };
    let mut blocks = Walker::new(&styles, &main).walk(&document)?;
    blocks.extend(asides(&mut archive, &styles)?);
    Ok(blocks)
}

/// What the page headers, footers, footnotes, endnotes and comments say, as asides: never read
/// as requirements, but a clause id there is named, not lost.
fn asides(
    archive: &mut zip::ZipArchive<Cursor<&[u8]>>,
    styles: &Styles,
) -> Result<Vec<Block>, String> {
    let mut names: Vec<(Part, String)> = archive
        .file_names()
        .filter_map(|name| {
            let name = name.ok()?;
            let file = name.strip_prefix("word/")?.strip_suffix(".xml")?;
            let part = match file {
                "footnotes" => Part::Footnotes,
                "endnotes" => Part::Endnotes,
                "comments" => Part::Comments,
                f if f.starts_with("header") => Part::Header,
                f if f.starts_with("footer") => Part::Footer,
                _ => return None,
            };
            Some((part, name.to_string()))
        })
        .collect();
    names.sort();
    let mut out = Vec::new();
    for (kind, name) in names.into_iter().take(MAX_ASIDE_PARTS) {
        let Some(xml) = part(archive, &name, MAX_SMALL_PART)? else {
            continue;
        };
        let mut n = 0;
        for block in Walker::new(styles, &name).walk(&xml)? {
            let texts: Vec<String> = match block {
                Block::Heading { text, .. } | Block::Paragraph { text, .. } => vec![text],
                Block::Table { rows, .. } => rows
                    .into_iter()
                    .flat_map(|r| r.cells)
                    .flat_map(|c| c.lines)
                    .collect(),
                Block::Code { .. } | Block::Aside { .. } => Vec::new(),
            };
            for text in texts {
                n += 1;
                out.push(Block::Aside {
                    text,
                    spot: Spot::Part {
                        part: kind,
                        paragraph: n,
                    },
                });
            }
        }
    }
    Ok(out)
}

/// The entry count from the end-of-central-directory record, before the zip crate reads every
/// entry of a directory that may claim millions.
fn entry_count(bytes: &[u8]) -> Result<usize, String> {
    const EOCD: [u8; 4] = [0x50, 0x4b, 0x05, 0x06];
    let tail = bytes.len().saturating_sub(22 + 65_535);
    // The record whose comment runs exactly to the end of the file: a signature inside a
    // comment (a decoy claiming few entries) does not.
    let at = (tail..bytes.len().saturating_sub(21))
        .rev()
        .find(|&i| {
            bytes[i..].starts_with(&EOCD)
                && bytes.get(i + 20..i + 22).is_some_and(|c| {
                    i + 22 + usize::from(u16::from_le_bytes([c[0], c[1]])) == bytes.len()
                })
        })
        .ok_or("not a .docx (zip) archive: it has no end-of-archive record")?;
    let count = u16::from_le_bytes([bytes[at + 10], bytes[at + 11]]);
    // 0xFFFF means a ZIP64 directory: more entries than any Word document has.
    Ok(if count == u16::MAX {
        usize::MAX
    } else {
        usize::from(count)
    })
}

/// A part of the archive, inflated up to `limit` bytes (counted as it inflates), or None when
/// the archive has no such part.
fn part(
    archive: &mut zip::ZipArchive<Cursor<&[u8]>>,
    name: &str,
    limit: u64,
) -> Result<Option<Vec<u8>>, String> {
    let file = match archive.by_name(name) {
        Ok(file) => file,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(format!("cannot read `{name}` in the archive: {e}")),
    };
    let too_big = || {
        format!("`{name}` inflates past {limit} bytes: not read (a real proposal's is far smaller)")
    };
    if file.size() > limit {
        return Err(too_big());
    }
    let mut out = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("cannot inflate `{name}` in the archive: {e}"))?;
    if out.len() as u64 > limit {
        return Err(too_big());
    }
    Ok(Some(out))
}

/// The main document part, as the package's relationships name it (`word/document.xml` in
/// every file Word writes).
fn main_part(archive: &mut zip::ZipArchive<Cursor<&[u8]>>) -> Result<String, String> {
    let Some(rels) = part(archive, "_rels/.rels", MAX_SMALL_PART)? else {
        return Ok(DOCUMENT.into());
    };
    let mut reader = Reader::from_reader(rels.as_slice());
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e) | Event::Empty(e)) if e.local_name().as_ref() == b"Relationship" => {
                let kind = attribute(&e, b"Type").unwrap_or_default();
                if kind.ends_with("/officeDocument") {
                    let target = attribute(&e, b"Target").unwrap_or_default();
                    let target = target.trim_start_matches('/');
                    if !target.is_empty() {
                        return Ok(target.to_string());
                    }
                }
            }
            Ok(Event::Eof) | Err(_) => return Ok(DOCUMENT.into()),
            _ => {}
        }
        buf.clear();
    }
}

/// An attribute's value by local name (`w:val` → `val`), entities resolved.
fn attribute(e: &BytesStart, name: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

fn local(e: &BytesStart) -> Vec<u8> {
    e.local_name().as_ref().to_vec()
}

/// What a paragraph style makes of a paragraph.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Heading {
    Title,
    Level(u8),
}

/// Paragraph styles that are headings, from `word/styles.xml`: by name (`heading 2`, `Title`,
/// as Word names them in every language), by outline level, or by the style they are based on.
#[derive(Default)]
struct Styles {
    headings: HashMap<String, Heading>,
}

impl Styles {
    fn read(xml: &[u8]) -> Result<Self, String> {
        struct Style {
            heading: Option<Heading>,
            based_on: Option<String>,
        }
        let mut styles: HashMap<String, Style> = HashMap::new();
        let mut current: Option<String> = None;
        let mut reader = Reader::from_reader(xml);
        let mut buf = Vec::new();
        let mut depth = 0usize;
        loop {
            let event = reader
                .read_event_into(&mut buf)
                .map_err(|e| format!("word/styles.xml is not well-formed XML: {e}"))?;
            let (e, empty) = match &event {
                Event::Start(e) => (e, false),
                Event::Empty(e) => (e, true),
                Event::End(e) => {
                    depth = depth.saturating_sub(1);
                    if e.local_name().as_ref() == b"style" {
                        current = None;
                    }
                    buf.clear();
                    continue;
                }
                Event::DocType(_) => return Err("word/styles.xml has a DOCTYPE: refused".into()),
                Event::Eof => break,
                _ => {
                    buf.clear();
                    continue;
                }
            };
            if !empty {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(format!(
                        "word/styles.xml nests elements deeper than {MAX_DEPTH}: refused"
                    ));
                }
            }
            match e.local_name().as_ref() {
                b"style" => {
                    let id = attribute(e, b"styleId").unwrap_or_default();
                    styles.insert(
                        id.clone(),
                        Style {
                            heading: None,
                            based_on: None,
                        },
                    );
                    current = Some(id);
                }
                name @ (b"name" | b"basedOn" | b"outlineLvl") => {
                    if let Some(style) = current.as_ref().and_then(|id| styles.get_mut(id)) {
                        let value = attribute(e, b"val").unwrap_or_default();
                        match name {
                            b"name" => style.heading = style.heading.or(heading_name(&value)),
                            b"basedOn" => style.based_on = Some(value),
                            _ => {
                                if let Some(level) = outline_level(&value) {
                                    style.heading = Some(level);
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
            buf.clear();
        }
        // A style based on a heading is a heading (a chain of at most 16, as cycles exist).
        let mut headings = HashMap::new();
        for id in styles.keys() {
            let mut at = id;
            for _ in 0..16 {
                let Some(style) = styles.get(at) else { break };
                if let Some(h) = style.heading {
                    headings.insert(id.clone(), h);
                    break;
                }
                match &style.based_on {
                    Some(parent) => at = parent,
                    None => break,
                }
            }
        }
        Ok(Self { headings })
    }
}

/// `heading 2` → level 2; `Title` → the title (Word keeps English style names whatever the
/// language of its menus).
fn heading_name(name: &str) -> Option<Heading> {
    let name = name.trim().to_lowercase();
    if name == "title" {
        return Some(Heading::Title);
    }
    let level: u8 = name.strip_prefix("heading")?.trim().parse().ok()?;
    (1..=9).contains(&level).then_some(Heading::Level(level))
}

/// `w:outlineLvl w:val="1"` → level 2 (9 is body text).
fn outline_level(value: &str) -> Option<Heading> {
    let level: u8 = value.trim().parse().ok()?;
    (level < 9).then_some(Heading::Level(level + 1))
}

/// A paragraph being read: its lines so far and what its properties say.
#[derive(Default)]
struct Para {
    lines: Vec<String>,
    style: Option<String>,
    outline: Option<Heading>,
    bullet: bool,
}

impl Para {
    fn push(&mut self, text: &str) {
        if self.lines.is_empty() {
            self.lines.push(String::new());
        }
        if let Some(line) = self.lines.last_mut() {
            line.push_str(text);
        }
    }

    fn line_break(&mut self) {
        self.lines.push(String::new());
    }
}

/// How a cell takes part in a vertical merge.
#[derive(Clone, Copy, PartialEq)]
enum VMerge {
    None,
    Restart,
    Continue,
}

struct CellB {
    lines: Vec<String>,
    span: usize,
    vmerge: VMerge,
    /// Merged into the cell on its left (the older `w:hMerge`).
    hmerge_continue: bool,
}

#[derive(Default)]
struct RowB {
    cells: Vec<CellB>,
    header: bool,
    before: usize,
}

/// An element being read.
enum Frame {
    /// A table, numbered in document order as it starts.
    Table(usize, Vec<RowB>),
    Row(RowB),
    Cell(CellB),
    Para(Para),
    /// A run; `true` when its text is hidden (`w:vanish`): not what a reader sees.
    Run(bool),
    Text,
    /// Not part of what the document says (deleted text, field codes, a drawing's fallback).
    Skip,
    Other,
}

struct Walker<'s> {
    styles: &'s Styles,
    /// The part being read, for messages.
    part: &'s str,
    blocks: Vec<Block>,
    stack: Vec<Frame>,
    skipping: usize,
    paragraphs: usize,
    tables: usize,
    /// Table cells laid so far, all tables, and the bytes of their text (a cell merged down
    /// repeats its text in each row it covers).
    cells: usize,
    text_bytes: usize,
    /// Set when a bound is passed: the walk stops with it.
    refused: Option<String>,
}

impl<'s> Walker<'s> {
    fn new(styles: &'s Styles, part: &'s str) -> Self {
        Self {
            styles,
            part,
            blocks: Vec::new(),
            stack: Vec::new(),
            skipping: 0,
            paragraphs: 0,
            tables: 0,
            cells: 0,
            text_bytes: 0,
            refused: None,
        }
    }

    fn walk(mut self, xml: &[u8]) -> Result<Vec<Block>, String> {
        let mut reader = Reader::from_reader(xml);
        let mut buf = Vec::new();
        loop {
            let position = reader.buffer_position();
            let part = self.part;
            let event = reader
                .read_event_into(&mut buf)
                .map_err(|e| format!("{part} is not well-formed XML (byte {position}): {e}"))?;
            // Text counts inside `w:t` of a run that is not hidden, outside skipped parts.
            let reading = self.skipping == 0
                && matches!(self.stack.last(), Some(Frame::Text))
                && !self
                    .stack
                    .iter()
                    .rev()
                    .any(|f| matches!(f, Frame::Run(true)));
            match event {
                Event::Start(e) => self.start(&e)?,
                Event::Empty(e) => {
                    self.start(&e)?;
                    self.end();
                }
                Event::End(_) => self.end(),
                Event::Text(t) if reading => {
                    let text = t
                        .xml_content(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|e| format!("{part} has text that is not UTF-8: {e}"))?;
                    self.text(&text);
                }
                Event::CData(t) if reading => self.text(&String::from_utf8_lossy(&t)),
                Event::GeneralRef(r) if reading => {
                    let resolved = match r.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        _ => {
                            let name = r.decode().map_err(|e| e.to_string())?;
                            quick_xml::escape::resolve_predefined_entity(&name)
                                .ok_or_else(|| {
                                    format!("{part} refers to an unknown entity `&{name};`")
                                })?
                                .to_string()
                        }
                    };
                    self.text(&resolved);
                }
                Event::DocType(_) => {
                    return Err(format!(
                        "{part} has a DOCTYPE: a Word document has none; refused"
                    ));
                }
                Event::Eof => break,
                _ => {}
            }
            if let Some(refused) = self.refused.take() {
                return Err(refused);
            }
            buf.clear();
        }
        Ok(self.blocks)
    }

    fn text(&mut self, text: &str) {
        if let Some(p) = self.para() {
            p.push(text);
        }
    }

    fn para(&mut self) -> Option<&mut Para> {
        self.stack.iter_mut().rev().find_map(|f| match f {
            Frame::Para(p) => Some(p),
            _ => None,
        })
    }

    fn cell(&mut self) -> Option<&mut CellB> {
        self.stack.iter_mut().rev().find_map(|f| match f {
            Frame::Cell(c) => Some(c),
            _ => None,
        })
    }

    fn row(&mut self) -> Option<&mut RowB> {
        self.stack.iter_mut().rev().find_map(|f| match f {
            Frame::Row(r) => Some(r),
            _ => None,
        })
    }

    fn start(&mut self, e: &BytesStart) -> Result<(), String> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(format!(
                "word/document.xml nests elements deeper than {MAX_DEPTH}: refused (Word nests a few dozen)"
            ));
        }
        let name = local(e);
        let in_run = matches!(self.stack.last(), Some(Frame::Run(_)));
        let frame = if self.skipping > 0 {
            Frame::Skip
        } else {
            match name.as_slice() {
                b"tbl" => {
                    self.tables += 1;
                    Frame::Table(self.tables, Vec::new())
                }
                b"tr" => Frame::Row(RowB::default()),
                b"tc" => Frame::Cell(CellB {
                    lines: Vec::new(),
                    span: 1,
                    vmerge: VMerge::None,
                    hmerge_continue: false,
                }),
                b"p" => Frame::Para(Para::default()),
                b"r" => Frame::Run(false),
                b"t" => Frame::Text,
                // Deleted text, field codes, a drawing's fallback copy, and the formatting a
                // tracked change replaced: not what the document says now.
                b"del" | b"moveFrom" | b"delText" | b"instrText" | b"delInstrText"
                | b"Fallback" | b"pPrChange" | b"rPrChange" | b"tcPrChange" | b"trPrChange"
                | b"tblPrChange" | b"tblGridChange" | b"sectPrChange" | b"numberingChange" => {
                    Frame::Skip
                }
                _ => {
                    self.property(&name, e, in_run);
                    Frame::Other
                }
            }
        };
        if matches!(frame, Frame::Skip) {
            self.skipping += 1;
        }
        self.stack.push(frame);
        Ok(())
    }

    /// An element that is not structure: a run's tab or break, or a property of the
    /// paragraph, cell or row it is in.
    fn property(&mut self, name: &[u8], e: &BytesStart, in_run: bool) {
        let value = || attribute(e, b"val");
        let number = |v: Option<String>| {
            v.and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(1)
                .clamp(1, MAX_SPAN)
        };
        let on = |v: Option<String>| !matches!(v.as_deref(), Some("0" | "false" | "off"));
        match name {
            b"tab" if in_run => self.text(" "),
            b"br" | b"cr" if in_run => {
                if let Some(p) = self.para() {
                    p.line_break();
                }
            }
            b"noBreakHyphen" if in_run => self.text("-"),
            // A run's hidden text (in its rPr; a paragraph mark's does not hide the paragraph).
            b"vanish" if on(value()) => {
                if let Some(Frame::Run(hidden)) = self.stack.last_mut() {
                    *hidden = true;
                } else if let [.., Frame::Run(hidden), Frame::Other] = self.stack.as_mut_slice() {
                    *hidden = true;
                }
            }
            b"pStyle" => {
                let style = value();
                if let Some(p) = self.para() {
                    p.style = style;
                }
            }
            b"outlineLvl" => {
                let level = value().and_then(|v| outline_level(&v));
                if let Some(p) = self.para() {
                    p.outline = level;
                }
            }
            b"numPr" => {
                if let Some(p) = self.para() {
                    p.bullet = true;
                }
            }
            b"gridSpan" => {
                let span = number(value());
                if let Some(c) = self.cell() {
                    c.span = span;
                }
            }
            b"vMerge" => {
                let restart = value().as_deref() == Some("restart");
                if let Some(c) = self.cell() {
                    c.vmerge = if restart {
                        VMerge::Restart
                    } else {
                        VMerge::Continue
                    };
                }
            }
            b"hMerge" => {
                let cont = value().as_deref() != Some("restart");
                if let Some(c) = self.cell() {
                    c.hmerge_continue = cont;
                }
            }
            b"tblHeader" => {
                let header = on(value());
                if let Some(r) = self.row() {
                    r.header = header;
                }
            }
            b"gridBefore" => {
                let before = number(value());
                if let Some(r) = self.row() {
                    r.before = before;
                }
            }
            _ => {}
        }
    }

    fn end(&mut self) {
        let Some(frame) = self.stack.pop() else {
            return;
        };
        match frame {
            Frame::Skip => self.skipping -= 1,
            Frame::Para(p) => self.end_para(p),
            Frame::Cell(c) => {
                if let Some(r) = self.row() {
                    r.cells.push(c);
                }
            }
            Frame::Row(r) => {
                if let Some(Frame::Table(_, rows)) = self
                    .stack
                    .iter_mut()
                    .rev()
                    .find(|f| matches!(f, Frame::Table(..)))
                {
                    rows.push(r);
                }
            }
            Frame::Table(table, rows) => self.end_table(table, rows),
            Frame::Run(_) | Frame::Text | Frame::Other => {}
        }
    }

    fn end_para(&mut self, p: Para) {
        let mut lines: Vec<String> = p
            .lines
            .iter()
            .map(|l| super::words(l))
            .filter(|l| !l.is_empty())
            .collect();
        if lines.is_empty() {
            return;
        }
        if let Some(cell) = self.cell() {
            if p.bullet {
                lines[0] = format!("• {}", lines[0]);
            }
            cell.lines.extend(lines);
            return;
        }
        self.paragraphs += 1;
        if self.blocks.len() > MAX_BLOCKS {
            self.refused = Some(format!(
                "{} has more than {MAX_BLOCKS} paragraphs and tables: refused (a proposal has a few thousand)",
                self.part
            ));
            return;
        }
        let spot = Spot::Paragraph(self.paragraphs);
        let heading = p.outline.or_else(|| {
            p.style
                .as_ref()
                .and_then(|s| self.styles.headings.get(s).copied())
        });
        for text in lines {
            self.blocks.push(match heading {
                Some(h) => Block::Heading {
                    text,
                    section: h != Heading::Title,
                    spot,
                },
                None => Block::Paragraph { text, spot },
            });
        }
    }

    /// A table's rows laid on its grid: a cell spanning columns fills its first and leaves the
    /// others empty; a cell merged down repeats the text of the cell it continues.
    fn end_table(&mut self, table: usize, rows: Vec<RowB>) {
        let mut above: Vec<Vec<String>> = Vec::new();
        let mut grid_rows = Vec::with_capacity(rows.len());
        for r in rows {
            let mut cells: Vec<Cell> = vec![Cell::default(); r.before];
            for c in r.cells {
                let lines = match c.vmerge {
                    _ if c.hmerge_continue => Vec::new(),
                    VMerge::Continue => above.get(cells.len()).cloned().unwrap_or_default(),
                    _ => c.lines,
                };
                self.text_bytes += lines.iter().map(String::len).sum::<usize>();
                // A line costs like a cell: a cell of many lines merged down many rows is many.
                self.cells += c.span + lines.len();
                cells.push(Cell::new(lines));
                cells.extend((1..c.span).map(|_| Cell::default()));
                // Checked as the row grows: a row of spans never gets to allocate past them.
                if cells.len() > MAX_COLUMNS
                    || self.cells > MAX_CELLS
                    || self.text_bytes as u64 > MAX_DOCUMENT
                {
                    self.refused = Some(format!(
                        "{} has a table row of more than {MAX_COLUMNS} columns, or more than {MAX_CELLS} table cells and lines, or merged cells repeating past {MAX_DOCUMENT} bytes of text: refused (Word allows 63 columns; a proposal has a few thousand cells)",
                        self.part
                    ));
                    return;
                }
            }
            for (col, cell) in cells.iter().enumerate() {
                if above.len() <= col {
                    above.resize(col + 1, Vec::new());
                }
                above[col].clone_from(&cell.lines);
            }
            grid_rows.push((cells, r.header));
        }
        if let Some(cell) = self.cell() {
            // A table inside a cell: its rows are lines of that cell too (a frame table
            // around the requirements, or a small table in a clause's text).
            for (cells, _) in &grid_rows {
                let line: Vec<String> = cells
                    .iter()
                    .map(Cell::text)
                    .filter(|t| !t.is_empty())
                    .collect();
                if !line.is_empty() {
                    cell.lines.push(line.join(" | "));
                }
            }
        }
        let rows = grid_rows
            .into_iter()
            .enumerate()
            .map(|(i, (cells, header))| Row {
                cells,
                header,
                spot: Spot::Row { table, row: i + 1 },
            })
            .collect();
        self.blocks.push(Block::Table {
            rows,
            spot: Spot::Table(table),
        });
    }
}
