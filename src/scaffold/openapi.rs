//! What `cpc init --openapi` adds to a suite from the agency's OpenAPI document: a pending case
//! per operation (its request, and the first success it documents), and each schema of the
//! document's `components` as a JSON Schema file a hand-written case can name. Pure: the loaded
//! document in, files out. The clause each case tests is not in an API description: it is a
//! `FILL-IN:` marker.

use serde_json::{Map, Value, json};

use super::{FILL_IN, comment, q};
use crate::openapi::ApiDoc;

/// `cases/openapi.yaml`: a pending case per operation, in the document's order.
pub fn pending_cases(doc: &ApiDoc, doc_file: &str) -> String {
    let mut text = format!(
        "# A pending case per operation of {doc_file} (`cpc init --openapi`): name the clause each\n# tests, write its steps, then remove `pending: true`.\ncases:\n"
    );
    let mut ids = std::collections::HashSet::new();
    for op in &doc.operations {
        let base = format!(
            "API-{}",
            slug(op.operation_id.as_deref().unwrap_or(&op.key()))
        );
        let id = (1..)
            .map(|n| {
                if n == 1 {
                    base.clone()
                } else {
                    format!("{base}-{n}")
                }
            })
            .find(|id| ids.insert(id.clone()))
            .unwrap_or(base);
        let success = op
            .responses
            .iter()
            .map(|r| r.status.as_str())
            .find(|s| s.starts_with('2'))
            .unwrap_or("2xx");
        // A code is written as a number, a class (`2XX`, or none documented) as `2xx`.
        let success = if success.len() == 3 && success.bytes().all(|b| b.is_ascii_digit()) {
            success.to_string()
        } else {
            "2xx".to_string()
        };
        let documented: Vec<&str> = op.responses.iter().map(|r| r.status.as_str()).collect();
        text.push_str(&comment(
            &format!(
                "{}{} — documents {}",
                op.key(),
                op.summary
                    .as_ref()
                    .map(|s| format!(": {s}"))
                    .unwrap_or_default(),
                documented.join(", ")
            ),
            "  ",
        ));
        text.push_str(&format!(
            "  - id: {}\n    title_th: {}\n    title_en: {}\n    requirements: [{}]\n    pending: true\n    steps:\n      - request:\n          method: {}\n          path: {}\n        expect:\n          status: {}\n",
            q(&id),
            q(&format!("{FILL_IN} ชื่อกรณีทดสอบ {}", op.key())),
            q(&op.summary.clone().unwrap_or_else(|| op.key())),
            q(&format!("{FILL_IN} ข้อที่ทดสอบ (the clause this case tests)")),
            q(&op.method),
            q(&op.path),
            success,
        ));
    }
    text
}

/// A path as a YAML scalar.
pub fn yaml_path(path: &str) -> String {
    q(path)
}

/// `METHOD /a/{b}` or `operationId` as an id: `POST-A-B`, `SUBMIT-APPLICATION`.
fn slug(text: &str) -> String {
    let mut out = String::new();
    let mut last_lower = false;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase() && last_lower {
                out.push('-');
            }
            last_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            out.push(c.to_ascii_uppercase());
        } else {
            if !out.ends_with('-') && !out.is_empty() {
                out.push('-');
            }
            last_lower = false;
        }
    }
    out.trim_end_matches('-').to_string()
}

/// Each schema under the root document's `components/schemas` as `schemas/<name>.json`: the
/// converted schema (2020-12), the other component schemas it may name under `$defs`. One that
/// names a schema in another file is left out (its name is returned with why), as a suite's
/// schema files are read alone.
pub fn component_schemas(doc: &ApiDoc) -> (Vec<(String, String)>, Vec<String>) {
    let Some(Value::Object(schemas)) = doc.files[0].value.pointer("/components/schemas") else {
        return (Vec::new(), Vec::new());
    };
    let mut defs = Map::new();
    let mut outside = Vec::new();
    for (name, schema) in schemas {
        let mut schema = schema.clone();
        if rewrite(&mut schema) {
            outside.push(name.clone());
        }
        defs.insert(name.clone(), schema);
    }
    let mut files = Vec::new();
    let mut left_out = Vec::new();
    for name in schemas.keys() {
        if outside.contains(name) {
            left_out.push(format!("{name}: it names a schema in another file"));
            continue;
        }
        let file_name: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let schema = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": name,
            "$ref": format!("#/$defs/{}", crate::openapi::escape(name)),
            "$defs": defs,
        });
        let text = serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n";
        files.push((format!("schemas/{file_name}.json"), text));
    }
    (files, left_out)
}

/// `#/components/schemas/X` becomes `#/$defs/X`; true when a `$ref` leads to another file.
fn rewrite(value: &mut Value) -> bool {
    let mut outside = false;
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get_mut("$ref") {
                match r.strip_prefix("#/components/schemas/") {
                    Some(rest) => *r = format!("#/$defs/{rest}"),
                    None => outside |= !r.starts_with('#'),
                }
            }
            for (key, child) in map.iter_mut() {
                if !crate::openapi::DATA_KEYS.contains(&key.as_str()) {
                    outside |= rewrite(child);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                outside |= rewrite(item);
            }
        }
        _ => {}
    }
    outside
}

#[cfg(test)]
mod tests {
    use super::slug;

    #[test]
    fn ids_read_as_ids() {
        assert_eq!(slug("submitApplication"), "SUBMIT-APPLICATION");
        assert_eq!(
            slug("POST /applications/{id}/cancel"),
            "POST-APPLICATIONS-ID-CANCEL"
        );
    }
}
