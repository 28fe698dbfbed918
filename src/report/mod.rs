//! Rendering results for people and machines: console lines, JUnit XML, the files of a run.

pub mod console;
pub mod document;
pub mod escape;
pub mod exchange;
pub mod files;
pub mod generated;
pub mod junit;
mod junit_extras;
pub mod render;
pub mod stream;
pub mod table;
pub mod thai_date;
