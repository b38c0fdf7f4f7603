//! komunikator: a terminal chat client over MQTT.
//!
//! - [`protocol`], [`app`], [`settings`]: the pure core (the wire contract,
//!   the client as a state machine, its settings), the crate
//!   `komunikator-core`, re-exported here under the same names.
//! - [`ui`]: drawing the state, pure.
//! - [`config`]: where settings come from (flags, environment, config file), pure but for `load`.
//! - edges: [`net`] (the MQTT session, over [`tls`] when asked), [`line`] and
//!   [`tui`] (front ends), [`output`] (stdout, stderr and the screen written
//!   on threads of their own), [`deadline`] (timers for the state's
//!   deadlines), [`logging`] (to a file), and `serve` (`--serve`: a broker
//!   inside the process, feature `serve`). Their failures are typed errors
//!   (`net::ConnectionFailure`, `tls::TlsSetupError`, `serve::HostError`)
//!   whose `Display` is the one-line message the user reads.

pub use komunikator_core::{app, protocol, settings, theme};

pub mod cli;
pub mod config;
pub mod deadline;
pub mod history_store;
pub mod identity;
pub mod keeper;
pub mod keys;
pub mod line;
pub mod logging;
pub mod net;
pub mod output;
#[cfg(feature = "serve")]
pub mod serve;
pub mod tasks;
pub mod tls;
pub mod tui;
pub mod ui;
