//! OpenAPI schemas as JSON Schema 2020-12, which is what `jsonschema` validates.
//!
//! 3.1 schemas are 2020-12 already (their OAS dialect `$schema` is dropped: it names a
//! meta-schema that cannot be fetched). 3.0 schemas are a dialect of their own, converted where
//! they differ, as Schemathesis does:
//! - `nullable: true` adds `null` to `type` (and to `enum`);
//! - `exclusiveMinimum: true` with `minimum: m` becomes `exclusiveMinimum: m` (the same for
//!   maximum); `false` is dropped;
//! - a `$ref` ignores the keys beside it.
//!
//! In both versions: `format: int32`/`int64` bound the value (a JSON Schema `format` only
//! judges strings); a `writeOnly` property is not required in an answer. A file a `$ref`
//! reaches that declares its own `$schema` (a JSON Schema file of the suite) is left as it is.

use std::collections::HashSet;

use serde_json::{Map, Value, json};

use super::load::DATA_KEYS;
use super::resolve::{Resolver, split};
use super::{ApiFile, Version};

/// The most schema nodes a document may hold (its bytes are bounded too).
const MAX_SCHEMA_NODES: usize = 500_000;

/// Keywords whose value is a map of schemas.
const SCHEMA_MAPS: &[&str] = &[
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
];
/// Keywords whose value is a schema.
const SCHEMA_ONE: &[&str] = &[
    "items",
    "additionalProperties",
    "not",
    "contains",
    "propertyNames",
    "if",
    "then",
    "else",
    "unevaluatedProperties",
    "unevaluatedItems",
    "additionalItems",
];
/// Keywords whose value is a list of schemas.
const SCHEMA_LISTS: &[&str] = &["allOf", "anyOf", "oneOf", "prefixItems"];

/// A problem in the document: the file, the pointer, and what.
pub type Problem = (usize, String, String);

/// Which side of the exchange the schemas are read for: an answer need not carry what the
/// client only writes (`writeOnly`), a request need not carry what the server only writes
/// (`readOnly`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    Request,
    Response,
}

/// The schema nodes of the document: each file, pointer, and whether it is in a dialect of its
/// own (a JSON Schema file naming its `$schema`: not converted).
pub fn positions(files: &[ApiFile]) -> Result<Vec<(usize, String, bool)>, Problem> {
    let resolver = Resolver { files };
    let mut walk = Walk {
        resolver: &resolver,
        seen: HashSet::new(),
        schemas: Vec::new(),
        // An explicit stack: a chain of thousands of `$ref`s must not overflow the thread's.
        work: vec![Node::Any(0, String::new())],
    };
    while let Some(node) = walk.work.pop() {
        match node {
            Node::Any(file, pointer) => walk.any(file, pointer)?,
            Node::Schema(file, pointer, native) => walk.schema(file, pointer, native)?,
        }
    }
    Ok(walk.schemas)
}

/// The most schema nodes a validator may have to visit for one value, every `$ref` and
/// `allOf`/`anyOf` branch followed as it is written: a schema that names another twice at
/// every level (`allOf: [S, S]`) doubles with each one, and would take years to judge a body.
const MAX_EXPANSION: u64 = 1_000_000;

/// Refuses a schema whose expansion passes `MAX_EXPANSION`, naming it. Each node is costed
/// once (shared subschemas are memoised, a reference back into a schema being costed counts
/// one), without recursion: a chain of thousands of references is fine.
pub fn check_expansion(
    files: &[ApiFile],
    positions: &[(usize, String, bool)],
) -> Result<(), Problem> {
    let resolver = Resolver { files };
    let mut cost: std::collections::HashMap<(usize, String), u64> = Default::default();
    let mut open: HashSet<(usize, String)> = HashSet::new();
    for (file, pointer, _) in positions {
        let mut stack = vec![((*file, pointer.clone()), false)];
        while let Some((node, done)) = stack.pop() {
            if cost.contains_key(&node) {
                continue;
            }
            let children = subschemas(&resolver, &node);
            if !done {
                open.insert(node.clone());
                stack.push((node, true));
                for child in children {
                    if !cost.contains_key(&child) && !open.contains(&child) {
                        stack.push((child, false));
                    }
                }
                continue;
            }
            let total = children
                .iter()
                .map(|c| cost.get(c).copied().unwrap_or(1))
                .fold(1u64, u64::saturating_add);
            open.remove(&node);
            if total > MAX_EXPANSION {
                return Err((
                    node.0,
                    node.1,
                    format!(
                        "this schema expands to more than {MAX_EXPANSION} checks of one value (its references and `allOf`/`anyOf` branches followed): name each schema once per branch"
                    ),
                ));
            }
            cost.insert(node, total);
        }
    }
    Ok(())
}

/// The schemas a schema node holds or names (`$ref`), as (file, pointer).
fn subschemas(resolver: &Resolver, (file, pointer): &(usize, String)) -> Vec<(usize, String)> {
    let Some(Value::Object(map)) = resolver.node(*file, pointer) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(Value::String(r)) = map.get("$ref")
        && let Ok((name, target)) = split(&resolver.files[*file].name, r)
        && let Some(f) = resolver.file(&name)
    {
        out.push((f, target));
    }
    for (key, child) in map {
        let at = format!("{pointer}/{}", super::escape(key));
        if SCHEMA_MAPS.contains(&key.as_str()) {
            if let Value::Object(children) = child {
                out.extend(
                    children
                        .keys()
                        .map(|n| (*file, format!("{at}/{}", super::escape(n)))),
                );
            }
        } else if SCHEMA_ONE.contains(&key.as_str()) || SCHEMA_LISTS.contains(&key.as_str()) {
            match child {
                Value::Array(items) => {
                    out.extend((0..items.len()).map(|i| (*file, format!("{at}/{i}"))))
                }
                _ if SCHEMA_ONE.contains(&key.as_str()) => out.push((*file, at)),
                _ => {}
            }
        }
    }
    out
}

/// Converts the schema nodes `positions` found, for one view.
pub fn convert(
    files: &mut [ApiFile],
    positions: &[(usize, String, bool)],
    version: Version,
    view: View,
) {
    for (file, pointer, native) in positions {
        if let Some(node) = files[*file].value.pointer_mut(pointer) {
            convert_node(node, version == Version::V30 && !native, view);
        }
    }
}

enum Node {
    Any(usize, String),
    Schema(usize, String, bool),
}

struct Walk<'a> {
    resolver: &'a Resolver<'a>,
    seen: HashSet<(usize, String)>,
    schemas: Vec<(usize, String, bool)>,
    work: Vec<Node>,
}

impl Walk<'_> {
    /// Where the `$ref` of the node at `file`/`at` leads.
    fn target(&self, file: usize, at: &str, reference: &str) -> Result<(usize, String), Problem> {
        let problem = |e: String| (file, at.to_string(), e);
        let (name, pointer) = split(&self.resolver.files[file].name, reference).map_err(problem)?;
        let target = self
            .resolver
            .file(&name)
            .ok_or_else(|| problem(format!("`{name}` was not read")))?;
        Ok((target, pointer))
    }

    /// A part of the document that is not a schema: schemas are under `schema` keys and
    /// `components/schemas`.
    fn any(&mut self, file: usize, pointer: String) -> Result<(), Problem> {
        if !self.seen.insert((file, pointer.clone())) {
            return Ok(());
        }
        let Some(node) = self.resolver.node(file, &pointer) else {
            return Ok(());
        };
        match node {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    let (f, p) = self.target(file, &pointer, r)?;
                    self.work.push(Node::Any(f, p));
                }
                for (key, child) in map {
                    let at = format!("{pointer}/{}", super::escape(key));
                    if DATA_KEYS.contains(&key.as_str()) || key.starts_with("x-") {
                        continue;
                    }
                    if key == "schema" && !names_chosen(&pointer) {
                        self.work.push(Node::Schema(file, at, false));
                    } else if key == "schemas" && pointer == "/components" {
                        if let Value::Object(schemas) = child {
                            for name in schemas.keys() {
                                let at = format!("{at}/{}", super::escape(name));
                                self.work.push(Node::Schema(file, at, false));
                            }
                        }
                    } else {
                        self.work.push(Node::Any(file, at));
                    }
                }
            }
            Value::Array(items) => {
                for i in 0..items.len() {
                    self.work.push(Node::Any(file, format!("{pointer}/{i}")));
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn schema(&mut self, file: usize, pointer: String, native: bool) -> Result<(), Problem> {
        // Seen as a schema: a node reached both ways is converted once.
        if !self.seen.insert((file, format!("{pointer}\u{0}schema"))) {
            return Ok(());
        }
        if self.schemas.len() >= MAX_SCHEMA_NODES {
            return Err((
                file,
                pointer,
                format!(
                    "the document holds more than {MAX_SCHEMA_NODES} schemas: more than cpc reads"
                ),
            ));
        }
        let Some(Value::Object(map)) = self.resolver.node(file, &pointer) else {
            return Ok(());
        };
        let native = native
            || map
                .get("$schema")
                .and_then(Value::as_str)
                .is_some_and(|s| !is_oas_dialect(s));
        self.schemas.push((file, pointer.clone(), native));
        if let Some(Value::String(r)) = map.get("$ref") {
            // A chain of bare references that comes back on itself describes no value: the
            // validator would follow it for ever.
            self.resolver
                .deref(file, &pointer)
                .map_err(|e| (file, pointer.clone(), e))?;
            let (f, p) = self.target(file, &pointer, r)?;
            self.work.push(Node::Schema(f, p, native));
        }
        for (key, child) in map {
            let at = format!("{pointer}/{}", super::escape(key));
            let mut push = |at: String| self.work.push(Node::Schema(file, at, native));
            if SCHEMA_MAPS.contains(&key.as_str()) {
                if let Value::Object(children) = child {
                    for name in children.keys() {
                        push(format!("{at}/{}", super::escape(name)));
                    }
                }
            } else if SCHEMA_ONE.contains(&key.as_str()) || SCHEMA_LISTS.contains(&key.as_str()) {
                match child {
                    Value::Array(items) => {
                        for i in 0..items.len() {
                            push(format!("{at}/{i}"));
                        }
                    }
                    _ if SCHEMA_ONE.contains(&key.as_str()) => push(at),
                    _ => {}
                }
            }
        }
        Ok(())
    }
}

/// Whether the keys of the object at `pointer` are names its author chose (a parameter, a
/// header, a media type, a path named `schema`), not the fields of an OpenAPI object: a
/// `schema` among them is a name, not a Schema Object.
fn names_chosen(pointer: &str) -> bool {
    const NAMED: &[&str] = &[
        "paths",
        "webhooks",
        "callbacks",
        "links",
        "encoding",
        "headers",
        "content",
        "examples",
        "variables",
        "responses",
        "mapping",
    ];
    let mut segments = pointer.rsplit('/');
    let last = segments.next().unwrap_or("");
    NAMED.contains(&last) || segments.next() == Some("components")
}

fn is_oas_dialect(uri: &str) -> bool {
    uri.starts_with("https://spec.openapis.org/oas/")
}

/// Converts one schema node, not the schemas inside it (each is a node of its own).
fn convert_node(node: &mut Value, from_30: bool, view: View) {
    let Value::Object(map) = node else { return };
    if map
        .get("$schema")
        .and_then(Value::as_str)
        .is_some_and(is_oas_dialect)
    {
        map.remove("$schema");
    }
    if let Some(Value::String(reference)) = map.get_mut("$ref") {
        *reference = uri_safe(reference);
    }
    if from_30 {
        if map.contains_key("$ref") {
            map.retain(|k, _| k == "$ref");
            return;
        }
        nullable(map);
        for (exclusive, bound) in [
            ("exclusiveMinimum", "minimum"),
            ("exclusiveMaximum", "maximum"),
        ] {
            match map.get(exclusive) {
                Some(Value::Bool(true)) => {
                    let limit = map.remove(bound).unwrap_or(Value::Null);
                    if limit.is_number() {
                        map.insert(exclusive.into(), limit);
                    } else {
                        map.remove(exclusive);
                    }
                }
                Some(Value::Bool(false)) => {
                    map.remove(exclusive);
                }
                _ => {}
            }
        }
    }
    let bounds = match map.get("format").and_then(Value::as_str) {
        Some("int32") => Some((json!(i32::MIN), json!(i32::MAX))),
        Some("int64") => Some((json!(i64::MIN), json!(i64::MAX))),
        _ => None,
    };
    if let Some((low, high)) = bounds {
        if !map.contains_key("minimum") && !map.contains_key("exclusiveMinimum") {
            map.insert("minimum".into(), low);
        }
        if !map.contains_key("maximum") && !map.contains_key("exclusiveMaximum") {
            map.insert("maximum".into(), high);
        }
    }
    let only = match view {
        View::Response => "writeOnly",
        View::Request => "readOnly",
    };
    not_required(map, only);
}

/// A reference as a URI may hold it: what is not ASCII (a Thai schema name), spaces and other
/// characters a URI cannot hold are percent-encoded (`$ref`s are read back decoded).
fn uri_safe(reference: &str) -> String {
    let mut out = String::with_capacity(reference.len());
    for c in reference.chars() {
        if c.is_ascii_graphic() && !"\"<>\\^`{|}".contains(c) {
            out.push(c);
        } else {
            let mut buf = [0; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

fn nullable(map: &mut Map<String, Value>) {
    if map.remove("nullable") != Some(Value::Bool(true)) {
        return;
    }
    match map.get_mut("type") {
        Some(Value::String(t)) => {
            let t = std::mem::take(t);
            map.insert("type".into(), json!([t, "null"]));
        }
        Some(Value::Array(types)) if !types.contains(&json!("null")) => types.push(json!("null")),
        _ => {}
    }
    if let Some(Value::Array(values)) = map.get_mut("enum")
        && !values.contains(&Value::Null)
    {
        values.push(Value::Null);
    }
}

/// Properties marked `only` (`writeOnly` in an answer, `readOnly` in a request) are not
/// required there.
fn not_required(map: &mut Map<String, Value>, only: &str) {
    let marked: Vec<String> = match map.get("properties") {
        Some(Value::Object(properties)) => properties
            .iter()
            .filter(|(_, p)| p.get(only) == Some(&Value::Bool(true)))
            .map(|(name, _)| name.clone())
            .collect(),
        _ => return,
    };
    if let Some(Value::Array(required)) = map.get_mut("required") {
        required.retain(|r| !r.as_str().is_some_and(|r| marked.iter().any(|w| w == r)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn converted(schema: Value) -> Value {
        let mut node = schema;
        convert_node(&mut node, true, View::Response);
        node
    }

    #[test]
    fn openapi_30_keywords_become_2020_12() {
        assert_eq!(
            converted(json!({"type": "string", "nullable": true, "enum": ["a"]})),
            json!({"type": ["string", "null"], "enum": ["a", null]})
        );
        assert_eq!(
            converted(json!({"type": "integer", "minimum": 0, "exclusiveMinimum": true})),
            json!({"type": "integer", "exclusiveMinimum": 0})
        );
        assert_eq!(
            converted(json!({"maximum": 9, "exclusiveMaximum": false})),
            json!({"maximum": 9})
        );
        assert_eq!(
            converted(json!({"$ref": "#/x", "nullable": true, "description": "d"})),
            json!({"$ref": "#/x"})
        );
        assert_eq!(
            converted(json!({"type": "integer", "format": "int32", "minimum": 1})),
            json!({"type": "integer", "format": "int32", "minimum": 1, "maximum": i32::MAX})
        );
        let pin = json!({"required": ["a", "pin"], "properties": {"pin": {"writeOnly": true}}});
        assert_eq!(
            converted(pin.clone()),
            json!({"required": ["a"], "properties": {"pin": {"writeOnly": true}}})
        );
        // A request carries what the client writes.
        let mut request = pin.clone();
        convert_node(&mut request, true, View::Request);
        assert_eq!(request, pin);
        assert_eq!(
            converted(json!({"$ref": "#/components/schemas/ผู้ยื่น"})),
            json!({"$ref": "#/components/schemas/%E0%B8%9C%E0%B8%B9%E0%B9%89%E0%B8%A2%E0%B8%B7%E0%B9%88%E0%B8%99"})
        );
    }
}
