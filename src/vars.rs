//! The variables a case sees: suite defaults, `--var` overrides, case `vars` and captures.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// Variable values by name, and which of them are secret (masked in every output).
#[derive(Clone, Debug, Default)]
pub struct Vars {
    values: BTreeMap<String, Value>,
    secrets: BTreeSet<String>,
    /// Secret values no variable holds: credentials sent or received.
    other_secrets: BTreeSet<String>,
}

impl Vars {
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.values.get(name)
    }

    pub fn set(&mut self, name: &str, value: Value, secret: bool) {
        if secret {
            self.secrets.insert(name.to_string());
        }
        self.values.insert(name.to_string(), value);
    }

    pub fn is_secret(&self, name: &str) -> bool {
        self.secrets.contains(name)
    }

    pub fn add_secret_values(&mut self, values: impl IntoIterator<Item = String>) {
        self.other_secrets.extend(values);
    }

    /// The values to mask wherever they appear in output.
    pub fn secret_values(&self) -> Vec<String> {
        self.secrets
            .iter()
            .filter_map(|name| self.values.get(name))
            .map(value_text)
            .chain(self.other_secrets.iter().cloned())
            .collect()
    }
}

/// A JSON value as it is interpolated into text: strings raw, everything else as JSON.
pub fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
