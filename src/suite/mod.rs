//! The suite: model, loading with places, and static validation.

pub mod digest;
mod drift;
mod isolation;
mod load;
mod model;
mod ordered_map;
mod parallel;
mod shapes;
mod validate;

pub use isolation::runs_alone;
pub use load::{LoadError, load, parse_yaml};
pub use model::*;
pub use ordered_map::OrderedMap;
pub use validate::{Checked, MAX_WINDOW_MS, validate};
