//! The document's schemas compiled: one JSON Schema registry holding every file, and one
//! validator per schema an operation names, built once when the suite is checked.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::json;

use super::operations::SchemaAt;
use super::{ApiFile, Operation, file_uri, fragment};
use crate::diagnostic::Diagnostic;

/// The most schemas compiled for one document (each operation × status × media type).
const MAX_VALIDATORS: usize = 5_000;

pub struct Compiled {
    registry: jsonschema::Registry<'static>,
    validators: HashMap<SchemaAt, Arc<jsonschema::Validator>>,
}

impl std::fmt::Debug for Compiled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Compiled({} validators)", self.validators.len())
    }
}

impl Compiled {
    pub fn validator(&self, at: &SchemaAt) -> Option<&jsonschema::Validator> {
        self.validators.get(at).map(Arc::as_ref)
    }

    /// A validator for any schema node of the document (the generator judges each value it
    /// makes with the member's own schema).
    pub fn build(
        &self,
        files: &[ApiFile],
        file: usize,
        pointer: &str,
    ) -> Result<jsonschema::Validator, String> {
        let uri = format!("{}#{}", file_uri(&files[file].name), fragment(pointer));
        crate::check::schema::with_formats(jsonschema::options())
            .with_registry(&self.registry)
            .build(&json!({ "$ref": uri }))
            .map_err(|e| e.to_string())
    }
}

/// Compiles every request and response schema of every operation; each problem names the
/// operation and where the schema is.
pub fn compile(files: &[ApiFile], operations: &[Operation]) -> Result<Compiled, Vec<Diagnostic>> {
    let resources: Vec<(String, serde_json::Value)> = files
        .iter()
        .map(|f| (file_uri(&f.name), f.value.clone()))
        .collect();
    let registry = jsonschema::Registry::new()
        .draft(jsonschema::Draft::Draft202012)
        .extend(resources)
        .and_then(|b| b.prepare())
        .map_err(|e| {
            vec![Diagnostic::nowhere(format!(
                "{}: {e}",
                files[0].path.display()
            ))]
        })?;
    let mut compiled = Compiled {
        registry,
        validators: HashMap::new(),
    };
    let mut problems = Vec::new();
    // A broken schema several operations name is one problem, said where it is first met.
    let mut said = std::collections::HashSet::new();
    for op in operations {
        let schemas = op
            .request
            .iter()
            .chain(op.responses.iter().flat_map(|r| r.content.iter()))
            .filter_map(|m| m.schema.as_ref());
        for at in schemas {
            if compiled.validators.contains_key(at) {
                continue;
            }
            if compiled.validators.len() >= MAX_VALIDATORS {
                problems.push(Diagnostic::nowhere(format!(
                    "{}: more than {MAX_VALIDATORS} schemas in the operations: more than cpc compiles",
                    files[0].path.display()
                )));
                return Err(problems);
            }
            match compiled.build(files, at.file, &at.pointer) {
                Ok(v) => {
                    compiled.validators.insert(at.clone(), Arc::new(v));
                }
                Err(e) if said.insert(e.clone()) => problems.push(super::load::at_pointer(
                    &files[at.file].path,
                    &at.pointer,
                    format!("{}: the schema does not compile: {e}", op.key()),
                )),
                Err(_) => {}
            }
        }
    }
    if problems.is_empty() {
        Ok(compiled)
    } else {
        Err(problems)
    }
}
