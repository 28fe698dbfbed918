//! Reading a technical proposal (step 8's document, Markdown): its requirement tables and what
//! it says of the service. A requirement table has a column for the clause id, one for the
//! level (ต้อง/ควร, must/should) and one for the text, in any order, with Thai or English
//! headers; other tables are not requirements. Section headings give each clause its section.
//! Liberal in what it reads (extra columns, bold, links, code, line breaks in cells), precise in
//! what it reports (a row whose level is neither, with its line). Pure: text in, model out.

use sha2::{Digest, Sha256};

use crate::suite::Level;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Proposal {
    pub service_name_th: Option<String>,
    pub service_name_en: Option<String>,
    pub service_code: Option<String>,
    pub agency_th: Option<String>,
    pub version: Option<String>,
    pub clauses: Vec<Clause>,
    /// Rows that look like requirements but cannot be read, with their line.
    pub problems: Vec<(usize, String)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Clause {
    pub id: String,
    pub level: Level,
    pub text: String,
    /// The heading it is under, as written (`2. การเชื่อมต่อและความปลอดภัย (connection and security)`).
    pub section: String,
    /// 1-based line of its row.
    pub line: usize,
}

impl Clause {
    /// The digest of its text, normalised (markup and spacing do not count): what a
    /// requirement stores to notice when the proposal's wording changes.
    pub fn digest(&self) -> String {
        text_digest(&self.text)
    }
}

pub fn text_digest(text: &str) -> String {
    let normal = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let hash = Sha256::digest(normal.as_bytes());
    crate::suite::digest::hex(&hash[..8])
}

/// A table column's role, from its header.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Column {
    Id,
    Level,
    Text,
    Other,
}

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

/// A level as a proposal writes it.
pub fn level(text: &str) -> Option<Level> {
    match text.trim().to_lowercase().as_str() {
        "ต้อง" | "must" | "shall" | "required" | "บังคับ" => Some(Level::Must),
        "ควร" | "should" | "recommended" | "แนะนำ" => Some(Level::Should),
        _ => None,
    }
}

/// A cell or line as plain text: bold, italics, code marks and links removed, `<br>` a space.
pub fn plain(text: &str) -> String {
    let s = text
        .replace("<br>", " ")
        .replace("<br/>", " ")
        .replace("<br />", " ");
    // [text](url) → text, in one pass.
    let mut out = String::with_capacity(s.len());
    let mut rest = s.as_str();
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
    let s = out;
    let s = s.replace("**", "").replace("__", "").replace('`', "");
    s.split_whitespace().collect::<Vec<_>>().join(" ")
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
            '|' if !code => out.push(std::mem::take(&mut cell)),
            c => cell.push(c),
        }
    }
    out.push(cell);
    out.into_iter().map(|c| c.trim().to_string()).collect()
}

/// `label (english): value` lines at the head of a proposal.
fn meta(proposal: &mut Proposal, line: &str) {
    let Some((key, value)) = line.split_once(':') else {
        return;
    };
    let key = plain(key).to_lowercase();
    let raw = value.trim();
    // The Thai before an English note in parentheses, or after it for a code.
    let main = |v: &str| {
        let v = plain(v);
        v.split(" (")
            .next()
            .unwrap_or("")
            .split(" — ")
            .next()
            .unwrap_or("")
            .trim()
            .to_string()
    };
    if key.starts_with("รหัสงานบริการ") || key.starts_with("service code")
    {
        proposal.service_code.get_or_insert(main(raw));
    } else if key.starts_with("งานบริการ") || key == "service" || key.starts_with("service (")
    {
        proposal.service_name_th.get_or_insert(main(raw));
        let english = plain(raw)
            .split_once(" (")
            .and_then(|(_, rest)| rest.strip_suffix(')'))
            .map(str::to_string);
        if let Some(en) = english {
            proposal.service_name_en.get_or_insert(en);
        }
    } else if key.starts_with("หน่วยงาน") || key.starts_with("owning agency") || key == "agency"
    {
        proposal.agency_th.get_or_insert(main(raw));
    } else if key.starts_with("ฉบับที่") || key.starts_with("version") {
        let version = main(raw)
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_string();
        proposal.version.get_or_insert(version);
    }
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

/// A table's delimiter row (`|---|:--:|`, or `--- | ---` without outer pipes): its cell count.
fn delimiter_cells(line: &str) -> Option<usize> {
    let t = line.trim();
    if !t.contains('|') && !t.starts_with('-') && !t.starts_with(':') {
        return None;
    }
    let row = cells(t);
    let all = row.iter().all(|c| {
        let c = c.strip_prefix(':').unwrap_or(c);
        let c = c.strip_suffix(':').unwrap_or(c);
        !c.is_empty() && c.chars().all(|ch| ch == '-')
    });
    (all && t.contains('|')).then_some(row.len())
}

/// A row of the table that started above: GitHub tables run until a blank line or a line
/// without a `|`.
fn is_row(line: &str) -> bool {
    !line.trim().is_empty() && line.contains('|')
}

pub fn parse(text: &str) -> Proposal {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut proposal = Proposal::default();
    let lines: Vec<&str> = text.lines().collect();
    let mut section = String::new();
    let mut fence: Option<((char, usize), usize)> = None;
    let mut seen = std::collections::HashSet::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if let Some((open, _)) = fence {
            if fence_closes(line, open) {
                fence = None;
            }
            i += 1;
            continue;
        }
        if let Some(open) = fence_open(line) {
            fence = Some((open, i + 1));
            i += 1;
            continue;
        }
        let trimmed = line.trim_start();
        if let Some(heading) = trimmed.strip_prefix('#') {
            let level = 1 + heading.chars().take_while(|c| *c == '#').count();
            if level >= 2 {
                section = plain(heading.trim_start_matches('#'));
            }
            i += 1;
            continue;
        }
        let header = cells(line);
        let delimiter = lines.get(i + 1).and_then(|l| delimiter_cells(l));
        let Some(width) = delimiter.filter(|_| line.contains('|')) else {
            if proposal.clauses.is_empty() {
                meta(&mut proposal, line);
            }
            i += 1;
            continue;
        };
        let roles: Vec<Column> = header.iter().map(|h| column(&plain(h))).collect();
        let find = |want: Column| roles.iter().position(|c| *c == want);
        let table_line = i + 1;
        i += 2;
        let rows_start = i;
        while i < lines.len() && is_row(lines[i]) {
            i += 1;
        }
        let rows = rows_start..i;
        if width != header.len() {
            if find(Column::Level).is_some() {
                proposal.problems.push((
                    table_line,
                    format!(
                        "a table whose header has {} cells and its delimiter row {width}: not read as requirements",
                        header.len()
                    ),
                ));
            }
            continue;
        }
        let (Some(id_at), Some(level_at), Some(text_at)) =
            (find(Column::Id), find(Column::Level), find(Column::Text))
        else {
            if let Some(problem) = unread_requirements(&roles, &lines[rows.clone()], rows.start) {
                proposal.problems.push((table_line, problem));
            }
            continue;
        };
        for at in rows {
            let row = cells(lines[at]);
            let cell = |at: usize| row.get(at).map(|c| plain(c)).unwrap_or_default();
            let (id, level_text, text) = (cell(id_at), cell(level_at), cell(text_at));
            let line_no = at + 1;
            if id.is_empty() {
                proposal
                    .problems
                    .push((line_no, "a requirement row without a clause id".into()));
            } else if let Some(level) = level(&level_text) {
                if !seen.insert(id.clone()) {
                    proposal
                        .problems
                        .push((line_no, format!("clause {id} appears twice")));
                } else {
                    proposal.clauses.push(Clause {
                        id,
                        level,
                        text,
                        section: section.clone(),
                        line: line_no,
                    });
                }
            } else {
                proposal.problems.push((
                    line_no,
                    format!("clause {id}: level `{level_text}` is neither ต้อง/must nor ควร/should"),
                ));
            }
        }
    }
    if let Some((_, line)) = fence {
        // Everything after an unclosed fence is code: requirement tables there would be lost.
        proposal.problems.push((
            line,
            "a code block opened here is never closed: the rest of the proposal is read as code, not requirements".into(),
        ));
    }
    proposal
}

/// Why a table that is not read as requirements looks like one: a level column without an id
/// or text column, or rows that give a level (ต้อง/ควร) under headers cpc does not know.
fn unread_requirements(roles: &[Column], rows: &[&str], first: usize) -> Option<String> {
    let names = "name its columns as a requirement table does (ID | ระดับ | ข้อกำหนด)";
    if roles.contains(&Column::Level) {
        return Some(format!(
            "a table with a level column but no {} column: its rows are not read as requirements; {names}",
            if roles.contains(&Column::Id) {
                "text (ข้อกำหนด)"
            } else {
                "clause id (ID/ข้อ)"
            }
        ));
    }
    let strict = |c: &String| {
        matches!(
            plain(c).to_lowercase().as_str(),
            "ต้อง" | "ควร" | "must" | "should" | "shall"
        )
    };
    let at = rows.iter().position(|row| cells(row).iter().any(strict))?;
    Some(format!(
        "a table whose rows give levels (line {}) under headers that name no level column: its rows are not read as requirements; {names}",
        first + at + 1
    ))
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
                    c.line,
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
        assert_eq!(
            p.problems,
            [(
                22,
                "clause TP-3.2: level `maybe` is neither ต้อง/must nor ควร/should".to_string()
            )]
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
            .map(|c| (c.id.as_str(), c.text.as_str(), c.line))
            .collect();
        assert_eq!(
            ids,
            [
                ("TP-1.1", "read without outer pipes", 5),
                ("TP-1.2", "linked and again text", 6),
                ("TP-1.3", "after both fences", 23),
            ]
        );
        assert_eq!(p.problems, []);
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
        assert_eq!(p.clauses, []);
        let problems: Vec<(usize, &str)> = p
            .problems
            .iter()
            .map(|(line, m)| (*line, m.split(':').next().unwrap()))
            .collect();
        assert_eq!(
            problems,
            [
                (
                    1,
                    "a table with a level column but no text (ข้อกำหนด) column"
                ),
                (
                    5,
                    "a table whose rows give levels (line 7) under headers that name no level column"
                ),
                (
                    9,
                    "a table whose header has 3 cells and its delimiter row 2"
                ),
                (17, "a code block opened here is never closed"),
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
