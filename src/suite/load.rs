//! Reads a suite directory into the model, keeping places, and resolves fixture files.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_saphyr::Spanned;
use thiserror::Error;

use super::digest::Digest;
use super::model::*;
use crate::diagnostic::{Diagnostic, Place};

/// The suite cannot be used; every problem found is listed, each with its place. When
/// `suite.yaml` and `requirements.yaml` were read, `partial` holds what did load, so the
/// remaining files can still be validated and every problem reported at once.
#[derive(Debug, Error)]
#[error("the suite has {} problem(s)", .problems.len())]
pub struct LoadError {
    pub problems: Vec<Diagnostic>,
    pub partial: Option<Box<Suite>>,
    /// Every case file parsed (the problems are elsewhere), so coverage can be judged.
    pub cases_complete: bool,
}

impl LoadError {
    fn only(problem: Diagnostic) -> Self {
        Self {
            problems: vec![problem],
            partial: None,
            cases_complete: false,
        }
    }
}

/// Loads `dir/suite.yaml`, `dir/requirements.yaml` and every `dir/cases/*.yaml` (sorted by name),
/// reading each `$file` fixture. All problems are collected, not just the first.
pub fn load(dir: &Path) -> Result<Suite, LoadError> {
    let mut problems = Vec::new();
    let mut digest = Digest::default();
    if !dir.is_dir() {
        return Err(LoadError::only(Diagnostic::nowhere(format!(
            "`{}` is not a suite directory",
            dir.display()
        ))));
    }
    let fixture_root = fixture_root(dir);

    let meta = parse_file::<SuiteMeta>(&dir.join("suite.yaml"), &mut digest, &mut problems);
    let requirements =
        parse_file::<RequirementsFile>(&dir.join("requirements.yaml"), &mut digest, &mut problems);

    let cases_dir = dir.join("cases");
    let (mut case_files, generators, found) =
        read_case_files(&cases_dir, &fixture_root, &mut digest, &mut problems);
    let fragments = load_fragments(
        &dir.join("fragments"),
        &fixture_root,
        &mut digest,
        &mut problems,
    );
    for file in &mut case_files {
        for case in &mut file.cases {
            let steps = std::mem::take(&mut case.value.steps);
            let mut stack = Vec::new();
            case.value.steps = expand(steps, &file.path, &fragments, &mut stack, &mut problems);
            if case.value.steps.len() > MAX_EXPANDED_STEPS {
                problems.push(Diagnostic::at(
                    Place::of(&file.path, &case.value.id.referenced),
                    format!(
                        "case `{}` has {} steps once its fragments are expanded: at most {MAX_EXPANDED_STEPS}",
                        case.value.id.value,
                        case.value.steps.len()
                    ),
                ));
                case.value.steps.truncate(MAX_EXPANDED_STEPS);
            }
        }
    }
    // Schemas and the suite's own portal stubs are part of what decided the verdict.
    digest_dir(&dir.join("schemas"), &mut digest, &mut problems);
    digest_dir(&dir.join("portal"), &mut digest, &mut problems);

    let proposal = meta
        .as_ref()
        .and_then(|m| m.proposal.as_ref().map(|name| (name, &m.proposal_skipped)))
        .and_then(|(name, skipped)| read_proposal(dir, name, skipped, &mut digest, &mut problems));

    let api = meta
        .as_ref()
        .and_then(|m| m.openapi.as_ref())
        .and_then(|name| read_openapi(dir, name, &mut digest, &mut problems));
    let api_broken = api.is_none() && meta.as_ref().is_some_and(|m| m.openapi.is_some());
    let unmade = make_generated(
        generators,
        &mut case_files,
        dir,
        api.as_deref(),
        api_broken,
        &mut digest,
        &mut problems,
    );

    let invariants = read_invariants(&dir.join("invariants.yaml"), &mut digest, &mut problems);
    let (Some(mut meta), Some(reqs)) = (meta, requirements) else {
        return Err(LoadError {
            problems,
            partial: None,
            cases_complete: false,
        });
    };
    let cases_complete = case_files.len() == found;
    let suite_file = dir.join("suite.yaml");
    let mut all_invariants: Vec<_> = std::mem::take(&mut meta.invariants)
        .into_iter()
        .map(|i| (suite_file.clone(), i))
        .collect();
    all_invariants.extend(invariants);
    let suite = Suite {
        dir: dir.to_path_buf(),
        fixture_root,
        meta,
        invariants: all_invariants,
        requirements: reqs.requirements,
        case_files,
        fragments: fragments
            .iter()
            .map(|(name, (_, f))| {
                let params = f.value.params.iter().map(|p| p.value.clone()).collect();
                (name.clone(), params)
            })
            .collect(),
        api,
        digested: digest.files(),
        unmade,
        digest: digest.finish(),
        proposal,
    };
    if problems.is_empty() {
        Ok(suite)
    } else {
        Err(LoadError {
            problems,
            partial: Some(Box::new(suite)),
            cases_complete,
        })
    }
}

/// The OpenAPI document `suite.yaml` names: a file in the suite, its `$ref`s within its folder.
fn read_openapi(
    dir: &Path,
    name: &Spanned<String>,
    digest: &mut Digest,
    problems: &mut Vec<Diagnostic>,
) -> Option<Arc<crate::openapi::ApiDoc>> {
    let inside = Path::new(&name.value)
        .components()
        .all(|c| matches!(c, std::path::Component::Normal(_)));
    if !inside {
        let place = Place::of(&dir.join("suite.yaml"), &name.referenced);
        problems.push(Diagnostic::at(
            place,
            format!(
                "`openapi: {}`: the document is a file inside the suite",
                name.value
            ),
        ));
        return None;
    }
    let root = dir.join(&name.value);
    if !root.is_file() {
        let place = Place::of(&dir.join("suite.yaml"), &name.referenced);
        problems.push(Diagnostic::at(
            place,
            format!("`openapi: {}`: no such file in the suite", name.value),
        ));
        return None;
    }
    let mut add = |path: &Path, bytes: &[u8]| digest.add(path, bytes);
    match crate::openapi::load(&root, &mut add) {
        Ok(doc) => Some(Arc::new(doc)),
        Err(more) => {
            problems.extend(more);
            None
        }
    }
}

/// The most cases `generate:` blocks may make in one suite (each block at most
/// `openapi::generate::MAX_VARIANTS`).
const MAX_GENERATED: usize = 10_000;

/// `invariants.yaml` (optional), each invariant with the file it is in.
fn read_invariants(
    file: &Path,
    digest: &mut Digest,
    problems: &mut Vec<Diagnostic>,
) -> Vec<(PathBuf, Spanned<Invariant>)> {
    if !file.exists() {
        return Vec::new();
    }
    parse_file::<InvariantsDocument>(file, digest, problems)
        .map(|doc| {
            let file = file.to_path_buf();
            doc.invariants
                .into_iter()
                .map(|i| (file.clone(), i))
                .collect()
        })
        .unwrap_or_default()
}

/// `generate:` blocks, each with the index of the case file it is in.
type Generators = Vec<(usize, Spanned<GenerateSpec>)>;

/// The case files under `dir`, read (and digested) in order and parsed side by side, their
/// fixtures resolved; each file's `generate:` blocks, with the file's index, to be made into
/// cases once the OpenAPI document is read; and how many files were found.
fn read_case_files(
    dir: &Path,
    fixture_root: &Path,
    digest: &mut Digest,
    problems: &mut Vec<Diagnostic>,
) -> (Vec<CaseFile>, Generators, usize) {
    let mut case_files = Vec::new();
    let case_paths = yaml_files(dir, problems);
    let found = case_paths.len();
    // Read (and digested) in order; parsed side by side.
    let texts: Vec<(PathBuf, String)> = case_paths
        .into_iter()
        .filter_map(|path| {
            let text = read_text(&path, problems)?;
            digest.add(&path, text.as_bytes());
            fill_in_markers(&path, &text, problems);
            Some((path, text))
        })
        .collect();
    let parsed = super::parallel::parse_case_files(&texts);
    // Each file's `generate:` blocks, made into cases once the OpenAPI document is read.
    let mut generators = Vec::new();
    for ((path, _), doc) in texts.into_iter().zip(parsed) {
        match doc {
            Ok(doc) => {
                let mut file = CaseFile {
                    path,
                    cases: doc.cases,
                };
                resolve_fixtures(&mut file, fixture_root, digest, problems);
                for mut spec in doc.generate {
                    let base = file.path.parent().unwrap_or(Path::new(".")).to_path_buf();
                    resolve_request_fixtures(
                        &mut spec.value.request.value,
                        &file.path,
                        &base,
                        fixture_root,
                        digest,
                        problems,
                    );
                    generators.push((case_files.len(), spec));
                }
                case_files.push(file);
            }
            Err(problem) => problems.push(problem),
        }
    }
    (case_files, generators, found)
}

/// Each `generate:` block made into cases of its file. Returns the requirements of the blocks
/// that could not be made: their problems are said, so their clauses are not also said to be
/// uncovered.
fn make_generated(
    generators: Generators,
    case_files: &mut [CaseFile],
    dir: &Path,
    api: Option<&crate::openapi::ApiDoc>,
    api_broken: bool,
    digest: &mut Digest,
    problems: &mut Vec<Diagnostic>,
) -> std::collections::BTreeSet<String> {
    let mut generated = 0;
    let mut unmade = std::collections::BTreeSet::new();
    for (file, spec) in generators {
        let not_made = |unmade: &mut std::collections::BTreeSet<String>| {
            unmade.extend(spec.value.requirements.iter().map(|r| r.value.clone()));
        };
        // The document's own problems are reported; a block made from it is not also one.
        if api_broken && spec.value.from.operation.is_some() {
            not_made(&mut unmade);
            continue;
        }
        let path = case_files[file].path.clone();
        let mut add = |p: &Path, bytes: &[u8]| digest.add(p, bytes);
        match super::generated::expand(&spec, &path, dir, api, &mut add) {
            Ok(cases) if generated + cases.len() > MAX_GENERATED => {
                not_made(&mut unmade);
                problems.push(Diagnostic::at(
                    Place::of(&path, &spec.value.id.referenced),
                    format!(
                        "`generate` {} would make the suite's generated cases more than {MAX_GENERATED}: leave members out with `skip:`",
                        spec.value.id.value
                    ),
                ));
            }
            Ok(cases) => {
                generated += cases.len();
                case_files[file].cases.extend(cases);
            }
            Err(more) => {
                not_made(&mut unmade);
                problems.extend(more);
            }
        }
    }
    unmade
}

/// A case may not grow past this many steps by using fragments (a fragment used twice in a
/// fragment used twice … grows fast).
const MAX_EXPANDED_STEPS: usize = 10_000;

/// A fragment by name, with the file it is in.
type Fragments = BTreeMap<String, (PathBuf, Spanned<Fragment>)>;

/// `fragments/*.yaml`: each fragment once, its fixtures read relative to its own file.
fn load_fragments(
    dir: &Path,
    root: &Path,
    digest: &mut Digest,
    problems: &mut Vec<Diagnostic>,
) -> Fragments {
    let mut fragments = Fragments::new();
    if !dir.is_dir() {
        return fragments;
    }
    for path in yaml_files(dir, problems) {
        let Some(doc) = parse_file::<FragmentsDocument>(&path, digest, problems) else {
            continue;
        };
        let origin = Arc::new(path.clone());
        for mut fragment in doc.fragments {
            let name = fragment.value.name.value.clone();
            if let Some((other, _)) = fragments.get(&name) {
                problems.push(Diagnostic::at(
                    Place::of(&path, &fragment.value.name.referenced),
                    format!(
                        "fragment `{name}` is already defined in {}",
                        other.display()
                    ),
                ));
                continue;
            }
            resolve_step_fixtures(&mut fragment.value.steps, &path, root, digest, problems);
            for step in &mut fragment.value.steps {
                step.value.origin = Some(origin.clone());
            }
            fragments.insert(name, (path.clone(), fragment));
        }
    }
    fragments
}

/// The steps with each `use` followed by its fragment's steps (themselves expanded). A
/// fragment that uses itself, directly or not, or one that does not exist, is a problem at the
/// `use` that names it.
fn expand(
    steps: Vec<Spanned<Step>>,
    path: &Path,
    fragments: &Fragments,
    stack: &mut Vec<String>,
    problems: &mut Vec<Diagnostic>,
) -> Vec<Spanned<Step>> {
    let mut out = Vec::with_capacity(steps.len());
    for step in steps {
        let used = step.value.use_.clone();
        let here = step
            .value
            .origin
            .as_deref()
            .map_or(path, |p| p.as_path())
            .to_path_buf();
        out.push(step);
        let Some(name) = used else { continue };
        if stack.contains(&name.value) || out.len() > MAX_EXPANDED_STEPS {
            let mut cycle = stack.clone();
            cycle.push(name.value.clone());
            problems.push(Diagnostic::at(
                Place::of(&here, &name.referenced),
                format!(
                    "fragment `{}` uses itself: {}",
                    name.value,
                    cycle.join(" → ")
                ),
            ));
            continue;
        }
        match fragments.get(&name.value) {
            None => problems.push(Diagnostic::at(
                Place::of(&here, &name.referenced),
                format!(
                    "no fragment `{}` (fragments/*.yaml define: {})",
                    name.value,
                    fragments.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            )),
            Some((file, fragment)) => {
                stack.push(name.value.clone());
                let inner = expand(
                    fragment.value.steps.clone(),
                    file,
                    fragments,
                    stack,
                    problems,
                );
                stack.pop();
                out.extend(inner);
            }
        }
    }
    out
}

/// Fixtures may live anywhere in the project that holds the suite (`<project>/suites/<id>/`),
/// so `fixtures/<id>/` is reachable; a suite elsewhere may only read below its own directory.
fn fixture_root(dir: &Path) -> PathBuf {
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    match dir.parent() {
        Some(parent) if parent.file_name().is_some_and(|n| n == "suites") => parent
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| dir.clone()),
        _ => dir,
    }
}

fn read_text(path: &Path, problems: &mut Vec<Diagnostic>) -> Option<String> {
    match crate::read::bounded(path, crate::read::MAX_TEXT_FILE) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Some(text),
            Err(e) => {
                let line = 1 + e.as_bytes()[..e.utf8_error().valid_up_to()]
                    .iter()
                    .filter(|b| **b == b'\n')
                    .count();
                problems.push(Diagnostic::at(
                    Place::new(path, line as u64, 1),
                    "the file is not valid UTF-8",
                ));
                None
            }
        },
        Err(e) => {
            problems.push(Diagnostic::nowhere(e));
            None
        }
    }
}

fn parse_file<T: DeserializeOwned>(
    path: &Path,
    digest: &mut Digest,
    problems: &mut Vec<Diagnostic>,
) -> Option<T> {
    let text = read_text(path, problems)?;
    digest.add(path, text.as_bytes());
    fill_in_markers(path, &text, problems);
    parse_yaml(path, &text).map_err(|d| problems.push(d)).ok()
}

/// The proposal `suite.yaml` names: a Word or Markdown file inside the suite, read and parsed.
/// What it holds that is not read as a clause is a problem with its place, unless
/// `proposal_skipped` says why it is not a clause.
fn read_proposal(
    dir: &Path,
    name: &Spanned<String>,
    skipped: &[SkippedItem],
    digest: &mut Digest,
    problems: &mut Vec<Diagnostic>,
) -> Option<LoadedProposal> {
    let suite_file = dir.join("suite.yaml");
    let inside = Path::new(&name.value);
    if inside.is_absolute()
        || inside
            .components()
            .any(|c| c == std::path::Component::ParentDir)
    {
        problems.push(Diagnostic::at(
            Place::of(&suite_file, &name.referenced),
            "`proposal` names a file inside the suite directory (e.g. proposal.docx or proposal.md)",
        ));
        return None;
    }
    let path = dir.join(inside);
    let read = crate::read::bounded(&path, crate::read::MAX_DATA_FILE).and_then(|bytes| {
        let parsed = crate::proposal::read(&bytes)
            .map_err(|e| format!("`{}` cannot be read as a proposal: {e}", path.display()))?;
        Ok((bytes, parsed))
    });
    let (bytes, parsed) = match read {
        Ok(read) => read,
        Err(e) => {
            problems.push(Diagnostic::at(Place::of(&suite_file, &name.referenced), e));
            return None;
        }
    };
    digest.add(&path, &bytes);
    let mut acknowledged = std::collections::HashSet::new();
    let by_item: std::collections::HashMap<&str, &SkippedItem> =
        skipped.iter().map(|s| (s.item.value.as_str(), s)).collect();
    for problem in &parsed.problems {
        match by_item.get(problem.subject.as_str()) {
            Some(s) => {
                acknowledged.insert(s.item.value.as_str());
            }
            None => problems.push(crate::proposal::diagnostic(
                &path,
                problem.spot,
                format!(
                    "{} (if it is not a clause, say why under `proposal_skipped` in suite.yaml, item {:?})",
                    problem.message, problem.subject
                ),
            )),
        }
    }
    for s in skipped {
        if !acknowledged.contains(s.item.value.as_str()) {
            problems.push(Diagnostic::at(
                Place::of(&suite_file, &s.item.referenced),
                format!(
                    "`proposal_skipped` names {:?}, but nothing of that name is skipped in {}: remove it",
                    s.item.value,
                    path.display()
                ),
            ));
        }
    }
    if parsed.clauses.is_empty() {
        problems.push(crate::proposal::diagnostic(
            &path,
            crate::proposal::Spot::Line(1),
            "no requirement table found: a table with columns for the clause id, the level (ต้อง/ควร) and the text".to_string(),
        ));
    }
    let file_digest = crate::bundle::sha256(&bytes);
    Some(LoadedProposal {
        path,
        digest: file_digest,
        parsed,
    })
}

/// `FILL-IN:` markers `cpc init` wrote where the proposal did not say: each is a problem until
/// a person writes the value.
fn fill_in_markers(path: &Path, text: &str, problems: &mut Vec<Diagnostic>) {
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with('#') {
            continue;
        }
        if let Some(at) = line.find(crate::scaffold::FILL_IN) {
            problems.push(Diagnostic::at(
                Place::new(path, i as u64 + 1, line[..at].chars().count() as u64 + 1),
                "cpc init left a FILL-IN marker where the proposal or the API description does not say: write the value the agency's documents give, then validate again",
            ));
        }
    }
}

/// Parses YAML strictly: unknown keys, wrong types, duplicate keys and bad syntax are errors
/// with a place. Booleans are YAML 1.2 (`on`/`no` stay strings).
pub fn parse_yaml<T: DeserializeOwned>(path: &Path, text: &str) -> Result<T, Diagnostic> {
    let options = serde_saphyr::options! { strict_booleans: true };
    serde_saphyr::from_str_with_options(text, options).map_err(|e| {
        if let Some(message) = budget_message(&e) {
            return Diagnostic::at(Place::new(path, 1, 1), message);
        }
        let rendered = e.to_string();
        let message = rendered
            .lines()
            .next()
            .unwrap_or("invalid YAML")
            .to_string();
        let message = strip_location(&message);
        match e.location() {
            Some(loc) => Diagnostic::at(Place::of(path, &loc), message),
            None => Diagnostic::at(Place::new(path, 1, 1), message),
        }
    })
}

/// The parser's limits guard against hostile YAML (alias bombs, endless nesting); a large but
/// honest file meets them too, and is told what to do rather than shown the limit's name.
fn budget_message(error: &serde_saphyr::Error) -> Option<String> {
    use serde_saphyr::budget::BudgetBreach as B;
    let serde_saphyr::Error::Budget { breach, .. } = error.without_snippet() else {
        return None;
    };
    Some(match breach {
        B::Nodes { .. } | B::Events { .. } | B::ScalarBytes { .. } | B::Documents { .. } => {
            "this file is larger than cpc reads in one piece (over 250,000 YAML nodes, about \
             10,000 simple cases): split its cases into several files under cases/, each is \
             read on its own"
                .into()
        }
        B::Depth { depth } => format!(
            "nested {depth} levels deep, more than cpc reads: flatten the structure, or move a \
             large body into a file under fixtures/ (`body_file:`)"
        ),
        B::Aliases { .. }
        | B::Anchors { .. }
        | B::AliasAnchorRatio { .. }
        | B::MergeKeys { .. } => {
            "too many YAML aliases or anchors (`*name`, `&name`, `<<`): a file that expands \
             this much is refused; write the repeated parts out, or use a fragment (`use:`)"
                .into()
        }
        other => format!("the file exceeds a limit of the YAML reader ({other:?})"),
    })
}

/// serde-saphyr prefixes "line L column C: " in its first line; our renderer prints the place.
fn strip_location(message: &str) -> String {
    let trimmed = message.trim_start_matches("error: ");
    match trimmed.split_once(": ") {
        Some((head, rest)) if head.starts_with("line ") && head.contains(" column ") => {
            rest.to_string()
        }
        _ => trimmed.to_string(),
    }
}

fn yaml_files(dir: &Path, problems: &mut Vec<Diagnostic>) -> Vec<PathBuf> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            problems.push(Diagnostic::nowhere(format!(
                "cannot read `{}`: {e}",
                dir.display()
            )));
            return Vec::new();
        }
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    files
}

/// Adds every file below `dir` (which may be missing) to the digest.
fn digest_dir(dir: &Path, digest: &mut Digest, problems: &mut Vec<Diagnostic>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return; // optional: a suite may use only inline schemas, and no portal of its own
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            digest_dir(&path, digest, problems);
        } else if path.is_file() {
            match crate::read::bounded(&path, crate::read::MAX_DATA_FILE) {
                Ok(bytes) => digest.add(&path, &bytes),
                Err(e) => problems.push(Diagnostic::nowhere(e)),
            }
        }
    }
}

/// Reads each request's `json: { $file: … }` and `body_file`, relative to the case file,
/// refusing files outside the fixture root (DESIGN §8).
fn resolve_fixtures(
    file: &mut CaseFile,
    root: &Path,
    digest: &mut Digest,
    problems: &mut Vec<Diagnostic>,
) {
    for case in &mut file.cases {
        resolve_step_fixtures(&mut case.value.steps, &file.path, root, digest, problems);
    }
}

/// The fixtures of these steps, written in `path` (so relative to it).
fn resolve_step_fixtures(
    steps: &mut [Spanned<Step>],
    path: &Path,
    root: &Path,
    digest: &mut Digest,
    problems: &mut Vec<Diagnostic>,
) {
    let base = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    {
        for step in steps.iter_mut() {
            let s = &mut step.value;
            let requests: Vec<&mut RequestSpec> = if let Some(r) = &mut s.request {
                vec![&mut r.value]
            } else if let Some(p) = &mut s.poll {
                vec![&mut p.value.request.value]
            } else if let Some(l) = &mut s.load {
                vec![&mut l.value.request.value]
            } else if let Some(f) = &mut s.follow {
                let f = &mut f.value;
                std::iter::once(&mut f.request.value)
                    .chain(f.next_request.as_mut().map(|r| &mut r.value))
                    .collect()
            } else {
                continue;
            };
            for request in requests {
                resolve_request_fixtures(request, path, &base, root, digest, problems);
            }
        }
    }
}

/// The fixtures of one request: `json`/`merge_patch` files, `body_file`, multipart files.
fn resolve_request_fixtures(
    request: &mut RequestSpec,
    path: &Path,
    base: &Path,
    root: &Path,
    digest: &mut Digest,
    problems: &mut Vec<Diagnostic>,
) {
    for json in [&mut request.json, &mut request.merge_patch]
        .into_iter()
        .flatten()
    {
        inline_file(json, path, base, root, digest, problems);
    }
    if let Some(rel) = &request.body_file {
        let place = Place::of(path, &rel.referenced);
        request.body_file_bytes =
            read_fixture(base, &rel.value, root, &place, digest, problems).map(Arc::new);
        if request.template
            && let Some(bytes) = &request.body_file_bytes
            && std::str::from_utf8(bytes).is_err()
        {
            problems.push(Diagnostic::at(
                place,
                format!(
                    "`{}` is not UTF-8 text: a body file with `template: true` is text (send other bytes as they are, without `template`)",
                    rel.value
                ),
            ));
        }
    }
    for part in request
        .multipart
        .iter_mut()
        .flat_map(|m| m.value.iter_mut())
    {
        let part = &mut part.value;
        if let Some(json) = &mut part.json {
            inline_file(json, path, base, root, digest, problems);
        }
        if let Some(rel) = &part.file {
            let place = Place::of(path, &rel.referenced);
            part.file_bytes =
                read_fixture(base, &rel.value, root, &place, digest, problems).map(Arc::new);
        }
    }
}

/// Replaces `{ $file: path }` with the JSON the file holds.
fn inline_file(
    json: &mut Spanned<Value>,
    case_file: &Path,
    base: &Path,
    root: &Path,
    digest: &mut Digest,
    problems: &mut Vec<Diagnostic>,
) {
    let Some(Value::String(rel)) = json
        .value
        .as_object()
        .filter(|o| o.len() == 1)
        .and_then(|o| o.get("$file"))
    else {
        return;
    };
    let rel = rel.clone();
    let place = Place::of(case_file, &json.referenced);
    if let Some(bytes) = read_fixture(base, &rel, root, &place, digest, problems) {
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(value) => json.value = value,
            Err(e) => problems.push(Diagnostic::at(
                place,
                format!("fixture `{rel}` is not valid JSON: {e}"),
            )),
        }
    }
}

fn read_fixture(
    base: &Path,
    rel: &str,
    root: &Path,
    place: &Place,
    digest: &mut Digest,
    problems: &mut Vec<Diagnostic>,
) -> Option<Vec<u8>> {
    let path = base.join(rel);
    let resolved = match path.canonicalize() {
        Ok(p) => p,
        Err(e) => {
            problems.push(Diagnostic::at(
                place.clone(),
                format!("fixture `{rel}` cannot be read: {e}"),
            ));
            return None;
        }
    };
    if !resolved.starts_with(root) {
        problems.push(Diagnostic::at(
            place.clone(),
            format!(
                "fixture `{rel}` resolves outside the project (`{}`)",
                root.display()
            ),
        ));
        return None;
    }
    match crate::read::bounded(&resolved, crate::read::MAX_DATA_FILE) {
        Ok(bytes) => {
            digest.add(&path, &bytes);
            Some(bytes)
        }
        Err(e) => {
            problems.push(Diagnostic::at(
                place.clone(),
                format!("fixture `{rel}`: {e}"),
            ));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_at(text: &str) -> (String, u64, u64) {
        let d = parse_yaml::<CasesDocument>(Path::new("c.yaml"), text).unwrap_err();
        let place = d.place.unwrap();
        (d.message, place.line, place.column)
    }

    const CASE: &str = "cases:\n  - id: A-1\n    title_th: ทดสอบ\n    requirements: [R-1]\n    steps:\n      - request: { method: GET, path: /x }\n";

    #[test]
    fn a_good_case_parses() {
        let doc: CasesDocument = parse_yaml(Path::new("c.yaml"), CASE).unwrap();
        let case = &doc.cases[0].value;
        assert_eq!(case.id.value, "A-1");
        assert_eq!(
            (case.id.referenced.line(), case.id.referenced.column()),
            (2, 9)
        );
        assert_eq!(case.steps.len(), 1);
    }

    #[test]
    fn an_unknown_key_points_at_the_key() {
        let text = CASE.replace("    steps:", "    stpes: []\n    steps:");
        let (message, line, column) = error_at(&text);
        assert!(message.starts_with("unknown field `stpes`"), "{message}");
        assert_eq!((line, column), (5, 5));
    }

    #[test]
    fn a_wrong_type_points_at_the_value() {
        let text = format!("{CASE}        expect: {{ duration_ms: {{ max: soon }} }}\n");
        let (message, line, column) = error_at(&text);
        assert!(
            message.contains("soon") || message.contains("invalid"),
            "{message}"
        );
        assert_eq!(line, 7);
        assert_eq!(column, 39);
    }

    #[test]
    fn bad_yaml_syntax_has_a_place() {
        let (_, line, _) = error_at("cases: [\n  - id: x\n");
        assert!(line >= 2, "{line}");
    }

    #[test]
    fn booleans_are_yaml_1_2() {
        let text = format!("{CASE}        expect: {{ body: {{ $.a: {{ equals: no }} }} }}\n");
        let doc: CasesDocument = parse_yaml(Path::new("c.yaml"), &text).unwrap();
        let expect = &doc.cases[0].value.steps[0].value.expect;
        assert_eq!(expect.body.0[0].1.equals, Some(Value::String("no".into())));
    }
}
