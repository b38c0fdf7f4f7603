//! The wire contract (docs/protocol.md): names, topics, payloads, and making
//! untrusted text safe to show. Pure: no I/O.

pub mod json;
pub mod names;
pub mod payload;
pub mod sanitize;
pub mod scan;
pub mod topics;

pub use names::{validate_room, validate_username, NameError};
pub use payload::{ChatIn, Form, Kind, PresenceIn, Status};
pub use topics::{TopicRef, Topics};
