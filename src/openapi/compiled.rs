//! The document's schemas compiled: one JSON Schema registry of every file as answers are
//! judged by them and one as requests are, and one validator per schema an answer is judged
//! by, built once when the suite is read. Schemas several operations name (`$ref` to one
//! component) are compiled once and shared.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::json;

use super::operations::SchemaAt;
use super::resolve::Resolver;
use super::{ApiFile, Operation, file_uri, fragment};
use crate::diagnostic::Diagnostic;

/// The most schemas compiled for one document (each operation × status × media type).
const MAX_VALIDATORS: usize = 5_000;

type Registry = jsonschema::Registry<'static>;

pub struct Compiled {
    registry: Registry,
    request_registry: Registry,
    validators: HashMap<SchemaAt, Arc<jsonschema::Validator>>,
}

impl std::fmt::Debug for Compiled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Compiled({} validators)", self.validators.len())
    }
}

impl Compiled {
    /// The validator of a response's schema.
    pub fn validator(&self, at: &SchemaAt) -> Option<&jsonschema::Validator> {
        self.validators.get(at).map(Arc::as_ref)
    }

    /// A validator of a request schema, as requests are judged (`generate` judges each body
    /// it makes with it).
    pub fn request_validator(
        &self,
        files: &[ApiFile],
        file: usize,
        pointer: &str,
    ) -> Result<jsonschema::Validator, String> {
        build(&self.request_registry, files, file, pointer)
    }
}

fn registry(files: &[ApiFile]) -> Result<Registry, Vec<Diagnostic>> {
    let resources: Vec<(String, serde_json::Value)> = files
        .iter()
        .map(|f| (file_uri(&f.name), f.value.clone()))
        .collect();
    jsonschema::Registry::new()
        .draft(jsonschema::Draft::Draft202012)
        .extend(resources)
        .and_then(|b| b.prepare())
        .map_err(|e| {
            vec![Diagnostic::nowhere(format!(
                "{}: {e}",
                files[0].path.display()
            ))]
        })
}

fn build(
    registry: &Registry,
    files: &[ApiFile],
    file: usize,
    pointer: &str,
) -> Result<jsonschema::Validator, String> {
    let uri = format!("{}#{}", file_uri(&files[file].name), fragment(pointer));
    crate::check::schema::with_formats(jsonschema::options())
        .with_registry(registry)
        .build(&json!({ "$ref": uri }))
        .map_err(|e| e.to_string())
}

/// Where a schema that does not compile is wrong: the keyword the JSON Schema meta-schema
/// refuses, in the file it is written in (`"type": 12` in a schema file beside the document).
/// None when the meta-schema finds nothing (a pattern that is not a regular expression): the
/// schema the operation names is the place then.
fn broken(view: &[ApiFile], target: &SchemaAt) -> Option<SchemaAt> {
    let node = view[target.file].value.pointer(&target.pointer)?;
    let refused = jsonschema::meta::validate(node).err()?;
    Some(SchemaAt {
        file: target.file,
        pointer: format!("{}{}", target.pointer, refused.instance_path()),
    })
}

/// Compiles every response schema of every operation (and checks every request schema
/// compiles); each problem names the operation and where the schema is, once.
pub fn compile(
    files: &[ApiFile],
    request_files: &[ApiFile],
    operations: &[Operation],
) -> Result<Compiled, Vec<Diagnostic>> {
    let mut compiled = Compiled {
        registry: registry(files)?,
        request_registry: registry(request_files)?,
        validators: HashMap::new(),
    };
    let resolver = Resolver { files };
    let mut by_target: HashMap<SchemaAt, Arc<jsonschema::Validator>> = HashMap::new();
    let mut problems = Vec::new();
    // A broken `$ref` chain or schema several operations name is one problem, said once.
    let mut said = std::collections::HashSet::new();
    let mut broken_targets = std::collections::HashSet::new();
    for op in operations {
        let requests = op.request.iter().map(|m| (true, m));
        let responses = op
            .responses
            .iter()
            .flat_map(|r| r.content.iter().map(|m| (false, m)));
        for (request, at) in requests
            .chain(responses)
            .filter_map(|(request, m)| m.schema.as_ref().map(|at| (request, at)))
        {
            let target = match resolver.deref(at.file, &at.pointer) {
                Ok((file, pointer, _)) => SchemaAt { file, pointer },
                Err(e) => {
                    if said.insert(e.clone()) {
                        problems.push(super::load::at_pointer(
                            &files[at.file].path,
                            &at.pointer,
                            e,
                        ));
                    }
                    continue;
                }
            };
            if by_target.len() >= MAX_VALIDATORS {
                problems.push(Diagnostic::nowhere(format!(
                    "{}: more than {MAX_VALIDATORS} schemas in the operations: more than cpc compiles",
                    files[0].path.display()
                )));
                return Err(problems);
            }
            let built = match by_target.get(&target) {
                Some(v) => Ok(v.clone()),
                None => {
                    let registry = match request {
                        true => &compiled.request_registry,
                        false => &compiled.registry,
                    };
                    build(registry, files, target.file, &target.pointer).map(Arc::new)
                }
            };
            match built {
                Ok(v) if !request => {
                    by_target.insert(target, v.clone());
                    compiled.validators.insert(at.clone(), v);
                }
                Ok(_) => {}
                Err(e) if broken_targets.insert(target.clone()) => {
                    let view = if request { request_files } else { files };
                    // At the keyword when the meta-schema finds it; else where the operation
                    // names the schema, once for an error several schemas share (a `$ref` to
                    // one broken component).
                    let place = match broken(view, &target) {
                        Some(place) => Some(place),
                        None => said.insert(e.clone()).then(|| at.clone()),
                    };
                    if let Some(place) = place {
                        problems.push(super::load::at_pointer(
                            &files[place.file].path,
                            &place.pointer,
                            format!("{}: the schema does not compile: {e}", op.key()),
                        ));
                    }
                }
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
