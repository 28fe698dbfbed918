//! Checks: pure functions from a response (and the case's variables) to outcomes.

mod bytes;
mod capture;
mod expect;
pub mod jsonpath;
pub mod link;
mod outcome;
mod predicate;
mod response;
pub mod schema;
pub mod signature;
mod status;
pub mod xml;

use std::path::Path;

pub use capture::{Source, take as capture};
pub use expect::{CheckContext, evaluate};
pub use outcome::{CheckResult, Outcome};
pub use predicate::{compact, json_equal, rendered};

/// True when every predicate holds for the nodes (an expected value that cannot be built
/// does not hold).
pub fn holds(
    predicate: &crate::suite::Predicate,
    nodes: &[&serde_json::Value],
    vars: &crate::vars::Vars,
) -> bool {
    predicate::evaluate(predicate, nodes, vars).is_ok_and(|unmet| unmet.is_empty())
}
pub use response::{Judged, Response};
pub use schema::{Schemas, compile as compile_schema};

use crate::diagnostic::Place;
use crate::suite::SchemaRef;

/// How a schema is known in a suite: its file name, or the place it is written inline.
pub fn schema_key(schema: &SchemaRef, file: &Path, at: &serde_saphyr::Location) -> String {
    match schema {
        SchemaRef::File(name) => name.clone(),
        SchemaRef::Inline(_) => format!("inline@{}", Place::of(file, at)),
    }
}
