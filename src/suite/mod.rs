//! The suite: model, loading with places, and static validation.

mod digest;
mod load;
mod model;
mod ordered_map;
mod validate;

pub use load::{LoadError, load};
pub use model::*;
pub use ordered_map::OrderedMap;
pub use validate::{Checked, MAX_WINDOW_MS, validate};
