//! The suite: model, loading with places, and static validation.

pub mod digest;
mod drift;
mod generated;
mod isolation;
mod json_patch;
mod load;
mod model;
mod ordered_map;
mod parallel;
mod shapes;
mod validate;

pub use isolation::runs_alone;
pub use json_patch::json_patch;
pub use load::{LoadError, load, parse_yaml};
pub use model::*;
pub use ordered_map::OrderedMap;
pub use validate::{Checked, MAX_WINDOW_MS, validate};

/// `suites/<id>` for a run's suite id, when the id is a plain name (it is read from files
/// anyone may edit: never a path).
pub fn dir_of_id(id: &str) -> Option<std::path::PathBuf> {
    let plain = !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b));
    plain.then(|| std::path::Path::new("suites").join(id))
}
