//! JSON Schema checks: draft from `$schema` (2020-12 when absent), `format` validated.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

/// Compiled schemas of a suite, by key (the file path under the suite, or the inline place).
#[derive(Clone, Default)]
pub struct Schemas {
    compiled: HashMap<String, Arc<jsonschema::Validator>>,
}

impl Schemas {
    pub fn insert(&mut self, key: String, validator: jsonschema::Validator) {
        self.compiled.insert(key, Arc::new(validator));
    }

    pub fn get(&self, key: &str) -> Option<&jsonschema::Validator> {
        self.compiled.get(key).map(Arc::as_ref)
    }
}

/// Compiles without touching the network: remote `$ref`s are not resolved.
pub fn compile(schema: &Value) -> Result<jsonschema::Validator, String> {
    jsonschema::options()
        .should_validate_formats(true)
        .build(schema)
        .map_err(|e| e.to_string())
}

/// The violations, as `/instance/path: message`, at most `limit` of them.
pub fn violations(
    validator: &jsonschema::Validator,
    instance: &Value,
    limit: usize,
) -> Vec<String> {
    validator
        .iter_errors(instance)
        .take(limit)
        .map(|e| {
            let at = e.instance_path().to_string();
            let at = if at.is_empty() { "/".to_string() } else { at };
            format!("{at}: {e}")
        })
        .collect()
}
