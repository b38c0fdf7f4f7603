//! komunikator's pure core: everything the client decides, nothing it does.
//!
//! - [`protocol`]: the wire contract (names, topics, payloads), pure.
//! - [`app`]: the client as a state machine, `update(event) -> effects`.
//! - [`settings`]: the resolved settings the state machine runs with.
//!
//! This crate cannot reach a terminal, a socket, the file system or the
//! system clock: it does not depend on anything that could (see its
//! Cargo.toml). The time, the time zone and the randomness it needs come in
//! as values, so the same events always give the same effects. What std
//! itself could reach (files, the environment, threads, `SystemTime::now`,
//! randomly keyed hash maps) is refused by `clippy.toml` beside Cargo.toml.

// Printing is an effect the edges carry out.
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod app;
pub mod protocol;
pub mod settings;
pub mod theme;
