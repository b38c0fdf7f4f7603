//! Plain mosquitto for the tests and benches: anonymous, loopback only, no
//! persistence. (The hardened TLS broker is in [`crate::tls`].)

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::broker::{Broker, BrokerKind};
use crate::{free_port, mosquitto_tool, on_a_free_port, wait_until_listening, WAIT};

/// How many times a bridged pair is started on fresh ports before giving up.
const PAIR_ATTEMPTS: usize = 5;

/// What mosquitto writes to its log file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MosquittoLog {
    /// Everything, for failure reports.
    All,
    /// Nothing: a flood logged packet by packet would measure the log.
    Off,
}

/// The configuration file's text. `user root`: mosquitto started as root
/// otherwise drops to the `mosquitto` user, who cannot write the log in our
/// temporary directory (started as anyone else, it stays who it is).
/// `max_queued_messages 0`: mosquitto 2 drops messages, QoS 0 too, for a
/// subscriber more than 1000 behind; a test flood on shared cores would lose
/// some at the broker. Packet sizes keep mosquitto's defaults (no
/// `message_size_limit`/`max_packet_size`: up to MQTT's 256 MiB), so
/// oversize test payloads reach the client and test its limits.
fn config(port: u16, log_file: &Path, log: MosquittoLog, extra: &str) -> String {
    let logging = match log {
        MosquittoLog::All => format!(
            "log_dest file {}\nlog_type all\nlog_timestamp_format %H:%M:%S\n",
            log_file.display()
        ),
        MosquittoLog::Off => "log_dest none\n".to_owned(),
    };
    format!(
        "listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n\
         max_queued_messages 0\nuser root\n{logging}{extra}"
    )
}

impl Broker {
    /// mosquitto on a free port, logging everything; `None` when it is not
    /// installed and that is allowed.
    pub fn start_mosquitto() -> Option<Broker> {
        Self::start_mosquitto_with(MosquittoLog::All, "")
    }

    /// mosquitto with this logging and `extra` configuration lines.
    pub fn start_mosquitto_with(log: MosquittoLog, extra: &str) -> Option<Broker> {
        let binary = mosquitto_tool("mosquitto")?;
        Some(on_a_free_port("mosquitto", |port| launch(&binary, port, log, extra)))
    }

    /// Two mosquittos, logging everything; the second bridges all topics
    /// (`#`, both ways, QoS 1) to the first. With `looped` the first also
    /// bridges to the second: the classic misconfiguration where every
    /// message circulates between them for ever. Returns `(first, second)`
    /// once every bridge is connected and subscribed; `None` when mosquitto
    /// is not installed and that is allowed.
    pub fn start_mosquitto_bridged_pair(looped: bool) -> Option<(Broker, Broker)> {
        let binary = mosquitto_tool("mosquitto")?;
        let mut last = String::new();
        for _ in 0..PAIR_ATTEMPTS {
            let first_port = free_port();
            let second_port = std::iter::repeat_with(free_port)
                .find(|&p| p != first_port)
                .expect("a second free port");
            // The first bridges to a port nothing listens on yet: mosquitto
            // retries every second (`restart_timeout 1`).
            let first_extra = if looped {
                bridge(first_port, second_port)
            } else {
                String::new()
            };
            let first = match launch(&binary, first_port, MosquittoLog::All, &first_extra) {
                Ok(first) => first,
                Err(said) => {
                    last = said;
                    continue;
                }
            };
            let second_extra = bridge(second_port, first_port);
            let second = match launch(&binary, second_port, MosquittoLog::All, &second_extra) {
                Ok(second) => second,
                Err(said) => {
                    last = said;
                    continue;
                }
            };
            wait_bridged(&second, first_port);
            if looped {
                wait_bridged(&first, second_port);
            }
            return Some((first, second));
        }
        panic!("a bridged pair of mosquittos did not start in {PAIR_ATTEMPTS} tries; one said last:\n{last}");
    }
}

/// The client id a bridge from the broker on `from` uses on the broker on `to`.
fn bridge_client_id(from: u16, to: u16) -> String {
    format!("komunikator-testkit-bridge-{from}-to-{to}")
}

/// Configuration lines for a bridge from the broker on `from` to the one on
/// `to`: the README's example (`examples/bridge/bridge.conf`) with this
/// address and client id.
fn bridge(from: u16, to: u16) -> String {
    let example = include_str!("../../examples/bridge/bridge.conf");
    let replaced = example
        .replace("connection komunikator-first", &format!("connection to-{to}"))
        .replace("address first.example.org:1883", &format!("address 127.0.0.1:{to}"))
        .replace(
            "remote_clientid komunikator-bridge-second",
            &format!("remote_clientid {}", bridge_client_id(from, to)),
        );
    assert!(replaced.contains(&format!("127.0.0.1:{to}")) && replaced.contains(&bridge_client_id(from, to)));
    replaced
}

/// Waits until the bridge of `broker` to the broker on `to` is connected
/// and its subscription acknowledged (mosquitto logs the SUBACK); from
/// then on messages cross both ways. Panics with the log after [`WAIT`].
fn wait_bridged(broker: &Broker, to: u16) {
    let subscribed = format!("Received SUBACK from local.{}", bridge_client_id(broker.port, to));
    let deadline = Instant::now() + WAIT;
    while !broker.log_text().contains(&subscribed) {
        assert!(
            Instant::now() < deadline,
            "the bridge from mosquitto on port {} to port {to} did not connect within {WAIT:?}; its log:\n{}",
            broker.port,
            broker.log_text()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

fn launch(binary: &PathBuf, port: u16, log: MosquittoLog, extra: &str) -> Result<Broker, String> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let log_file = dir.path().join("mosquitto.log");
    let config_file = dir.path().join("mosquitto.conf");
    std::fs::write(&config_file, config(port, &log_file, log, extra)).expect("write the mosquitto config");
    let process = Command::new(binary)
        .arg("-c")
        .arg(&config_file)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start mosquitto");
    let launch = vec![binary.clone().into(), "-c".into(), config_file.into()];
    let mut broker = Broker::new(BrokerKind::Mosquitto, port, process, launch, log_file, dir);
    if wait_until_listening(&mut broker.process, port, WAIT) {
        Ok(broker)
    } else {
        Err(broker.log_text())
    }
}
