//! The built-in reference e-service (`--target reference`): what an agency must build for the
//! CSG proposal, in-process on loopback, so the whole job runs without an agency system. It is
//! also the example to read, and its fault switches show what each part of the suite catches.

mod callbacks;
mod fault;
mod rules;
mod service;

use std::net::TcpListener;

use wiremock::matchers::any;
use wiremock::{Mock, MockServer};

pub use fault::Fault;

/// The running reference e-service.
pub struct Reference {
    server: MockServer,
}

impl Reference {
    /// Starts on a free loopback port; `portal_url` is its `PORTAL_URL`.
    pub async fn start(fault: Option<Fault>, portal_url: &str) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let server = MockServer::builder()
            .listener(listener)
            .disable_request_recording()
            .start()
            .await;
        let service = service::Service::new(fault, portal_url);
        server
            .register(Mock::given(any()).respond_with(service))
            .await;
        Ok(Self { server })
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }
}
