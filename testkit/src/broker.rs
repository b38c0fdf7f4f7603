//! A broker process on 127.0.0.1 for the end-to-end tests, and the faults
//! tests inflict on it: a crash, a restart on the same port, a pause.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use crate::binaries::broker_binary;
use crate::{notice, on_a_free_port, wait_until_listening, WAIT};

/// The brokers the end-to-end tests run against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrokerKind {
    /// The `mosquitto` binary, as most users run it.
    Mosquitto,
    /// The broker inside komunikator (`--serve`), run alone as `komunikator-broker`.
    Embedded,
    /// A private RabbitMQ node with its MQTT plugin. Not in
    /// [`BrokerKind::available`]: the tests that want it ask for it.
    RabbitMq,
}

impl BrokerKind {
    /// The kinds this build can run: the embedded broker only with `serve`.
    pub fn available() -> Vec<BrokerKind> {
        let mut kinds = vec![BrokerKind::Mosquitto];
        if broker_binary().is_some() {
            kinds.push(BrokerKind::Embedded);
        }
        kinds
    }

    pub fn label(self) -> &'static str {
        match self {
            BrokerKind::Mosquitto => "mosquitto",
            BrokerKind::Embedded => "the embedded broker",
            BrokerKind::RabbitMq => "RabbitMQ",
        }
    }
}

/// Runs `body` once against each kind of broker, each freshly started.
/// A broker that cannot run here is skipped with a notice on stderr (or
/// fails the test when the environment requires it).
pub fn with_each_broker(test: &str, body: impl Fn(&Broker)) {
    with_each_broker_mut(test, |broker| body(broker));
}

/// [`with_each_broker`] for tests that stop, restart or pause the broker.
pub fn with_each_broker_mut(test: &str, body: impl Fn(&mut Broker)) {
    for kind in BrokerKind::available() {
        match Broker::start(kind) {
            Some(mut broker) => {
                eprintln!("{test}: against {}", kind.label());
                body(&mut broker);
            }
            None => notice(&format!("{test}: SKIPPED against {}", kind.label())),
        }
    }
}

/// A broker process on 127.0.0.1 and a free port; killed on drop.
pub struct Broker {
    pub kind: BrokerKind,
    pub port: u16,
    pub(crate) process: Child,
    /// Program and arguments that started it, to start it again (same port).
    pub(crate) launch: Vec<OsString>,
    pub(crate) log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Broker {
    pub(crate) fn new(
        kind: BrokerKind,
        port: u16,
        process: Child,
        launch: Vec<OsString>,
        log: PathBuf,
        dir: tempfile::TempDir,
    ) -> Broker {
        Broker {
            kind,
            port,
            process,
            launch,
            log,
            _dir: dir,
        }
    }

    /// Starts a broker of this kind; `None` when it cannot run here and
    /// that is allowed (a notice says so).
    pub fn start(kind: BrokerKind) -> Option<Broker> {
        match kind {
            BrokerKind::Mosquitto => Self::start_mosquitto(),
            BrokerKind::Embedded => Some(on_a_free_port("komunikator-broker", start_embedded)),
            BrokerKind::RabbitMq => Self::start_rabbitmq(),
        }
    }

    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// What the broker logged so far (for failure reports).
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Kills the broker (as a crash would); `restart` brings it back on the same port.
    pub fn stop(&mut self) {
        if self.kind == BrokerKind::RabbitMq {
            // The whole node: the Erlang VM and the helpers it started.
            crate::rabbitmq::kill_tree(&mut self.process);
            return;
        }
        let _ = self.process.kill();
        let _ = self.process.wait();
    }

    /// Starts the broker again with the same configuration and port.
    pub fn restart(&mut self) {
        self.stop();
        if self.kind == BrokerKind::RabbitMq {
            crate::rabbitmq::restart(self);
            return;
        }
        let (program, args) = self.launch.split_first().expect("a launch command");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("open the broker log");
        self.process = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("restart the broker");
        assert!(
            wait_until_listening(&mut self.process, self.port, WAIT),
            "{} did not come back on port {}; its log:\n{}",
            self.kind.label(),
            self.port,
            self.log_text()
        );
    }

    /// SIGSTOP: the broker keeps its sockets open but answers nothing (a half-open link).
    pub fn pause(&self) {
        crate::procfs::send_signal(self.pid(), crate::Signal::STOP);
    }

    /// SIGCONT after [`Broker::pause`].
    pub fn resume(&self) {
        crate::procfs::send_signal(self.pid(), crate::Signal::CONT);
    }

    /// The broker's process (for RabbitMQ, its Erlang VM).
    pub fn pid(&self) -> i32 {
        if self.kind == BrokerKind::RabbitMq {
            return crate::rabbitmq::vm_pid(&self.process);
        }
        self.process.id() as i32
    }
}

fn start_embedded(port: u16) -> Result<Broker, String> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let log = dir.path().join("broker.log");
    let program = broker_binary().expect("komunikator-broker is built with the serve feature");
    // No history keeper: its answers would add history to what the tests
    // count; the keeper has tests of its own (tests/keeper.rs, tests/history).
    let args = [
        "--bind".to_owned(),
        "127.0.0.1".to_owned(),
        "-p".to_owned(),
        port.to_string(),
        "--no-keeper".to_owned(),
    ];
    let process = Command::new(program)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("create the broker log"))
        .spawn()
        .expect("start komunikator-broker");
    let launch = std::iter::once(program.to_owned())
        .chain(args)
        .map(Into::into)
        .collect();
    let mut broker = Broker::new(BrokerKind::Embedded, port, process, launch, log, dir);
    if wait_until_listening(&mut broker.process, port, WAIT) {
        Ok(broker)
    } else {
        Err(broker.log_text())
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.stop();
        if std::thread::panicking() {
            let log = self.log_text();
            let tail: Vec<&str> = log.lines().rev().take(60).collect();
            eprintln!(
                "--- last lines of the {} log (port {}) ---",
                self.kind.label(),
                self.port
            );
            for line in tail.iter().rev() {
                eprintln!("{line}");
            }
        }
    }
}

/// True when the broker carries packets larger than the client accepts
/// (16 MiB), so a test can send it one; otherwise a notice says the test is
/// skipped. The embedded broker refuses packets above 2 MiB itself.
pub fn carries_oversize(test: &str, broker: &Broker) -> bool {
    if broker.kind == BrokerKind::Mosquitto {
        return true;
    }
    notice(&format!(
        "{test}: SKIPPED against {}: it refuses packets above 2 MiB itself, so none larger reaches the client",
        broker.kind.label()
    ));
    false
}
