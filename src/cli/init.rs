//! `cpc init --proposal FILE DIR` writes a new suite from a technical proposal (Word or
//! Markdown), ending with what it read and what it skipped; anything skipped stops it unless
//! `--allow-skipped`. `cpc init --update DIR` brings a suite's requirements.yaml up to date
//! with its proposal, editing the file in place and listing what changed, without touching its
//! cases.

use std::path::Path;

use super::args::InitArgs;
use crate::proposal::{Problem, ProblemKind, Proposal};
use crate::report::escape::console_text;
use crate::run::exit;
use crate::scaffold;

fn fail(message: impl std::fmt::Display) -> u8 {
    crate::complain!("error: {message}");
    exit::INVALID
}

pub fn init(args: InitArgs) -> u8 {
    match (&args.proposal, args.update, &args.openapi) {
        (Some(proposal), false, openapi) => match create(proposal, &args.dir, args.allow_skipped) {
            exit::PASS => openapi
                .as_ref()
                .map_or(exit::PASS, |f| add_openapi(f, &args.dir)),
            code => code,
        },
        (None, true, None) => update(&args.dir),
        (None, false, Some(openapi)) => add_openapi(openapi, &args.dir),
        _ => fail(
            "give --proposal FILE for a new suite, --update for an existing one, or --openapi FILE to add the agency's API to one",
        ),
    }
}

/// What was read, section by section, and what was skipped: the end of every `cpc init`.
pub fn summary(p: &Proposal, file: &str) -> String {
    let mut sections: Vec<(String, usize)> = Vec::new();
    for c in &p.clauses {
        match sections.last_mut() {
            Some((name, n)) if *name == c.section => *n += 1,
            _ => sections.push((c.section.clone(), 1)),
        }
    }
    let count = |kind: ProblemKind| p.problems.iter().filter(|x| x.kind == kind).count();
    let (tables, rows, ids) = (
        count(ProblemKind::Table),
        count(ProblemKind::Row) + count(ProblemKind::Document),
        count(ProblemKind::Id),
    );
    let mut out = format!(
        "อ่าน {file}: {} ข้อ จาก {} ตาราง (read {} clause(s) from {} requirement table(s))\n",
        p.clauses.len(),
        p.tables_read,
        p.clauses.len(),
        p.tables_read
    );
    let body: Vec<Vec<String>> = sections
        .into_iter()
        .map(|(name, n)| {
            let name = if name.is_empty() {
                "(ไม่มีหัวข้อ / no heading)".to_string()
            } else {
                name
            };
            vec![format!("  {name}"), n.to_string()]
        })
        .collect();
    out.push_str(&crate::report::table::console(
        &["  หัวข้อ (section)".to_string(), "ข้อ (clauses)".to_string()],
        &body,
    ));
    out.push_str(&format!(
        "ข้าม: ตาราง {tables}, แถว {rows}, รหัสข้อ {ids} (skipped: {tables} table(s), {rows} row(s), {ids} id(s))\n"
    ));
    out
}

fn problem_line(file: &Path, problem: &Problem) -> String {
    format!(
        "skipped: {}: {}",
        crate::proposal::place(file, problem.spot),
        console_text(&problem.message)
    )
}

fn create(proposal_path: &Path, dir: &Path, allow_skipped: bool) -> u8 {
    // Never over an existing suite: a tester's cases are not regenerated.
    let occupied = std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some());
    if occupied {
        return fail(format!(
            "`{}` exists and is not empty: cpc init writes a new suite only (use --update for an existing one)",
            dir.display()
        ));
    }
    let bytes = match crate::read::bounded(proposal_path, crate::read::MAX_DATA_FILE) {
        Ok(bytes) => bytes,
        Err(e) => return fail(e),
    };
    let proposal = match crate::proposal::read(&bytes) {
        Ok(p) => p,
        Err(e) => {
            return fail(format!(
                "`{}` cannot be read as a proposal: {e}",
                proposal_path.display()
            ));
        }
    };
    // The suite keeps the agency's file as it is: its SHA-256 is the proposal's digest.
    let file_name = match proposal.format {
        crate::proposal::Format::Word => "proposal.docx",
        crate::proposal::Format::Markdown => "proposal.md",
    };
    for problem in &proposal.problems {
        crate::complain!("{}", problem_line(proposal_path, problem));
    }
    let shown = console_text(&proposal_path.display().to_string());
    super::say(summary(&proposal, &shown).trim_end());
    if proposal.clauses.is_empty() {
        return fail(format!(
            "{shown}: no requirement table found (a table with columns for the clause id, the level ต้อง/ควร and the text)"
        ));
    }
    if !proposal.problems.is_empty() && !allow_skipped {
        return fail(format!(
            "{} thing(s) in {shown} were not read as clauses (listed above): nothing written. Give the proposal in a shape cpc reads, or, if none of them is a clause, run again with --allow-skipped: each is then listed under `proposal_skipped` in suite.yaml for a person to say why",
            proposal.problems.len()
        ));
    }
    let dir_name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "suite".into());
    let mut files: Vec<(String, Vec<u8>)> = scaffold::new_suite(&proposal, file_name, &dir_name)
        .into_iter()
        .map(|(name, text)| (name, text.into_bytes()))
        .collect();
    files.push((file_name.into(), bytes));
    for (name, content) in &files {
        let path = dir.join(name);
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&path, content));
        if let Err(e) = written {
            crate::complain!("error: cannot write `{}`: {e}", path.display());
            return exit::OUTPUT;
        }
    }
    let markers = files
        .iter()
        .filter(|(n, _)| n.ends_with(".yaml"))
        .map(|(_, text)| {
            String::from_utf8_lossy(text)
                .lines()
                .filter(|l| !l.trim_start().starts_with('#') && l.contains(scaffold::FILL_IN))
                .count()
        })
        .sum::<usize>();
    let mut said = format!(
        "→ {} (every case is pending: write its steps, then remove `pending: true`; until then its requirement is not tested and the gate fails)",
        dir.display()
    );
    if markers > 0 {
        said.push_str(&format!(
            "\nยังต้องกรอก {markers} ค่าที่ข้อเสนอไม่ได้ระบุ (FILL-IN) — {markers} value(s) the proposal does not give are marked FILL-IN: cpc validate refuses the suite until a person writes them"
        ));
    }
    super::say(said);
    exit::PASS
}

fn update(dir: &Path) -> u8 {
    let suite = match crate::suite::load(dir) {
        Ok(suite) => suite,
        Err(e) => match e.partial {
            // Drift is what --update mends; other problems are for the tester.
            Some(partial) if partial.proposal.is_some() => *partial,
            _ => {
                crate::run::setup::print_problems(&e.problems);
                return fail(format!("`{}` does not load: fix it first", dir.display()));
            }
        },
    };
    let Some(proposal) = &suite.proposal else {
        return fail(format!(
            "{}/suite.yaml names no `proposal:`: nothing to update from",
            dir.display()
        ));
    };
    // What the proposal holds unread would be taken as removed: it is mended first.
    let skipped: std::collections::HashSet<&str> = suite
        .meta
        .proposal_skipped
        .iter()
        .map(|s| s.item.value.as_str())
        .collect();
    let unread: Vec<&Problem> = proposal
        .parsed
        .problems
        .iter()
        .filter(|p| !skipped.contains(p.subject.as_str()))
        .collect();
    if !unread.is_empty() {
        for problem in &unread {
            crate::complain!("{}", problem_line(&proposal.path, problem));
        }
        return fail(format!(
            "{} thing(s) in {} were not read as clauses (listed above): nothing updated, as a clause not read would be taken as removed. Give the proposal in a shape cpc reads, or say under `proposal_skipped` in suite.yaml why each is not a clause",
            unread.len(),
            proposal.path.display()
        ));
    }
    let file_name = proposal
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (entries, changes) = scaffold::update(&suite.requirements, &proposal.parsed, &file_name);
    let path = dir.join("requirements.yaml");
    let mut rewritten = None;
    if !changes.is_empty() {
        let before = match crate::read::bounded(&path, crate::read::MAX_TEXT_FILE).and_then(|b| {
            String::from_utf8(b).map_err(|_| format!("`{}` is not UTF-8", path.display()))
        }) {
            Ok(text) => text,
            Err(e) => return fail(e),
        };
        let removed: Vec<String> = changes
            .iter()
            .filter_map(|c| match c {
                scaffold::Change::Removed(id) => Some(id.clone()),
                _ => None,
            })
            .collect();
        let edited =
            scaffold::edit_in_place(&before, &suite.requirements, &entries, &removed, &file_name)
                .filter(|text| holds(&path, text, &entries));
        let text = match edited {
            Some(text) => text,
            None => {
                // Not a layout edited in place (flow style, anchors): written anew, and the
                // file as it was kept beside it (not a .yaml: never read as part of the suite).
                let text = scaffold::requirements_yaml(&entries, &file_name);
                let lost = scaffold::comments_lost(&before, &text);
                let backup = dir.join(BEFORE_UPDATE);
                if let Err(e) = std::fs::write(&backup, &before) {
                    crate::complain!("error: cannot keep `{}`: {e}", backup.display());
                    return exit::OUTPUT;
                }
                rewritten = Some((backup, lost));
                text
            }
        };
        let temp = dir.join(".requirements.yaml.tmp");
        if let Err(e) = std::fs::write(&temp, text).and_then(|()| std::fs::rename(&temp, &path)) {
            let _ = std::fs::remove_file(&temp);
            crate::complain!("error: cannot write `{}`: {e}", path.display());
            return exit::OUTPUT;
        }
    }
    let mut out = format!(
        "{}: {} change(s) from {}",
        path.display(),
        changes.len(),
        proposal.path.display()
    );
    for change in &changes {
        out.push_str(&format!("\n  {change}"));
    }
    if let Some((backup, lost)) = rewritten {
        out.push_str(&format!(
            "\nไฟล์ถูกเขียนใหม่ทั้งไฟล์ ไฟล์เดิมเก็บไว้ที่ {} (not in the block layout cpc edits in place: written anew; the file as it was is kept as {}",
            backup.display(),
            backup.display()
        ));
        match lost.first() {
            Some(line) => out.push_str(&format!(
                "; hand comments not carried over: {} line(s), e.g. line {line})",
                lost.len()
            )),
            None => out.push(')'),
        }
    }
    super::say(out);
    exit::PASS
}

/// Whether an edited requirements.yaml reads back as exactly the entries meant (in the file's
/// own order): the in-place edit is trusted only when it does.
fn holds(path: &Path, text: &str, entries: &[scaffold::Entry]) -> bool {
    let Ok(file) = crate::suite::parse_yaml::<crate::suite::RequirementsFile>(path, text) else {
        return false;
    };
    let meant: std::collections::HashMap<&str, &scaffold::Entry> =
        entries.iter().map(|e| (e.id.as_str(), e)).collect();
    file.requirements.len() == entries.len()
        && file.requirements.iter().all(|r| {
            meant.get(r.id.value.as_str()).is_some_and(|e| {
                r.level == e.level
                    && r.text_th == e.text_th
                    && r.text_en == e.text_en
                    && r.not_tested_reason == e.not_tested_reason
                    && r.proposal_digest.as_deref() == Some(e.proposal_digest.as_str())
            })
        })
}

/// requirements.yaml as it was before `--update` wrote it anew.
const BEFORE_UPDATE: &str = "requirements.yaml.before-update";

/// `cpc init --openapi FILE DIR`: the document and the files it names copied under
/// `DIR/openapi/`, named in suite.yaml, a pending case per operation and the component schemas
/// written. Nothing already there is overwritten.
fn add_openapi(file: &Path, dir: &Path) -> u8 {
    let suite_file = dir.join("suite.yaml");
    let suite_text = match crate::read::bounded(&suite_file, crate::read::MAX_TEXT_FILE)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
    {
        Ok(text) => text,
        Err(e) => {
            return fail(format!(
                "{e}: --openapi adds to a suite (give --proposal for a new one)"
            ));
        }
    };
    if suite_text.lines().any(|l| l.starts_with("openapi:")) {
        return fail(format!(
            "{} already names an `openapi:` document",
            suite_file.display()
        ));
    }
    let doc = match crate::openapi::load(file, &mut |_, _| {}) {
        Ok(doc) => doc,
        Err(problems) => {
            crate::run::setup::print_problems(&problems);
            return fail(format!(
                "`{}` is not an OpenAPI document cpc reads",
                file.display()
            ));
        }
    };
    let root = &doc.files[0].name;
    let mut writes: Vec<(std::path::PathBuf, Vec<u8>)> = Vec::new();
    for f in &doc.files {
        match crate::read::bounded(&f.path, crate::openapi::MAX_DOCUMENT_BYTES) {
            Ok(bytes) => writes.push((dir.join("openapi").join(&f.name), bytes)),
            Err(e) => return fail(e),
        }
    }
    let cases = scaffold::openapi::pending_cases(&doc, &format!("openapi/{root}"));
    writes.push((dir.join("cases/openapi.yaml"), cases.into_bytes()));
    let (schemas, left_out) = scaffold::openapi::component_schemas(&doc);
    for (name, text) in schemas {
        writes.push((dir.join(name), text.into_bytes()));
    }
    if let Some((path, _)) = writes.iter().find(|(p, _)| p.exists()) {
        return fail(format!(
            "`{}` is already there: nothing written",
            path.display()
        ));
    }
    for (path, bytes) in &writes {
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(path, bytes));
        if let Err(e) = written {
            crate::complain!("error: cannot write `{}`: {e}", path.display());
            return exit::OUTPUT;
        }
    }
    let line = format!(
        "\n# The agency's API description (cpc init --openapi): answers are judged against it by\n# an invariant with `conforms: openapi`, and `generate:` makes cases from its schemas.\nopenapi: {}\n",
        scaffold::openapi::yaml_path(&format!("openapi/{root}"))
    );
    let appended = std::fs::OpenOptions::new()
        .append(true)
        .open(&suite_file)
        .and_then(|mut f| std::io::Write::write_all(&mut f, line.as_bytes()));
    if let Err(e) = appended {
        crate::complain!("error: cannot write `{}`: {e}", suite_file.display());
        return exit::OUTPUT;
    }
    for why in &left_out {
        crate::complain!("note: schema {why}: not written under schemas/");
    }
    super::say(format!(
        "→ {}: {} operation(s) as pending cases in cases/openapi.yaml, {} schema(s) under schemas/, the document under openapi/ (name the clause each case tests: cpc validate refuses FILL-IN)",
        dir.display(),
        doc.operations.len(),
        writes.len() - doc.files.len() - 1
    ));
    exit::PASS
}
