//! HTTP to the target: the transport, connections of cpc's own, and TLS.

mod connection;
mod tls;
mod transport;

pub use connection::Connection;
pub use tls::TlsOptions;
pub use transport::{Outgoing, Transport, TransportError};
