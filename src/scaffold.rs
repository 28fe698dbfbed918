//! What `cpc init` writes from a proposal: suite.yaml, requirements.yaml with every clause, and
//! one case file per section holding a pending case per clause (the clause as a comment); and
//! what `cpc init --update` makes of requirements.yaml when the proposal changes. Pure: the
//! proposal (and the requirements as they are) in, files and a list of changes out.

use crate::proposal::{Clause, Proposal};
use crate::suite::{Coverage, Level, Requirement};

/// A YAML scalar that reads back as exactly this text (JSON strings are YAML).
fn q(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into())
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
    fn of_clause(c: &Clause) -> Self {
        Self {
            id: c.id.clone(),
            level: c.level,
            text_th: c.text.clone(),
            text_en: None,
            not_tested_reason: None,
            partial: false,
            coverage_reason_th: None,
            coverage_reason_en: None,
            proposal_digest: c.digest(),
        }
    }
}

pub fn requirements_yaml(entries: &[Entry], proposal_file: &str) -> String {
    let mut out = format!(
        "# Every clause of the technical proposal ({proposal_file}), with its level (ต้อง = must,\n# ควร = should). `proposal_digest` is the digest of the clause text each was written from:\n# cpc validate names a clause whose text changed since; cpc init --update records it.\nrequirements:\n"
    );
    for e in entries {
        out.push_str(&format!(
            "  - id: {}\n    level: {}\n",
            q(&e.id),
            level(e.level)
        ));
        out.push_str(&format!("    text_th: {}\n", q(&e.text_th)));
        let optional = [
            ("text_en", &e.text_en),
            ("not_tested_reason", &e.not_tested_reason),
        ];
        for (key, value) in optional {
            if let Some(v) = value {
                out.push_str(&format!("    {key}: {}\n", q(v)));
            }
        }
        if e.partial {
            out.push_str("    coverage: partial\n");
        }
        for (key, value) in [
            ("coverage_reason_th", &e.coverage_reason_th),
            ("coverage_reason_en", &e.coverage_reason_en),
        ] {
            if let Some(v) = value {
                out.push_str(&format!("    {key}: {}\n", q(v)));
            }
        }
        out.push_str(&format!("    proposal_digest: {}\n", q(&e.proposal_digest)));
    }
    out
}

/// `2. ความปลอดภัย (connection and security)` → `02-connection-and-security`.
fn section_file(section: &str, index: usize) -> String {
    let number: String = section.chars().take_while(char::is_ascii_digit).collect();
    let number = number.parse::<usize>().unwrap_or(index + 1);
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
    let slug = if slug.is_empty() {
        "section".into()
    } else {
        slug
    };
    format!("cases/{number:02}-{slug}.yaml")
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
        .map(|l| format!("{indent}# {l}\n"))
        .collect()
}

/// The files of a new suite, by path under its directory.
pub fn new_suite(p: &Proposal, proposal_file: &str, dir_name: &str) -> Vec<(String, String)> {
    let code = p
        .service_code
        .clone()
        .unwrap_or_else(|| dir_name.to_uppercase());
    let id = code.to_lowercase();
    let mut suite = format!(
        "# Written by cpc init from {proposal_file}: fill in the portal's credentials and each case.\nid: {}\nservice_code: {}\nname_th: {}\n",
        q(&id),
        q(&code),
        q(p.service_name_th.as_deref().unwrap_or("(ชื่องานบริการ)"))
    );
    if let Some(en) = &p.service_name_en {
        suite.push_str(&format!("name_en: {}\n", q(en)));
    }
    suite.push_str(&format!(
        "agency_th: {}\nproposal_version: {}\nproposal: {}\n",
        q(p.agency_th.as_deref().unwrap_or("(หน่วยงาน)")),
        q(p.version.as_deref().unwrap_or("1.0")),
        q(proposal_file)
    ));
    let entries: Vec<Entry> = p.clauses.iter().map(Entry::of_clause).collect();
    let mut files = vec![
        ("suite.yaml".to_string(), suite),
        (
            "requirements.yaml".to_string(),
            requirements_yaml(&entries, proposal_file),
        ),
    ];
    let mut sections: Vec<&str> = Vec::new();
    for c in &p.clauses {
        if !sections.contains(&c.section.as_str()) {
            sections.push(&c.section);
        }
    }
    for (i, section) in sections.iter().enumerate() {
        let mut text = format!(
            "# {section}\n# Pending cases: write each one's steps, then remove `pending: true`.\ncases:\n"
        );
        for c in p.clauses.iter().filter(|c| c.section == *section) {
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
        files.push((section_file(section, i), text));
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
    Text(String),
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
            Change::Text(id) => write!(f, "~ {id}: text changed (check its cases)"),
            Change::Recorded(id) => write!(f, "· {id}: the clause it was written from is recorded"),
        }
    }
}

/// requirements.yaml brought up to date with the proposal: in the proposal's order, each
/// requirement keeping what the proposal does not say (English text, reasons, coverage).
pub fn update(existing: &[Requirement], p: &Proposal) -> (Vec<Entry>, Vec<Change>) {
    let mut changes = Vec::new();
    let mut entries = Vec::new();
    for clause in &p.clauses {
        let Some(req) = existing.iter().find(|r| r.id.value == clause.id) else {
            changes.push(Change::Added(clause.id.clone()));
            entries.push(Entry::of_clause(clause));
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
                changes.push(Change::Text(clause.id.clone()));
                entry.text_th = clause.text.clone();
                // The English was of the old text.
                entry.text_en = None;
            }
            Some(_) => {}
        }
        entries.push(entry);
    }
    for req in existing {
        if !p.clauses.iter().any(|c| c.id == req.id.value) {
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
            "cases/02-connection-and-security.yaml"
        );
        assert_eq!(section_file("สถานะ", 4), "cases/05-section.yaml");
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
    fn yaml_scalars_read_back_as_written() {
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
