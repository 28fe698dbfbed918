//! Serving HTTP: the mock portal and the reference e-service share one robust server.

mod reply;
mod server;

pub use reply::{Answer, Reply};
pub use server::{Limits, Log, Server};
