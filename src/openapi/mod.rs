//! An agency's OpenAPI document (3.0 or 3.1), as cpc uses it: every answer judged against its
//! operation (`conforms: openapi`), the operations × statuses a run reached (`cpc coverage`),
//! and negative cases generated from request schemas (`generate:`).
//!
//! The document is walked as JSON values rather than through a typed model: `oas3` reads only
//! 3.1 and `openapiv3` only 3.0, neither resolves references to files beside the document, and
//! cpc needs every schema as a JSON Schema resource for `jsonschema` anyway.

mod compiled;
pub mod conformance;
mod convert;
pub mod generate;
mod keywords;
mod load;
mod operations;
pub(crate) mod resolve;

use std::path::PathBuf;

pub use compiled::{Compiled, compile};
pub use load::{DATA_KEYS, MAX_DOCUMENT_BYTES, MAX_FILES, load, load_schema};
pub use operations::{Operation, ResponseSpec};
pub use resolve::MAX_REF_HOPS;

/// The OpenAPI versions read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// 3.0.x: schemas are converted to JSON Schema 2020-12 (`nullable`, boolean
    /// `exclusiveMinimum`, …), see `convert`.
    V30,
    /// 3.1.x: schemas are JSON Schema 2020-12 already.
    V31,
}

/// One file of the document (the root, or one a `$ref` reaches), its schemas converted.
#[derive(Clone, Debug)]
pub struct ApiFile {
    /// Relative to the root document's folder, `/`-separated: what `$ref`s name it by.
    pub name: String,
    pub path: PathBuf,
    pub value: serde_json::Value,
}

/// A loaded document: its files and its operations.
#[derive(Debug)]
pub struct ApiDoc {
    pub version: Version,
    /// `files[0]` is the root document; schemas as an answer is judged by them (a `writeOnly`
    /// property is not required).
    pub files: Vec<ApiFile>,
    /// The same files, schemas as a request is judged by them (a `readOnly` property is not
    /// required): what `generate` varies.
    pub request_files: Vec<ApiFile>,
    pub operations: Vec<Operation>,
    /// The path of the first `servers` URL (`/api/v1`), which requests may carry before an
    /// operation's path.
    pub base_path: String,
    /// Its schemas, compiled.
    pub compiled: Compiled,
}

impl ApiDoc {
    /// The operation that documents a request, or why none does: the path is not documented,
    /// or the path is but not with this method.
    pub fn operation(&self, method: &str, path: &str) -> Result<&Operation, Undocumented> {
        // A request's path is percent-encoded (`/%E0%B8%AA…`); the document's templates are not.
        // Each segment is decoded on its own and an escaped `/` stays escaped: `/health%2Fdeep`
        // is one segment to the server, so it must not match `/health/{part}`.
        let decoded = path
            .split('/')
            .map(|segment| resolve::percent_decode(segment).map(|s| s.replace('/', "%2F")))
            .collect::<Result<Vec<_>, _>>()
            .map_or_else(|_| path.to_string(), |segments| segments.join("/"));
        let path = decoded
            .strip_prefix(self.base_path.as_str())
            .filter(|rest| rest.starts_with('/'))
            .unwrap_or(&decoded);
        let mut same_path = Vec::new();
        // Concrete paths are listed before templated ones (`/applications/mine` before
        // `/applications/{id}`), as OpenAPI says they match first.
        for op in self.operations.iter().filter(|op| op.matches(path)) {
            if op.method.eq_ignore_ascii_case(method) {
                return Ok(op);
            }
            same_path.push(op.method.clone());
        }
        if same_path.is_empty() {
            Err(Undocumented::Path)
        } else {
            Err(Undocumented::Method(same_path))
        }
    }

    /// An operation by `METHOD /path` as the document writes it.
    pub fn find(&self, key: &str) -> Option<&Operation> {
        self.operations.iter().find(|op| op.key() == key)
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Undocumented {
    Path,
    /// The methods the path does document.
    Method(Vec<String>),
}

/// The URI a file's schemas are known by in the JSON Schema registry: an invented host, so a
/// reference can never reach the network or the disk.
pub fn file_uri(name: &str) -> String {
    format!("https://openapi.cpc.invalid/{name}")
}

/// A JSON pointer written into a URI fragment: RFC 6901 escaping, then percent-encoding of
/// what a fragment may not hold (`{id}` in a path, spaces).
pub fn fragment(pointer: &str) -> String {
    let mut out = String::with_capacity(pointer.len());
    for b in pointer.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// One pointer segment, escaped (RFC 6901).
pub fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}
