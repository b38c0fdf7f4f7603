//! Plain mosquitto for the tests and benches: anonymous, loopback only, no
//! persistence. (The hardened TLS broker is in [`crate::tls`].)

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::broker::{Broker, BrokerKind};
use crate::{mosquitto_tool, on_a_free_port, wait_until_listening, WAIT};

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
