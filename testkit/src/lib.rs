//! Fixtures for komunikator's end-to-end tests and benches: real brokers on
//! free loopback ports, the real binary in line mode or in tmux, a raw MQTT
//! client and encoder, a TCP proxy that injects faults, and /proc readings.
//!
//! Every wait here is bounded and every process started is stopped on drop,
//! so a failing test reports what it saw instead of hanging.

use std::io::Write;
use std::time::Duration;

mod acl;
mod binaries;
mod broker;
mod chat;
mod client;
mod lines;
mod mosquitto;
pub mod mqtt;
pub mod observe;
mod ports;
mod probe;
pub mod procfs;
mod programs;
mod proxy;
mod rabbitmq;
pub mod records;
pub mod report;
pub mod tls;
pub mod tmux;

pub use acl::Access;
pub use binaries::{client_binary, use_binaries, Binaries};
pub use broker::{carries_oversize, with_each_broker, with_each_broker_mut, Broker, BrokerKind};
pub use chat::{chat_payload, is_action_line, is_chat_line};
pub use client::{
    data_home_with_new_keys, fresh_data_home, isolate, run_to_exit, spawn_piped, Finished, Komunikator, TEST_MQTT,
};
pub use lines::Lines;
pub use mosquitto::MosquittoLog;
pub use mqtt::RawPublisher;
pub use ports::{free_port, on_a_free_port, wait_until_listening};
pub use probe::{Presence, Probe, Received};
pub use procfs::{cpu_time, detach_from_terminal, memory_kib};
pub use programs::{find_program, mosquitto_tool};
pub use proxy::{Proxy, ProxyMode};
/// Signals for [`Komunikator::signal`] and [`procfs::send_signal`].
pub use rustix::process::Signal;

/// How long any single wait may take before the test fails. Generous: it
/// only bounds waiting, it is never what a test asserts.
pub const WAIT: Duration = Duration::from_secs(20);

/// Set to `1` (as CI does) to make a missing `mosquitto` (or tmux) a failure instead of a skip.
pub const REQUIRE_MOSQUITTO: &str = "KOMUNIKATOR_REQUIRE_MOSQUITTO";

/// True when the environment asks for missing tools to fail the test.
pub fn tools_required() -> bool {
    std::env::var(REQUIRE_MOSQUITTO).is_ok_and(|v| v == "1")
}

/// Set to `1` to make a missing RabbitMQ (`/usr/lib/rabbitmq/bin/rabbitmq-server`)
/// a failure instead of a skip.
pub const REQUIRE_RABBITMQ: &str = "KOMUNIKATOR_REQUIRE_RABBITMQ";

/// True when the environment asks for a missing RabbitMQ to fail the test.
pub fn rabbitmq_required() -> bool {
    std::env::var(REQUIRE_RABBITMQ).is_ok_and(|v| v == "1")
}

/// Writes past the test harness's output capture, so a skip is seen even
/// when the test passes.
pub fn notice(text: &str) {
    let _ = writeln!(std::io::stderr(), "NOTICE: {text}");
}
