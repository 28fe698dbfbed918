//! What `cpc init` writes from a proposal: suite.yaml, requirements.yaml with every clause, and
//! one case file per section holding a pending case per clause (the clause as a comment); and
//! what `cpc init --update` makes of requirements.yaml when the proposal changes. Pure: the
//! proposal (and the requirements as they are) in, files and a list of changes out. Nothing is
//! invented: what the proposal does not say is a `FILL-IN:` marker that validate refuses.

pub mod openapi;
mod update;

pub use update::edit_in_place;

use crate::proposal::{Clause, Proposal};
use crate::suite::{Coverage, Level, Requirement};

/// What `cpc init` writes where the proposal does not give a value; `cpc validate` refuses a
/// suite that still holds one.
pub const FILL_IN: &str = "FILL-IN:";

/// A marker for a value the proposal does not give.
pub fn fill_in(what_th: &str, what_en: &str, file: &str) -> String {
    format!("{FILL_IN} {what_th} ({what_en}) — not found in {file}")
}

/// A YAML scalar that reads back as exactly this text: a JSON string (JSON strings are YAML),
/// with what YAML does not allow in a file written as an escape too (DEL, C1 controls,
/// noncharacters), which JSON leaves as they are.
fn q(text: &str) -> String {
    let json = serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into());
    if !json.chars().any(needs_escape) {
        return json;
    }
    json.chars()
        .map(|c| {
            if needs_escape(c) {
                format!("\\u{:04x}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn needs_escape(c: char) -> bool {
    matches!(
        c,
        '\u{7f}'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{FEFF}' | '\u{FFFE}' | '\u{FFFF}'
    )
}

fn level(level: Level) -> &'static str {
    match level {
        Level::Must => "must",
        Level::Should => "should",
    }
}

/// A requirement as requirements.yaml holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub id: String,
    pub level: Level,
    pub text_th: String,
    pub text_en: Option<String>,
    pub not_tested_reason: Option<String>,
    pub partial: bool,
    pub coverage_reason_th: Option<String>,
    pub coverage_reason_en: Option<String>,
    pub proposal_digest: String,
}

impl Entry {
    fn of_clause(c: &Clause, proposal_file: &str) -> Self {
        Self {
            id: c.id.clone(),
            level: c.level,
            text_th: thai_text(c, proposal_file),
            text_en: c.text_en.clone(),
            not_tested_reason: None,
            partial: false,
            coverage_reason_th: None,
            coverage_reason_en: None,
            proposal_digest: c.digest(),
        }
    }
}

/// A clause's Thai text, or a marker when the proposal gives it only in English.
fn thai_text(c: &Clause, proposal_file: &str) -> String {
    c.text_th.clone().unwrap_or_else(|| {
        fill_in(
            &format!("ข้อความภาษาไทยของข้อ {}", c.id),
            "the proposal gives this clause in English only",
            proposal_file,
        )
    })
}

/// One requirement as requirements.yaml holds it, its `- ` at `indent` spaces.
pub fn entry_yaml(e: &Entry, indent: usize) -> String {
    let pad = " ".repeat(indent + 2);
    let mut out = format!(
        "{}- id: {}\n{pad}level: {}\n",
        " ".repeat(indent),
        q(&e.id),
        level(e.level)
    );
    out.push_str(&format!("{pad}text_th: {}\n", q(&e.text_th)));
    let optional = [
        ("text_en", &e.text_en),
        ("not_tested_reason", &e.not_tested_reason),
    ];
    for (key, value) in optional {
        if let Some(v) = value {
            out.push_str(&format!("{pad}{key}: {}\n", q(v)));
        }
    }
    if e.partial {
        out.push_str(&format!("{pad}coverage: partial\n"));
    }
    for (key, value) in [
        ("coverage_reason_th", &e.coverage_reason_th),
        ("coverage_reason_en", &e.coverage_reason_en),
    ] {
        if let Some(v) = value {
            out.push_str(&format!("{pad}{key}: {}\n", q(v)));
        }
    }
    out.push_str(&format!(
        "{pad}proposal_digest: {}\n",
        q(&e.proposal_digest)
    ));
    out
}

pub fn requirements_yaml(entries: &[Entry], proposal_file: &str) -> String {
    let proposal_file = comment_text(proposal_file);
    let mut out = format!(
        "# Every clause of the technical proposal ({proposal_file}), with its level (ต้อง = must,\n# ควร = should). `proposal_digest` is the digest of the clause text each was written from:\n# cpc validate names a clause whose text changed since; cpc init --update records it.\nrequirements:\n"
    );
    for e in entries {
        out.push_str(&entry_yaml(e, 2));
    }
    out
}

/// `2. ความปลอดภัย (connection and security)` → `cases/02-connection-and-security`;
/// `2.1 ความปลอดภัย` → `cases/02-1-section` (the path without `.yaml`).
fn section_file(section: &str, index: usize) -> String {
    let numbers: Vec<usize> = section
        .split_whitespace()
        .next()
        .unwrap_or("")
        .split('.')
        .map_while(|n| n.parse().ok())
        .collect();
    let number = match numbers.split_first() {
        Some((first, rest)) => std::iter::once(format!("{first:02}"))
            .chain(rest.iter().map(usize::to_string))
            .collect::<Vec<_>>()
            .join("-"),
        None => format!("{:02}", index + 1),
    };
    let english = section
        .rsplit_once('(')
        .and_then(|(_, rest)| rest.split_once(')'))
        .map(|(inside, _)| inside)
        .unwrap_or("");
    let slug: String = english
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let slug = slug
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    // A file name, whatever the length of the heading's English.
    let slug: String = slug.chars().take(48).collect();
    let slug = slug.trim_end_matches('-');
    let slug = if slug.is_empty() { "section" } else { slug };
    format!("cases/{number}-{slug}")
}

/// The lines (1-based) of `before` holding a comment that `after` does not have: what a
/// rewrite of the file loses.
pub fn comments_lost(before: &str, after: &str) -> Vec<usize> {
    fn comment(line: &str) -> Option<&str> {
        let t = line.trim();
        t.starts_with('#').then_some(t)
    }
    let kept: std::collections::HashSet<&str> = after.lines().filter_map(comment).collect();
    before
        .lines()
        .enumerate()
        .filter(|(_, l)| comment(l).is_some_and(|c| !kept.contains(c)))
        .map(|(i, _)| i + 1)
        .collect()
}

/// A comment block: every line starts with `#`, whatever the text holds. A lone `\r` breaks a
/// line in YAML too, so it starts a comment line of its own (no clause text becomes YAML).
fn comment(text: &str, indent: &str) -> String {
    text.split(['\n', '\r'])
        .filter(|l| !l.is_empty())
        .map(|l| format!("{indent}# {}\n", comment_text(l)))
        .collect()
}

/// Text inside a comment line: what YAML does not allow in a file (control characters, a BOM,
/// noncharacters) or may read as a line break is written as `\u{..}`, so the file still loads.
fn comment_text(text: &str) -> String {
    crate::report::escape::escape_where(text, |c| {
        c.is_control() && c != '\t'
            || matches!(
                c,
                '\u{2028}' | '\u{2029}' | '\u{FEFF}' | '\u{FFFE}' | '\u{FFFF}'
            )
    })
}

/// The files of a new suite, by path under its directory.
/// The files of a new suite, by path under its directory. What the proposal's head does not
/// give is a FILL-IN marker; what the reader skipped is listed under `proposal_skipped`, each
/// with a FILL-IN reason.
pub fn new_suite(p: &Proposal, proposal_file: &str, dir_name: &str) -> Vec<(String, String)> {
    let given = |value: &Option<String>, th: &str, en: &str| {
        value
            .clone()
            .unwrap_or_else(|| fill_in(th, en, proposal_file))
    };
    // The suite's id names its history folder: the service code when the proposal gives it,
    // else the folder the tester chose.
    let id = p.service_code.as_deref().unwrap_or(dir_name).to_lowercase();
    let mut suite = format!(
        "# Written by cpc init from {}: fill in the portal's credentials and each case.\nid: {}\nservice_code: {}\nname_th: {}\n",
        comment_text(proposal_file),
        q(&id),
        q(&given(&p.service_code, "รหัสงานบริการ", "service code")),
        q(&given(&p.service_name_th, "ชื่องานบริการ", "service name"))
    );
    if let Some(en) = &p.service_name_en {
        suite.push_str(&format!("name_en: {}\n", q(en)));
    }
    suite.push_str(&format!(
        "agency_th: {}\nproposal_version: {}\nproposal: {}\n",
        q(&given(
            &p.agency_th,
            "หน่วยงานเจ้าของงานบริการ",
            "owning agency"
        )),
        q(&given(
            &p.version,
            "ฉบับที่ของข้อเสนอทางเทคนิค",
            "proposal version"
        )),
        q(proposal_file)
    ));
    if !p.problems.is_empty() {
        suite.push_str("# What the proposal holds that cpc init did not read as clauses: say why each is not one.\nproposal_skipped:\n");
        for problem in &p.problems {
            suite.push_str(&comment(
                &format!("{}: {}", problem.spot, problem.message),
                "  ",
            ));
            suite.push_str(&format!(
                "  - item: {}\n    reason_th: {}\n",
                q(&problem.subject),
                q(&format!(
                    "{FILL_IN} เหตุผลที่ไม่ใช่ข้อกำหนด (why this is not a clause of the proposal)"
                ))
            ));
        }
    }
    let entries: Vec<Entry> = p
        .clauses
        .iter()
        .map(|c| Entry::of_clause(c, proposal_file))
        .collect();
    let mut files = vec![
        ("suite.yaml".to_string(), suite),
        (
            "requirements.yaml".to_string(),
            requirements_yaml(&entries, proposal_file),
        ),
    ];
    // The clauses of each section, sections in the proposal's order.
    let mut sections: Vec<(&str, Vec<&Clause>)> = Vec::new();
    let mut index = std::collections::HashMap::new();
    for c in &p.clauses {
        let at = *index.entry(c.section.as_str()).or_insert_with(|| {
            sections.push((&c.section, Vec::new()));
            sections.len() - 1
        });
        sections[at].1.push(c);
    }
    let mut paths = std::collections::HashSet::new();
    for (i, (section, clauses)) in sections.iter().enumerate() {
        let mut text = comment(section, "");
        text.push_str(
            "# Pending cases: write each one's steps, then remove `pending: true`.\ncases:\n",
        );
        for c in clauses {
            text.push_str(&comment(
                &format!("{} ({}): {}", c.id, level_word(c.level), c.text),
                "  ",
            ));
            text.push_str(&format!(
                "  - id: {}\n    title_th: {}\n    requirements: [{}]\n    pending: true\n",
                q(&format!("CASE-{}", c.id)),
                q(&format!("ทดสอบข้อ {}", c.id)),
                q(&c.id)
            ));
        }
        // Two sections the same name would make (Thai-only headings, one number) must not
        // write one file over the other.
        let base = section_file(section, i);
        let path = (1..)
            .map(|n| match n {
                1 => format!("{base}.yaml"),
                n => format!("{base}-{n}.yaml"),
            })
            .find(|p| !paths.contains(p))
            .unwrap_or_default();
        paths.insert(path.clone());
        files.push((path, text));
    }
    files
}

fn level_word(level: Level) -> &'static str {
    match level {
        Level::Must => "ต้อง",
        Level::Should => "ควร",
    }
}

/// One change `cpc init --update` made to requirements.yaml.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Added(String),
    Removed(String),
    Level(String, Level, Level),
    /// Re-worded; `true` when a hand-written `text_en` of the old text was kept.
    Text(String, bool),
    /// The clause's digest recorded where the requirement had none (its text kept).
    Recorded(String),
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Change::Added(id) => write!(f, "+ {id}: added (a new clause; write its cases)"),
            Change::Removed(id) => {
                write!(
                    f,
                    "- {id}: removed (no longer in the proposal; its cases now name an unknown requirement)"
                )
            }
            Change::Level(id, from, to) => write!(
                f,
                "~ {id}: level {} → {}",
                level_word(*from),
                level_word(*to)
            ),
            Change::Text(id, false) => write!(f, "~ {id}: text changed (check its cases)"),
            Change::Text(id, true) => write!(
                f,
                "~ {id}: text changed (check its cases, and its text_en, kept as it was: it was written for the old text)"
            ),
            Change::Recorded(id) => write!(f, "· {id}: the clause it was written from is recorded"),
        }
    }
}

/// requirements.yaml brought up to date with the proposal: in the proposal's order, each
/// requirement keeping what the proposal does not say (English text, reasons, coverage).
pub fn update(
    existing: &[Requirement],
    p: &Proposal,
    proposal_file: &str,
) -> (Vec<Entry>, Vec<Change>) {
    let mut changes = Vec::new();
    let mut entries = Vec::new();
    let by_id: std::collections::HashMap<&str, &Requirement> = existing
        .iter()
        .rev()
        .map(|r| (r.id.value.as_str(), r))
        .collect();
    for clause in &p.clauses {
        let Some(req) = by_id.get(clause.id.as_str()) else {
            changes.push(Change::Added(clause.id.clone()));
            entries.push(Entry::of_clause(clause, proposal_file));
            continue;
        };
        let mut entry = Entry {
            id: clause.id.clone(),
            level: req.level,
            text_th: req.text_th.clone(),
            text_en: req.text_en.clone(),
            not_tested_reason: req.not_tested_reason.clone(),
            partial: req
                .coverage
                .as_ref()
                .is_some_and(|c| c.value == Coverage::Partial),
            coverage_reason_th: req.coverage_reason_th.clone(),
            coverage_reason_en: req.coverage_reason_en.clone(),
            proposal_digest: clause.digest(),
        };
        if req.level != clause.level {
            changes.push(Change::Level(clause.id.clone(), req.level, clause.level));
            entry.level = clause.level;
        }
        match &req.proposal_digest {
            None => changes.push(Change::Recorded(clause.id.clone())),
            Some(d) if *d != clause.digest() => {
                // A person's English text stays, though it was written for the old text.
                changes.push(Change::Text(clause.id.clone(), entry.text_en.is_some()));
                entry.text_th = thai_text(clause, proposal_file);
                entry.text_en = entry.text_en.or_else(|| clause.text_en.clone());
            }
            Some(_) => {}
        }
        entries.push(entry);
    }
    let clauses: std::collections::HashSet<&str> =
        p.clauses.iter().map(|c| c.id.as_str()).collect();
    for req in existing {
        if !clauses.contains(req.id.value.as_str()) {
            changes.push(Change::Removed(req.id.value.clone()));
        }
    }
    (entries, changes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn section_files_are_numbered_and_named_in_english() {
        assert_eq!(
            section_file("2. การเชื่อมต่อและความปลอดภัย (connection and security)", 0),
            "cases/02-connection-and-security"
        );
        assert_eq!(section_file("สถานะ", 4), "cases/05-section");
        assert_eq!(section_file("2.1 ความปลอดภัย", 0), "cases/02-1-section");
        assert_eq!(section_file("10.2.3. x (Load)", 0), "cases/10-2-3-load");
        let long = format!("3. ยาว ({})", "word ".repeat(100));
        assert!(section_file(&long, 0).len() <= "cases/03-".len() + 48);
    }

    #[test]
    fn a_clause_in_a_comment_stays_a_comment() {
        let text = "ส่งคำขอ\rcases: [{id: INJECTED}]\r\nต่อ";
        let yaml = format!("cases: []\n{}", comment(text, "  "));
        #[derive(serde::Deserialize)]
        struct Doc {
            cases: Vec<serde_json::Value>,
        }
        let doc: Doc = serde_saphyr::from_str(&yaml).unwrap();
        assert!(doc.cases.is_empty(), "{yaml}");
        assert_eq!(yaml.lines().filter(|l| l.starts_with("  # ")).count(), 3);
    }

    #[test]
    fn control_characters_in_a_clause_or_a_file_name_leave_the_yaml_loadable() {
        let text = "ตอบ\u{1b}[31m\u{7f}\u{85}\u{FEFF}\u{2028}ต่อ\ttab";
        let yaml = format!("cases: []\n{}", comment(text, "  "));
        assert!(
            yaml.contains("ตอบ\\u{1b}[31m\\u{7f}\\u{85}\\u{feff}\\u{2028}ต่อ\ttab"),
            "{yaml}"
        );
        let doc: serde_json::Value = serde_saphyr::from_str(&yaml).unwrap();
        assert_eq!(doc["cases"], serde_json::json!([]));

        let p = crate::proposal::parse(
            "## 2.1 ก\n\n| ID | ระดับ | ข้อกำหนด |\n|---|---|---|\n| A-1 | ต้อง | x |\n\n\
             ## 2.1 ข\n\n| ID | ระดับ | ข้อกำหนด |\n|---|---|---|\n| A-2 | ต้อง | y |\n",
        );
        let files = new_suite(&p, "p.md\nid: injected", "s");
        let paths: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            paths,
            [
                "suite.yaml",
                "requirements.yaml",
                "cases/02-1-section.yaml",
                "cases/02-1-section-2.yaml"
            ]
        );
        for (path, text) in &files {
            let doc: serde_json::Value =
                serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("{path}: {e}\n{text}"));
            assert_ne!(doc["id"], "injected", "{path}");
        }
    }

    #[test]
    fn yaml_scalars_read_back_as_written() {
        for text in [
            "ตอบ\u{7f}\u{85}\u{9f}\u{2028}\u{feff}\u{fffe}ต่อ",
            "\u{1b}[31m",
        ] {
            let yaml = format!("v: {}\n", q(text));
            let back: serde_json::Value = serde_saphyr::from_str(&yaml).unwrap();
            assert_eq!(back["v"], text, "{yaml}");
        }
        let text = "ตอบ `{\"code\": \"x\"}` # not a comment: yes";
        let yaml = format!("v: {}\n", q(text));
        #[derive(serde::Deserialize)]
        struct V {
            v: String,
        }
        let back: V = serde_saphyr::from_str(&yaml).unwrap();
        assert_eq!(back.v, text);
    }
}
