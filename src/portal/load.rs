//! Loads mappings: the bundled portal (compiled into the binary, so an installed `cpc` needs no
//! checkout) and, with `--mappings DIR`, a WireMock root of one's own (`DIR/mappings/*.json`,
//! `DIR/__files/`) whose stubs add to the bundled ones or replace those of the same name.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};
use serde_json::Value;
use serde_json_path::JsonPath;

use super::mapping::{BodyPattern, Mapping, MappingList, ValuePattern};
use super::template;
use crate::diagnostic::{Diagnostic, Place};

static BUNDLED: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/mock-portal");

/// The longest delay a stub may answer with.
const MAX_DELAY_MS: u64 = 10 * 60 * 1000;

/// Stubs and the files their responses may name.
#[derive(Clone, Debug, Default)]
pub struct MappingSet {
    /// Each with the file it came from.
    pub mappings: Vec<(PathBuf, Mapping)>,
    pub files: BTreeMap<String, Vec<u8>>,
    /// The text of each mapping file, to place problems in it.
    sources: BTreeMap<PathBuf, String>,
}

impl MappingSet {
    pub fn bundled() -> Result<Self, Vec<Diagnostic>> {
        let mut set = Self::default();
        let mut problems = Vec::new();
        if let Some(dir) = BUNDLED.get_dir("__files") {
            for file in dir.files() {
                let name = file.path().strip_prefix("__files").unwrap_or(file.path());
                set.files.insert(
                    name.to_string_lossy().into_owned(),
                    file.contents().to_vec(),
                );
            }
        }
        if let Some(dir) = BUNDLED.get_dir("mappings") {
            let mut files: Vec<_> = dir.files().filter(|f| is_json(f.path())).collect();
            files.sort_by_key(|f| f.path());
            for file in files {
                let shown = Path::new("mock-portal").join(file.path());
                let text = String::from_utf8_lossy(file.contents());
                set.add_text(&shown, &text, &mut problems);
            }
        }
        set.finish(problems)
    }

    /// Adds a WireMock root directory's stubs on top of these.
    pub fn with_dir(mut self, root: &Path) -> Result<Self, Vec<Diagnostic>> {
        let mut problems = Vec::new();
        let files_dir = root.join("__files");
        if let Ok(entries) = std::fs::read_dir(&files_dir) {
            for entry in entries.filter_map(Result::ok) {
                // Not followed: a link in `__files/` would serve whatever it points at
                // (`/etc/passwd`, the signing key) to anyone who asks the portal.
                if entry.file_type().is_ok_and(|t| t.is_symlink()) {
                    problems.push(Diagnostic::nowhere(format!(
                        "`{}` is a symbolic link: the portal serves only files inside `__files/`",
                        entry.path().display()
                    )));
                    continue;
                }
                if !entry.path().is_file() {
                    continue;
                }
                match crate::read::bounded(&entry.path(), crate::read::MAX_DATA_FILE) {
                    Ok(bytes) => {
                        self.files
                            .insert(entry.file_name().to_string_lossy().into_owned(), bytes);
                    }
                    Err(e) => problems.push(Diagnostic::nowhere(e)),
                }
            }
        }
        let mappings_dir = root.join("mappings");
        let mut paths: Vec<PathBuf> = match std::fs::read_dir(&mappings_dir) {
            Ok(entries) => entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| is_json(p))
                .collect(),
            Err(e) => {
                return Err(vec![Diagnostic::nowhere(format!(
                    "cannot read `{}`: {e} (--mappings takes a WireMock root holding mappings/ and __files/)",
                    mappings_dir.display()
                ))]);
            }
        };
        paths.sort();
        for path in paths {
            let text = crate::read::bounded(&path, crate::read::MAX_TEXT_FILE).and_then(|b| {
                String::from_utf8(b).map_err(|_| format!("`{}` is not UTF-8", path.display()))
            });
            match text {
                Ok(text) => self.add_text(&path, &text, &mut problems),
                Err(e) => problems.push(Diagnostic::nowhere(e)),
            }
        }
        self.finish(problems)
    }

    fn add_text(&mut self, path: &Path, text: &str, problems: &mut Vec<Diagnostic>) {
        self.sources.insert(path.to_path_buf(), text.to_string());
        let many = serde_json::from_str::<Value>(text)
            .ok()
            .is_some_and(|v| v.get("mappings").is_some());
        let parsed = if many {
            serde_json::from_str::<MappingList>(text).map(|l| l.mappings)
        } else {
            serde_json::from_str::<Mapping>(text).map(|m| vec![m])
        };
        match parsed {
            Ok(mappings) => {
                for mapping in mappings {
                    // A stub of the same name (or id) replaces the earlier one: how
                    // `--mappings` overrides the bundled portal.
                    let same = |m: &Mapping| {
                        (m.name.is_some() && m.name == mapping.name)
                            || (m.id.is_some() && m.id == mapping.id)
                    };
                    self.mappings.retain(|(_, m)| !same(m));
                    self.mappings.push((path.to_path_buf(), mapping));
                }
            }
            Err(e) => problems.push(Diagnostic::at(
                Place::new(path, e.line() as u64, e.column() as u64),
                strip_position(&e.to_string()),
            )),
        }
    }

    fn finish(self, mut problems: Vec<Diagnostic>) -> Result<Self, Vec<Diagnostic>> {
        for (path, mapping) in &self.mappings {
            let source = self.sources.get(path).map_or("", String::as_str);
            problems.extend(check(mapping, &self.files).into_iter().map(|p| {
                let (line, column) = locate(source, mapping, &p);
                Diagnostic::at(
                    Place::new(path, line, column),
                    format!("stub `{}`: {p}", mapping.label()),
                )
            }));
        }
        if problems.is_empty() {
            Ok(self)
        } else {
            Err(problems)
        }
    }
}

impl MappingSet {
    /// Credentials the stubs expect, written as they are (`Consumer-Key: equalTo …`): secrets.
    pub fn credentials(&self) -> Vec<String> {
        self.mappings
            .iter()
            .flat_map(|(_, m)| credentials(m))
            .collect()
    }
}

fn credentials(m: &Mapping) -> Vec<String> {
    let r = &m.request;
    r.headers
        .iter()
        .chain(r.query_parameters.iter())
        .filter(|(name, _)| crate::redact::is_sensitive_header(name))
        .filter_map(|(_, pattern)| match pattern {
            ValuePattern::EqualTo(value) => Some(value.clone()),
            _ => None,
        })
        .collect()
}

/// Where in its file a problem of a stub is: the key it names (`request.urlPathPattern: …` →
/// `"urlPathPattern"`), searched from the stub's name on; else the stub's name; else 1:1.
fn locate(source: &str, mapping: &Mapping, problem: &str) -> (u64, u64) {
    let from = mapping
        .name
        .as_ref()
        .and_then(|n| source.find(&format!("\"{n}\"")))
        .unwrap_or(0);
    let keys = problem.split(':').next().unwrap_or("");
    let found = keys
        .rsplit('.')
        .find_map(|key| source[from..].find(&format!("\"{key}\"")).map(|i| from + i))
        .unwrap_or(from);
    let before = &source[..found];
    let line = before.matches('\n').count() as u64 + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u64 + 1;
    (line, column)
}

fn is_json(path: &Path) -> bool {
    path.extension().is_some_and(|x| x == "json")
}

/// serde_json appends " at line L column C"; the place is printed on its own.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// Problems a stub has that JSON typing cannot catch; each names the key.
pub fn check(m: &Mapping, files: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    let mut problems = Vec::new();
    let r = &m.request;
    let urls = [&r.url, &r.url_path, &r.url_path_pattern, &r.url_pattern];
    if urls.iter().filter(|u| u.is_some()).count() > 1 {
        problems
            .push("request: give at most one of url, urlPath, urlPathPattern, urlPattern".into());
    }
    for (key, pattern) in [
        ("request.urlPathPattern", &r.url_path_pattern),
        ("request.urlPattern", &r.url_pattern),
    ] {
        if let Some(p) = pattern
            && let Err(e) = regex::Regex::new(&anchored(p))
        {
            problems.push(format!("{key}: invalid regular expression: {e}"));
        }
    }
    if let Some(method) = &r.method
        && method != "ANY"
        && reqwest::Method::from_bytes(method.as_bytes()).is_err()
    {
        problems.push(format!("request.method: `{method}` is not an HTTP method"));
    }
    for (kind, map) in [
        ("queryParameters", &r.query_parameters),
        ("headers", &r.headers),
    ] {
        for (name, pattern) in map {
            if let ValuePattern::Matches(p) = pattern
                && let Err(e) = regex::Regex::new(&anchored(p))
            {
                problems.push(format!(
                    "request.{kind}.{name}.matches: invalid regular expression: {e}"
                ));
            }
        }
    }
    for pattern in &r.body_patterns {
        if let BodyPattern::MatchesJsonPath(p) = pattern
            && let Err(e) = JsonPath::parse(p)
        {
            problems.push(format!(
                "request.bodyPatterns.matchesJsonPath: invalid JSONPath `{p}`: {e}"
            ));
        }
    }
    for credential in credentials(m) {
        if credential.chars().count() < crate::redact::MIN_SECRET_LEN {
            problems.push(format!(
                "a credential the stub expects is {} characters long: cpc masks credentials of at least {} characters",
                credential.chars().count(),
                crate::redact::MIN_SECRET_LEN
            ));
        }
    }
    let resp = &m.response;
    if let Some(ms) = resp.fixed_delay_milliseconds
        && ms > MAX_DELAY_MS
    {
        problems.push(format!(
            "response.fixedDelayMilliseconds: {ms} is more than {MAX_DELAY_MS} (10 minutes)"
        ));
    }
    if !(100..=599).contains(&resp.status) {
        problems.push(format!(
            "response.status: {} is not an HTTP status code",
            resp.status
        ));
    }
    let bodies = [
        resp.json_body.is_some(),
        resp.body.is_some(),
        resp.body_file_name.is_some(),
    ];
    if bodies.iter().filter(|b| **b).count() > 1 {
        problems.push("response: give at most one of jsonBody, body, bodyFileName".into());
    }
    if let Some(name) = &resp.body_file_name
        && !files.contains_key(name)
    {
        problems.push(format!(
            "response.bodyFileName: no file `{name}` in __files"
        ));
    }
    for t in resp
        .transformers
        .iter()
        .filter(|t| *t != "response-template")
    {
        problems.push(format!(
            "response.transformers: `{t}` is not supported (only response-template)"
        ));
    }
    for (name, value) in &resp.headers {
        if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
            problems.push(format!("response.headers: `{name}` is not a header name"));
        }
        if m.templated()
            && let Err(e) = template::check(value)
        {
            problems.push(format!("response.headers.{name}: {e}"));
        }
    }
    if m.templated() {
        let mut texts: Vec<&str> = resp.body.iter().map(String::as_str).collect();
        let mut strings = Vec::new();
        if let Some(json) = &resp.json_body {
            json_strings(json, &mut strings);
        }
        texts.extend(strings);
        for text in texts {
            if let Err(e) = template::check(text) {
                problems.push(format!("response body: {e}"));
            }
        }
    }
    if let Some(path) = m.cpc().and_then(|c| c.issues_token.as_ref())
        && let Err(e) = JsonPath::parse(path)
    {
        problems.push(format!(
            "metadata.cpc.issues_token: invalid JSONPath `{path}`: {e}"
        ));
    }
    problems
}

fn json_strings<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::String(s) => out.push(s),
        Value::Array(items) => items.iter().for_each(|v| json_strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| json_strings(v, out)),
        _ => {}
    }
}

/// WireMock's patterns match the whole value.
pub fn anchored(pattern: &str) -> String {
    format!("^(?:{pattern})$")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_mapping_loads_within_the_subset() {
        let set = MappingSet::bundled().unwrap_or_else(|p| panic!("{p:?}"));
        let names: Vec<String> = set.mappings.iter().map(|(_, m)| m.label()).collect();
        for name in ["auth-validate", "auth-validate-denied"] {
            assert!(
                names.iter().any(|n| n == name),
                "{name} missing from {names:?}"
            );
        }
        for (path, mapping) in &set.mappings {
            assert_eq!(
                check(mapping, &set.files),
                Vec::<String>::new(),
                "{}",
                path.display()
            );
        }
    }

    fn problems_of(text: &str) -> Vec<String> {
        let mut set = MappingSet::default();
        let mut problems = Vec::new();
        set.add_text(Path::new("mappings/x.json"), text, &mut problems);
        match set.finish(problems) {
            Ok(_) => vec![],
            Err(p) => p.iter().map(|d| d.to_string()).collect(),
        }
    }

    #[test]
    fn an_unsupported_key_is_named_with_its_file() {
        let p = problems_of(
            "{\"name\": \"x\",\n \"request\": {\"urlPathPattern\": \"(\"},\n \"response\": {}}",
        );
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].starts_with("mappings/x.json:2:14: stub `x`: request.urlPathPattern"),
            "{}",
            p[0]
        );

        let p = problems_of(
            r#"{"request": {"method": "GET", "urlPath": "/x"}, "response": {"status": 200, "proxyBaseUrl": "http://x"}}"#,
        );
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].starts_with("mappings/x.json:1:"), "{}", p[0]);
        assert!(p[0].contains("unknown field `proxyBaseUrl`"), "{}", p[0]);

        let p = problems_of(
            r#"{"request": {"headers": {"A": {"equalToIgnoreCase": "x"}}}, "response": {}}"#,
        );
        assert!(
            p[0].contains("unknown variant `equalToIgnoreCase`"),
            "{}",
            p[0]
        );

        let p = problems_of(
            r#"{"request": {}, "response": {"body": "{{jsonPath request.body '$.a'}}", "transformers": ["response-template"]}}"#,
        );
        assert!(p[0].contains("unsupported template"), "{}", p[0]);

        let p = problems_of(
            r#"{"request": {}, "response": {"bodyFileName": "none.json"}, "metadata": {"cpc": {"mystery": 1}}}"#,
        );
        assert!(p[0].contains("unknown field `mystery`"), "{p:?}");
    }

    #[test]
    fn a_list_file_and_overriding_by_name() {
        let mut set = MappingSet::default();
        let mut problems = Vec::new();
        set.add_text(
            Path::new("a.json"),
            r#"{"mappings": [{"name": "n", "request": {}, "response": {"status": 200}}]}"#,
            &mut problems,
        );
        set.add_text(
            Path::new("b.json"),
            r#"{"name": "n", "request": {}, "response": {"status": 503}}"#,
            &mut problems,
        );
        assert!(problems.is_empty());
        assert_eq!(set.mappings.len(), 1);
        assert_eq!(set.mappings[0].1.response.status, 503);
    }
}
