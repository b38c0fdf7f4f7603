//! komunikator's local message store.
//!
//! A client keeps the chat it has seen in a [`Store`] (SQLite, one file per
//! user) so that a restart shows the rooms as they were, scrolling up pages
//! through older messages, and `/search` finds words in all of it. Writes go
//! through a [`Writer`] so that the UI never waits for the disk. A history
//! keeper keeps raw payloads in an [`Archive`] instead, to serve them back.
//!
//! Times are `i64` milliseconds since the Unix epoch (UTC), as on the wire.

mod archive;
mod error;
mod file;
mod fold;
mod search;
mod store;
mod writer;

pub use archive::Archive;
pub use error::Error;
pub use store::Store;
pub use writer::{Writer, QUEUE, QUEUE_BYTES};

/// One chat message as stored by a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// `general` for a chat room, `@bob` for a direct conversation.
    pub room: String,
    /// The message id, unique per room (the caller makes one up when the wire had none).
    pub id: String,
    /// None: the sender is unknown.
    pub user: Option<String>,
    pub text: String,
    /// A `/me` action.
    pub action: bool,
    /// The time shown, ms since the Unix epoch, UTC.
    pub ts_ms: i64,
    /// Sent by this user from this machine.
    pub own: bool,
    /// A warning shown with the message (a forged or unverified sender, a lookalike name); `None` for most.
    pub mark: Option<String>,
    /// It came end-to-end encrypted (a direct message).
    pub sealed: bool,
}

/// How much history is kept; `None` is no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Retention {
    pub max_age_days: Option<u32>,
    /// Bound on the pages in use (the file's size less its free pages).
    pub max_bytes: Option<u64>,
}

#[cfg(test)]
mod tests {
    /// The client keeps the writer in its state, maybe behind an `Arc`, and
    /// may hand a store to a thread of its own.
    #[test]
    fn the_writer_is_shared_and_the_stores_move() {
        fn shared<T: Send + Sync>() {}
        fn moves<T: Send>() {}
        shared::<super::Writer>();
        moves::<super::Store>();
        moves::<super::Archive>();
        shared::<super::Error>();
    }
}
