//! The wire contract (docs/protocol.md): names, topics, payloads, and making
//! untrusted text safe to show. Pure: no I/O, and no randomness or clock of
//! its own (callers pass them in).

pub mod display;
pub mod history;
pub mod ids;
pub mod json;
pub mod names;
pub mod payload;
pub mod sanitize;
pub mod sealed;
pub mod signature;
pub mod special_bytes;
pub mod timestamp;
pub mod topics;

pub use names::{confusable, skeleton, validate_room, validate_username, NameError};
pub use payload::{ChatIn, Form, Kind, PresenceIn, Reason, Status};
pub use topics::{TopicRef, Topics};
