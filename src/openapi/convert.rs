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

pub fn convert(files: &mut [ApiFile], version: Version) -> Result<(), Problem> {
    let positions = {
        let resolver = Resolver { files };
        let mut walk = Walk {
            resolver: &resolver,
            seen: HashSet::new(),
            schemas: Vec::new(),
        };
        walk.any(0, String::new())?;
        walk.schemas
    };
    for (file, pointer, native) in positions {
        if let Some(node) = files[file].value.pointer_mut(&pointer) {
            convert_node(node, version == Version::V30 && !native);
        }
    }
    Ok(())
}

struct Walk<'a> {
    resolver: &'a Resolver<'a>,
    seen: HashSet<(usize, String)>,
    /// Each schema node: its file, pointer, and whether it is in a dialect of its own.
    schemas: Vec<(usize, String, bool)>,
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
                    self.any(f, p)?;
                }
                for (key, child) in map {
                    let at = format!("{pointer}/{}", super::escape(key));
                    if DATA_KEYS.contains(&key.as_str()) || key.starts_with("x-") {
                        continue;
                    }
                    if key == "schema" {
                        self.schema(file, at, false)?;
                    } else if key == "schemas" && pointer == "/components" {
                        if let Value::Object(schemas) = child {
                            for name in schemas.keys() {
                                self.schema(file, format!("{at}/{}", super::escape(name)), false)?;
                            }
                        }
                    } else {
                        self.any(file, at)?;
                    }
                }
            }
            Value::Array(items) => {
                for i in 0..items.len() {
                    self.any(file, format!("{pointer}/{i}"))?;
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
            self.schema(f, p, native)?;
        }
        for (key, child) in map {
            let at = format!("{pointer}/{}", super::escape(key));
            if SCHEMA_MAPS.contains(&key.as_str()) {
                if let Value::Object(children) = child {
                    for name in children.keys() {
                        self.schema(file, format!("{at}/{}", super::escape(name)), native)?;
                    }
                }
            } else if SCHEMA_ONE.contains(&key.as_str()) {
                if let Value::Array(items) = child {
                    for i in 0..items.len() {
                        self.schema(file, format!("{at}/{i}"), native)?;
                    }
                } else {
                    self.schema(file, at, native)?;
                }
            } else if SCHEMA_LISTS.contains(&key.as_str())
                && let Value::Array(items) = child
            {
                for i in 0..items.len() {
                    self.schema(file, format!("{at}/{i}"), native)?;
                }
            }
        }
        Ok(())
    }
}

fn is_oas_dialect(uri: &str) -> bool {
    uri.starts_with("https://spec.openapis.org/oas/")
}

/// Converts one schema node, not the schemas inside it (each is a node of its own).
fn convert_node(node: &mut Value, from_30: bool) {
    let Value::Object(map) = node else { return };
    if map
        .get("$schema")
        .and_then(Value::as_str)
        .is_some_and(is_oas_dialect)
    {
        map.remove("$schema");
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
    write_only_not_required(map);
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

/// An answer need not carry what the client only writes.
fn write_only_not_required(map: &mut Map<String, Value>) {
    let write_only: Vec<String> = match map.get("properties") {
        Some(Value::Object(properties)) => properties
            .iter()
            .filter(|(_, p)| p.get("writeOnly") == Some(&Value::Bool(true)))
            .map(|(name, _)| name.clone())
            .collect(),
        _ => return,
    };
    if let Some(Value::Array(required)) = map.get_mut("required") {
        required.retain(|r| {
            !r.as_str()
                .is_some_and(|r| write_only.iter().any(|w| w == r))
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn converted(schema: Value) -> Value {
        let mut node = schema;
        convert_node(&mut node, true);
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
        assert_eq!(
            converted(
                json!({"required": ["a", "pin"], "properties": {"pin": {"writeOnly": true}}})
            ),
            json!({"required": ["a"], "properties": {"pin": {"writeOnly": true}}})
        );
    }
}
