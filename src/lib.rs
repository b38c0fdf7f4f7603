//! komunikator: a terminal chat client over MQTT.
//!
//! - [`protocol`]: the wire contract, pure.
//! - [`app`]: the client as a state machine, pure.
//! - [`ui`]: drawing the state, pure.
//! - [`config`]: where settings come from (flags, environment, config file), pure but for `load`.
//! - edges: [`net`] (the MQTT session, over [`tls`] when asked), [`line`] and
//!   [`tui`] (front ends), [`output`] (stdout, stderr and the screen written
//!   on threads of their own), [`deadline`] (timers for the state's
//!   deadlines), [`logging`] (to a file), and `serve` (`--serve`: a broker
//!   inside the process, feature `serve`). Their failures are typed errors
//!   (`net::ConnectionFailure`, `tls::TlsSetupError`, `serve::HostError`)
//!   whose `Display` is the one-line message the user reads.

// No unsafe code in the product: the compiler refuses it.
#![forbid(unsafe_code)]

pub mod app;
pub mod cli;
pub mod config;
pub mod deadline;
pub mod line;
pub mod logging;
pub mod net;
pub mod output;
pub mod protocol;
#[cfg(feature = "serve")]
pub mod serve;
pub mod settings;
pub mod tls;
pub mod tui;
pub mod ui;
