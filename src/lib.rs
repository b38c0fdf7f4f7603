//! komunikator: a terminal chat client over MQTT.
//!
//! - [`protocol`]: the wire contract, pure.
//! - [`app`]: the client as a state machine, pure.
//! - [`ui`]: drawing the state, pure.
//! - edges: [`net`] (the MQTT session), [`line`] and [`tui`] (front ends).

pub mod app;
pub mod cli;
pub mod line;
pub mod net;
pub mod protocol;
pub mod settings;
pub mod tui;
pub mod ui;
