//! The built-in reference e-service (`--target reference`): what an agency must build for the
//! CSG proposal, in-process on loopback, so the whole job runs without an agency system. It is
//! also the example to read, and its fault switches show what each part of the suite catches.

mod callbacks;
mod fault;
mod rules;
mod service;

use std::net::TcpListener;
use std::sync::Arc;

pub use fault::Fault;

use crate::serve::{Limits, Log, Server};

/// The running reference e-service.
pub struct Reference {
    server: Server,
}

impl Reference {
    /// Starts on a free loopback port; `portal_url` is its `PORTAL_URL`. Must be called within a
    /// tokio runtime.
    pub fn start(fault: Option<Fault>, portal_url: &str, log: Log) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        // TP-4.6: a body over 10 MiB is refused from its head, unless that clause is broken.
        let max_body_bytes = if fault == Some(Fault::NoSizeLimit) {
            4 * service::MAX_BODY
        } else {
            service::MAX_BODY
        };
        let limits = Limits {
            max_body_bytes,
            ..Limits::default()
        };
        let service = Arc::new(service::Service::new(fault, portal_url));
        let server = Server::start(listener, service, limits, log)?;
        Ok(Self { server })
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }
}
