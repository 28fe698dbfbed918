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
        // An operationId of letters an id cannot hold (Thai) gives way to the method and path.
        let named = op.operation_id.as_deref().map(slug).unwrap_or_default();
        let base = match named.is_empty() {
            true => format!("API-{}", slug(&op.key())),
            false => format!("API-{named}"),
        };
        let id = unique(base, &mut ids, str::to_string);
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
        let (path, params) = path_template(&op.path);
        // Each path parameter a value the tester gives (or a capture of an earlier step).
        let vars: String = params
            .iter()
            .map(|name| {
                let marker = format!("{FILL_IN} ค่า {name} ที่ระบบมี (a {name} the target knows)");
                format!("      {name}: {}\n", q(&marker))
            })
            .collect();
        let vars = match vars.is_empty() {
            true => vars,
            false => format!("    vars:\n{vars}"),
        };
        text.push_str(&format!(
            "  - id: {}\n    title_th: {}\n    title_en: {}\n    requirements: [{}]\n    pending: true\n{vars}    steps:\n      - request:\n          method: {}\n          path: {}\n        expect:\n          status: {}\n",
            q(&id),
            q(&format!("ทดสอบ {}", op.key())),
            q(&op.summary.clone().unwrap_or_else(|| op.key())),
            q(&format!("{FILL_IN} ข้อที่ทดสอบ (the clause this case tests)")),
            q(&op.method),
            q(&path),
            success,
        ));
    }
    text
}

/// `base`, or `base-2`, `base-3` … whichever `taken` does not hold yet, as `key` reads it
/// (then it does).
fn unique(
    base: String,
    taken: &mut std::collections::HashSet<String>,
    key: impl Fn(&str) -> String,
) -> String {
    (1..)
        .map(|n| match n {
            1 => base.clone(),
            n => format!("{base}-{n}"),
        })
        .find(|name| taken.insert(key(name)))
        .unwrap_or(base)
}

/// An operation's path as a case's, each `{name}` a variable the case must give, and their
/// names in order (each once).
fn path_template(path: &str) -> (String, Vec<String>) {
    let mut names: Vec<String> = Vec::new();
    let mut out = String::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        out.push_str(&rest[..open]);
        let name: String = rest[open + 1..open + close]
            .chars()
            .map(|c| if c.is_alphanumeric() { c } else { '_' })
            .collect();
        out.push_str(&format!("{{{{ {name} }}}}"));
        if !names.contains(&name) {
            names.push(name);
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    (out, names)
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
    // Each schema with its references made local, and the component names it names.
    let mut defs = Map::new();
    let mut names: std::collections::HashMap<&str, (Vec<String>, bool)> = Default::default();
    for (name, schema) in schemas {
        let mut schema = schema.clone();
        let mut named = Vec::new();
        let outside = rewrite(&mut schema, &mut named);
        names.insert(name, (named, outside));
        defs.insert(name.clone(), schema);
    }
    let mut files = Vec::new();
    let mut left_out = Vec::new();
    let mut taken = std::collections::HashSet::new();
    for name in schemas.keys() {
        // The schemas it reaches, itself first.
        let mut reached = vec![name.clone()];
        let mut next = 0;
        while next < reached.len() {
            if let Some((named, _)) = names.get(reached[next].as_str()) {
                for n in named {
                    if !reached.contains(n) {
                        reached.push(n.clone());
                    }
                }
            }
            next += 1;
        }
        if reached
            .iter()
            .any(|n| names.get(n.as_str()).is_none_or(|(_, outside)| *outside))
        {
            left_out.push(format!("{name}: it names a schema in another file"));
            continue;
        }
        let own: Map<String, Value> = reached
            .iter()
            .filter_map(|n| defs.get(n).map(|s| (n.clone(), s.clone())))
            .collect();
        // A file name from the schema's name (Thai kept); two names that read the same get
        // `-2`, `-3` …
        let base: String = name
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || "-_.".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        // Case-insensitive: a file system may be.
        let file_name = unique(base, &mut taken, str::to_lowercase);
        let schema = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": name,
            "$ref": format!("#/$defs/{}", crate::openapi::escape(name)),
            "$defs": own,
        });
        let text = serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n";
        files.push((format!("schemas/{file_name}.json"), text));
    }
    (files, left_out)
}

/// `#/components/schemas/X` becomes `#/$defs/X` (`X` added to `named`); true when a `$ref`
/// leads elsewhere (another file, another part of the document).
fn rewrite(value: &mut Value, named: &mut Vec<String>) -> bool {
    let mut outside = false;
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get_mut("$ref") {
                match r.strip_prefix("#/components/schemas/") {
                    Some(rest) => {
                        let rest_decoded = crate::openapi::resolve::percent_decode(rest)
                            .unwrap_or_else(|_| rest.to_string());
                        let name = rest_decoded.replace("~1", "/").replace("~0", "~");
                        // The whole component, not a part of it.
                        outside |= name.contains('/');
                        named.push(name);
                        *r = format!("#/$defs/{rest}");
                    }
                    None => outside |= !r.starts_with("#/$defs/"),
                }
            }
            for (key, child) in map.iter_mut() {
                if !crate::openapi::DATA_KEYS.contains(&key.as_str()) {
                    outside |= rewrite(child, named);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                outside |= rewrite(item, named);
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
    fn path_parameters_become_variables() {
        let (path, names) = super::path_template("/applications/{application_id}/files/{file-no}");
        assert_eq!(
            path,
            "/applications/{{ application_id }}/files/{{ file_no }}"
        );
        assert_eq!(names, ["application_id", "file_no"]);
    }

    #[test]
    fn ids_read_as_ids() {
        assert_eq!(slug("submitApplication"), "SUBMIT-APPLICATION");
        assert_eq!(
            slug("POST /applications/{id}/cancel"),
            "POST-APPLICATIONS-ID-CANCEL"
        );
    }
}
