//! `cpc init --proposal FILE DIR` writes a new suite from a technical proposal; `cpc init
//! --update DIR` brings a suite's requirements.yaml up to date with its proposal, listing what
//! changed, without touching its cases.

use std::path::Path;

use super::args::InitArgs;
use crate::run::exit;
use crate::scaffold;

fn fail(message: impl std::fmt::Display) -> u8 {
    eprintln!("error: {message}");
    exit::INVALID
}

fn read(path: &Path) -> Result<String, String> {
    let bytes = crate::read::bounded(path, crate::read::MAX_TEXT_FILE)?;
    String::from_utf8(bytes).map_err(|_| format!("`{}` is not UTF-8 text", path.display()))
}

pub fn init(args: InitArgs) -> u8 {
    match (&args.proposal, args.update) {
        (Some(proposal), false) => create(proposal, &args.dir),
        (None, true) => update(&args.dir),
        _ => fail("give --proposal FILE for a new suite, or --update for an existing one"),
    }
}

fn create(proposal_path: &Path, dir: &Path) -> u8 {
    // Never over an existing suite: a tester's cases are not regenerated.
    let occupied = std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some());
    if occupied {
        return fail(format!(
            "`{}` exists and is not empty: cpc init writes a new suite only (use --update for an existing one)",
            dir.display()
        ));
    }
    let text = match read(proposal_path) {
        Ok(text) => text,
        Err(e) => return fail(e),
    };
    let proposal = crate::proposal::parse(&text);
    for (line, problem) in &proposal.problems {
        eprintln!(
            "warning: {}:{line}: {}",
            proposal_path.display(),
            crate::report::escape::console_text(problem)
        );
    }
    if proposal.clauses.is_empty() {
        return fail(format!(
            "{}: no requirement table found (a table with columns for the clause id, the level ต้อง/ควร and the text)",
            proposal_path.display()
        ));
    }
    let dir_name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "suite".into());
    let mut files = scaffold::new_suite(&proposal, "proposal.md", &dir_name);
    files.push(("proposal.md".into(), text));
    for (name, content) in &files {
        let path = dir.join(name);
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&path, content));
        if let Err(e) = written {
            eprintln!("error: cannot write `{}`: {e}", path.display());
            return exit::OUTPUT;
        }
    }
    let sections = files
        .iter()
        .filter(|(n, _)| n.starts_with("cases/"))
        .count();
    super::say(format_args!(
        "{} clauses in {sections} sections → {} (every case is pending: write its steps, then remove `pending: true`; until then its requirement is not tested and the gate fails)",
        proposal.clauses.len(),
        dir.display()
    ));
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
    let (entries, changes) = scaffold::update(&suite.requirements, &proposal.parsed);
    let file_name = proposal
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let path = dir.join("requirements.yaml");
    let mut kept = None;
    if !changes.is_empty() {
        let text = scaffold::requirements_yaml(&entries, &file_name);
        // The file is written anew: hand comments do not survive. The file as it was is kept
        // beside it (not a .yaml: never read as part of the suite), and the tester is told.
        let before = crate::read::bounded(&path, crate::read::MAX_TEXT_FILE)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_default();
        let lost = scaffold::comments_lost(&before, &text);
        if !lost.is_empty() {
            let backup = dir.join(BEFORE_UPDATE);
            if let Err(e) = std::fs::write(&backup, &before) {
                eprintln!("error: cannot keep `{}`: {e}", backup.display());
                return exit::OUTPUT;
            }
            kept = Some((backup, lost));
        }
        let temp = dir.join(".requirements.yaml.tmp");
        if let Err(e) = std::fs::write(&temp, text).and_then(|()| std::fs::rename(&temp, &path)) {
            let _ = std::fs::remove_file(&temp);
            eprintln!("error: cannot write `{}`: {e}", path.display());
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
    if let Some((backup, lost)) = kept {
        out.push_str(&format!(
            "\nหมายเหตุที่เขียนเองในไฟล์ไม่ได้ถูกคัดลอกไปด้วย {} บรรทัด — ไฟล์เดิมเก็บไว้ที่ {} (hand comments not carried over: {} line(s), e.g. line {}; the file as it was is kept as {})",
            lost.len(),
            backup.display(),
            lost.len(),
            lost[0],
            backup.display()
        ));
    }
    super::say(out);
    exit::PASS
}

/// requirements.yaml as it was before `--update` rewrote it, when its hand comments are lost.
const BEFORE_UPDATE: &str = "requirements.yaml.before-update";
