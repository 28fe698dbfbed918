//! The variables a case sees: suite defaults, `--var` overrides, case `vars` and captures.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use serde_json::Value;

/// Variable values by name, and which of them are secret (masked in every output).
#[derive(Debug, Default)]
pub struct Vars {
    values: BTreeMap<String, Value>,
    secrets: BTreeSet<String>,
    /// Secret values no variable holds: credentials sent or received.
    other_secrets: BTreeSet<String>,
    /// Values an expression computed from a secret (its base64, a part of it): secret too.
    /// Rendering sees the variables read-only, hence the lock.
    derived: Mutex<BTreeSet<String>>,
    /// Environment variables whose values may be shown (`public_env`); a value computed from
    /// any other is secret.
    public_env: BTreeSet<String>,
}

/// Derived secrets kept per case: beyond this, the values an expression computes from a
/// secret anew for each request (a signature per body) are no longer remembered.
const MAX_DERIVED: usize = 4096;

impl Clone for Vars {
    fn clone(&self) -> Self {
        Self {
            values: self.values.clone(),
            secrets: self.secrets.clone(),
            other_secrets: self.other_secrets.clone(),
            derived: Mutex::new(self.derived()),
            public_env: self.public_env.clone(),
        }
    }
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

    pub fn set_public_env(&mut self, names: impl IntoIterator<Item = String>) {
        self.public_env.extend(names);
    }

    pub fn is_public_env(&self, name: &str) -> bool {
        self.public_env.contains(name)
    }

    /// Keeps the values `other` (a copy of these variables) computed from secrets.
    pub fn keep_derived(&self, other: &Vars) {
        for value in other.derived() {
            self.derive_secret(value);
        }
    }

    /// Records a value computed from a secret.
    pub fn derive_secret(&self, value: String) {
        let mut derived = self.derived.lock().unwrap_or_else(|e| e.into_inner());
        // A short one (a length, a flag) cannot be masked without destroying the text around.
        if derived.len() < MAX_DERIVED && value.chars().count() >= crate::redact::MIN_SECRET_LEN {
            derived.insert(value);
        }
    }

    fn derived(&self) -> BTreeSet<String> {
        self.derived
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The values to mask wherever they appear in output.
    pub fn secret_values(&self) -> Vec<String> {
        self.secrets
            .iter()
            .filter_map(|name| self.values.get(name))
            .map(value_text)
            .chain(self.other_secrets.iter().cloned())
            .chain(self.derived())
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
