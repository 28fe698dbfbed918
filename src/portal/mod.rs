//! The bundled mock portal (DESIGN §6): the portal side of the agency's calls, on wiremock-rs.

pub mod consumers;
pub mod journal;
pub mod link;
pub mod load;
pub mod mapping;
mod respond;
pub mod server;
mod template;
pub mod tokens;

pub use consumers::Consumer;
pub use link::PortalLink;
pub use load::MappingSet;
pub use server::{MockPortal, Override, PortalLimits, PortalSetup};
