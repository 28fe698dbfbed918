//! Reads an OpenAPI document and the files its `$ref`s reach, within bounds, and converts its
//! schemas to JSON Schema 2020-12.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::resolve::{Resolver, split};
use super::{ApiDoc, ApiFile, Version};
use crate::diagnostic::{Diagnostic, Place};

/// The most files one document may span.
pub const MAX_FILES: usize = 64;
/// The most bytes all its files may hold together: far past any agency's API, small enough that
/// a document cannot exhaust memory once parsed and compiled.
pub const MAX_DOCUMENT_BYTES: u64 = 8 * 1024 * 1024;

/// The most problems named in one document: past them, the first ones are what to mend.
const MAX_PROBLEMS: usize = 100;

/// Keys whose values are data, not parts of the document: a `$ref` in them is not followed.
pub const DATA_KEYS: &[&str] = &["example", "examples", "default", "enum", "const"];

/// Loads `root` (YAML or JSON). `on_read` sees each file's bytes as read (the suite digests
/// them). Every problem is returned, each naming its file and, where it is in the document,
/// the JSON pointer.
pub fn load(root: &Path, on_read: &mut dyn FnMut(&Path, &[u8])) -> Result<ApiDoc, Vec<Diagnostic>> {
    let mut files = read_all(root, on_read)?;
    let version = match files[0].value.get("openapi").and_then(Value::as_str) {
        Some(v) if v.starts_with("3.0.") || v == "3.0" => Version::V30,
        Some(v) if v.starts_with("3.1.") || v == "3.1" => Version::V31,
        other => {
            let found = match (other, files[0].value.get("swagger")) {
                (Some(v), _) => format!("`openapi: {v}`"),
                (None, Some(_)) => "a Swagger 2.0 document".to_string(),
                (None, None) => "no `openapi:` version".to_string(),
            };
            return Err(vec![Diagnostic::at(
                Place::new(root, 1, 1),
                format!(
                    "{found}: cpc reads OpenAPI 3.0 and 3.1 documents (convert a Swagger 2.0 \
                     one first, e.g. with swagger2openapi)"
                ),
            )]);
        }
    };
    use super::convert::{View, convert, positions};
    let schemas =
        positions(&files).map_err(|(file, at, e)| vec![at_pointer(&files[file].path, &at, e)])?;
    super::convert::check_expansion(&files, &schemas)
        .map_err(|(file, at, e)| vec![at_pointer(&files[file].path, &at, e)])?;
    let mut request_files = files.clone();
    convert(&mut files, &schemas, version, View::Response);
    convert(&mut request_files, &schemas, version, View::Request);
    let mut problems = super::keywords::unknown(&files, &schemas, version);
    let (operations, more) = super::operations::extract(&Resolver { files: &files });
    problems.extend(more);
    if !problems.is_empty() {
        return Err(problems
            .into_iter()
            .take(MAX_PROBLEMS)
            .map(|(file, at, e)| at_pointer(&files[file].path, &at, e))
            .collect());
    }
    let compiled = super::compile(&files, &request_files, &operations)?;
    Ok(ApiDoc {
        version,
        base_path: base_path(&files[0].value),
        files,
        request_files,
        operations,
        compiled,
    })
}

/// A JSON Schema file (2020-12, or the draft its `$schema` names) and the files its `$ref`s
/// reach, as a document without operations: what `generate: { from: { schema: … } }` reads.
pub fn load_schema(
    root: &Path,
    on_read: &mut dyn FnMut(&Path, &[u8]),
) -> Result<ApiDoc, Vec<Diagnostic>> {
    let files = read_all(root, on_read)?;
    let schemas = vec![(0, String::new(), true)];
    super::convert::check_expansion(&files, &schemas)
        .map_err(|(file, at, e)| vec![at_pointer(&files[file].path, &at, e)])?;
    let compiled = super::compile(&files, &files, &[])?;
    Ok(ApiDoc {
        version: Version::V31,
        request_files: files.clone(),
        files,
        operations: Vec::new(),
        base_path: String::new(),
        compiled,
    })
}

/// The root file and every file a `$ref` names (each read once), every `$ref` pointing at
/// something.
fn read_all(
    root: &Path,
    on_read: &mut dyn FnMut(&Path, &[u8]),
) -> Result<Vec<ApiFile>, Vec<Diagnostic>> {
    let folder = root.parent().unwrap_or(Path::new(".")).to_path_buf();
    let name = root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut reader = Reader {
        folder: folder.canonicalize().unwrap_or_else(|_| folder.clone()),
        base: folder,
        files: Vec::new(),
        bytes: 0,
        problems: Vec::new(),
    };
    reader.read(&name, root, None, on_read);
    let mut next = 0;
    while next < reader.files.len() {
        let mut refs = Vec::new();
        references(&reader.files[next].value, "", &mut refs);
        let from = reader.files[next].name.clone();
        let from_path = reader.files[next].path.clone();
        for (at, reference) in refs {
            match split(&from, &reference) {
                Ok((file, _)) => {
                    if !reader.files.iter().any(|f| f.name == file) {
                        let path = reader.base.join(&file);
                        reader.read(&file, &path, Some((&from_path, &at)), on_read);
                    }
                }
                Err(e) => reader.problem(&from_path, &at, e),
            }
        }
        next += 1;
    }
    if !reader.problems.is_empty() || reader.files.is_empty() {
        return Err(reader.problems);
    }
    let files = reader.files;
    // A `$ref` to nothing is a mistake in the document, found now rather than mid-run.
    let resolver = Resolver { files: &files };
    let mut problems = Vec::new();
    for file in &files {
        let mut refs = Vec::new();
        references(&file.value, "", &mut refs);
        for (at, reference) in refs {
            let found = split(&file.name, &reference).and_then(|(name, pointer)| {
                let target = resolver
                    .file(&name)
                    .ok_or_else(|| format!("`{name}` was not read"))?;
                resolver
                    .node(target, &pointer)
                    .map(|_| ())
                    .ok_or_else(|| format!("`{reference}` points at nothing"))
            });
            if let Err(e) = found
                && problems.len() < MAX_PROBLEMS
            {
                problems.push(at_pointer(&file.path, &at, e));
            }
        }
    }
    if problems.is_empty() {
        Ok(files)
    } else {
        Err(problems)
    }
}

struct Reader {
    /// The root document's folder, as given (the suite names its files from it).
    base: PathBuf,
    /// The same, canonical: no file may be outside it.
    folder: PathBuf,
    files: Vec<ApiFile>,
    bytes: u64,
    problems: Vec<Diagnostic>,
}

impl Reader {
    fn problem(&mut self, file: &Path, at: &str, message: String) {
        self.problems.push(at_pointer(file, at, message));
    }

    /// Reads one file; `by` is the file and pointer of the `$ref` that named it.
    fn read(
        &mut self,
        name: &str,
        path: &Path,
        by: Option<(&Path, &str)>,
        on_read: &mut dyn FnMut(&Path, &[u8]),
    ) {
        let fail = |this: &mut Self, message: String| match by {
            Some((file, at)) => this.problem(file, at, message),
            None => this.problems.push(Diagnostic::nowhere(message)),
        };
        if self.files.len() >= MAX_FILES {
            return fail(
                self,
                format!("the document spans more than {MAX_FILES} files: `{name}` is not read"),
            );
        }
        // A symbolic link may not lead out of the document's folder.
        match path.canonicalize() {
            Ok(real) if real.starts_with(&self.folder) => {}
            Ok(_) => {
                return fail(
                    self,
                    format!("`{name}` leads outside the document's folder"),
                );
            }
            Err(e) => return fail(self, format!("cannot read `{}`: {e}", path.display())),
        }
        let left = MAX_DOCUMENT_BYTES.saturating_sub(self.bytes);
        let bytes = match crate::read::bounded(path, left) {
            Ok(bytes) => bytes,
            Err(e) => {
                return fail(
                    self,
                    format!("{e} (a document's files may hold {MAX_DOCUMENT_BYTES} bytes in all)"),
                );
            }
        };
        self.bytes += bytes.len() as u64;
        on_read(path, &bytes);
        let Ok(text) = String::from_utf8(bytes) else {
            return fail(self, format!("`{}` is not valid UTF-8", path.display()));
        };
        match crate::suite::parse_yaml::<Value>(path, &text) {
            Ok(value) => self.files.push(ApiFile {
                name: name.to_string(),
                path: path.to_path_buf(),
                value,
            }),
            Err(mut problem) => {
                // The reader's budget message speaks of case files.
                if problem
                    .message
                    .starts_with("this file is larger than cpc reads")
                {
                    problem.message = "this file is larger than cpc reads in one piece (over 250,000 YAML nodes): split the document into files its `$ref`s name".into();
                }
                self.problems.push(problem);
            }
        }
    }
}

/// A problem at a JSON pointer of a file of the document, placed at the line that holds it.
pub(super) fn at_pointer(file: &Path, at: &str, message: String) -> Diagnostic {
    let text = crate::read::bounded(file, MAX_DOCUMENT_BYTES)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let (line, column) = locate(&text, at);
    let at = if at.is_empty() { "/" } else { at };
    Diagnostic::at(
        Place::new(file, line, column),
        format!("at #{at}: {message}"),
    )
}

/// Where a pointer's last member is written in YAML or JSON text: each segment's key is looked
/// for after the one before it (`key:` or `"key"`). A guess that holds for documents as people
/// write them; the message names the pointer in any case.
fn locate(text: &str, pointer: &str) -> (u64, u64) {
    let mut from = 0;
    for segment in pointer.split('/').skip(1) {
        let key = segment.replace("~1", "/").replace("~0", "~");
        if key.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let found = [format!("\"{key}\""), format!("'{key}'"), format!("{key}:")]
            .iter()
            .filter_map(|k| text[from..].find(k.as_str()))
            .min();
        match found {
            Some(i) => from += i,
            None => break,
        }
    }
    let before = &text[..from];
    let line = before.matches('\n').count() as u64 + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u64 + 1;
    (line, column)
}

/// Every `$ref` string in a value, with the pointer of the object holding it; data (examples,
/// defaults, enums) is not looked into.
pub(super) fn references(value: &Value, at: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                out.push((at.to_string(), r.clone()));
            }
            for (key, child) in map {
                if !DATA_KEYS.contains(&key.as_str()) {
                    references(child, &format!("{at}/{}", super::escape(key)), out);
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                references(child, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// The path of the first server URL (`https://api.example.go.th/csg/v1` → `/csg/v1`), without
/// a trailing `/`; empty when there is none or it is only `/`.
fn base_path(root: &Value) -> String {
    let url = root
        .pointer("/servers/0/url")
        .and_then(Value::as_str)
        .unwrap_or("");
    let path = match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("", |i| &rest[i..]),
        None => url,
    };
    // Server variables (`{version}`) cannot be known: such a base is not stripped.
    if path.contains('{') {
        return String::new();
    }
    path.trim_end_matches('/').to_string()
}
