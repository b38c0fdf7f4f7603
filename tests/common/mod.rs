//! Fixtures for end-to-end tests: a real broker on a free loopback port, the
//! real binary in line mode, and a raw MQTT client to publish and watch.
//!
//! Every wait here is bounded and every process started is stopped on drop,
//! so a failing test reports what it saw instead of hanging.

// Each test crate includes this module and uses a different part of it.
#![allow(dead_code)]

pub mod tmux;

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rumqttc::{Client, Event, MqttOptions, Packet, QoS};
use serde_json::Value;

/// How long any single wait may take before the test fails. Generous: it
/// only bounds waiting, it is never what a test asserts.
pub const WAIT: Duration = Duration::from_secs(20);

/// Set to `1` (as CI does) to make a missing `mosquitto` a failure instead of a skip.
pub const REQUIRE_MOSQUITTO: &str = "KOMUNIKATOR_REQUIRE_MOSQUITTO";

/// The brokers the end-to-end tests run against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrokerKind {
    /// The `mosquitto` binary, as most users run it.
    Mosquitto,
    /// The broker inside komunikator (`--serve`), run alone as `komunikator-broker`.
    #[cfg(feature = "serve")]
    Embedded,
}

impl BrokerKind {
    #[cfg(feature = "serve")]
    pub const ALL: &'static [BrokerKind] = &[BrokerKind::Mosquitto, BrokerKind::Embedded];
    #[cfg(not(feature = "serve"))]
    pub const ALL: &'static [BrokerKind] = &[BrokerKind::Mosquitto];

    pub fn label(self) -> &'static str {
        match self {
            BrokerKind::Mosquitto => "mosquitto",
            #[cfg(feature = "serve")]
            BrokerKind::Embedded => "the embedded broker",
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
    for &kind in BrokerKind::ALL {
        match Broker::start(kind) {
            Some(mut broker) => {
                eprintln!("{test}: against {}", kind.label());
                body(&mut broker);
            }
            None => notice(&format!("{test}: SKIPPED against {}", kind.label())),
        }
    }
}

/// Writes past the test harness's output capture, so a skip is seen even
/// when the test passes.
pub fn notice(text: &str) {
    let _ = writeln!(std::io::stderr(), "NOTICE: {text}");
}

/// A broker process on 127.0.0.1 and a free port; killed on drop.
pub struct Broker {
    pub kind: BrokerKind,
    pub port: u16,
    process: Child,
    /// Program and arguments that started it, to start it again (same port).
    launch: Vec<std::ffi::OsString>,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Broker {
    /// Starts a broker of this kind; `None` when it cannot run here and
    /// that is allowed (a notice says so).
    pub fn start(kind: BrokerKind) -> Option<Broker> {
        match kind {
            BrokerKind::Mosquitto => Self::start_mosquitto(),
            #[cfg(feature = "serve")]
            BrokerKind::Embedded => Some(Self::start_embedded()),
        }
    }

    #[cfg(feature = "serve")]
    fn start_embedded() -> Broker {
        let mut last_log = String::new();
        for _ in 0..5 {
            let dir = tempfile::tempdir().expect("a temporary directory");
            let port = free_port();
            let log = dir.path().join("broker.log");
            let program = env!("CARGO_BIN_EXE_komunikator-broker");
            let args = [
                "--bind".to_owned(),
                "127.0.0.1".to_owned(),
                "-p".to_owned(),
                port.to_string(),
            ];
            let process = Command::new(program)
                .args(&args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).expect("create the broker log"))
                .spawn()
                .expect("start komunikator-broker");
            let mut broker = Broker {
                kind: BrokerKind::Embedded,
                port,
                process,
                launch: std::iter::once(program.to_owned())
                    .chain(args)
                    .map(Into::into)
                    .collect(),
                log,
                _dir: dir,
            };
            if broker.wait_until_listening() {
                return broker;
            }
            last_log = broker.log_text();
        }
        panic!("komunikator-broker did not start on a free port; it said:\n{last_log}");
    }

    fn start_mosquitto() -> Option<Broker> {
        let Some(binary) = find_program("mosquitto") else {
            if std::env::var(REQUIRE_MOSQUITTO).is_ok_and(|v| v == "1") {
                panic!("mosquitto is not installed, and {REQUIRE_MOSQUITTO}=1 requires it");
            }
            notice(&format!(
                "mosquitto is not installed: skipping the tests against it (set {REQUIRE_MOSQUITTO}=1 to fail instead)"
            ));
            return None;
        };
        // Another process may take the port between our probe and mosquitto's
        // bind; then mosquitto exits and we try another port.
        let mut last_log = String::new();
        for _ in 0..5 {
            let dir = tempfile::tempdir().expect("a temporary directory");
            let port = free_port();
            let log = dir.path().join("mosquitto.log");
            let config = dir.path().join("mosquitto.conf");
            // `user root`: mosquitto started as root otherwise drops to the
            // `mosquitto` user, who cannot write the log in our temporary directory.
            // `max_queued_messages 0`: mosquitto 2 drops messages, QoS 0 too, for a
            // subscriber more than 1000 behind; a test flood on shared cores would
            // lose some at the broker. Packet sizes keep mosquitto's defaults (no
            // `message_size_limit`/`max_packet_size`: up to MQTT's 256 MiB), so
            // oversize test payloads reach the client and test its limits.
            std::fs::write(
                &config,
                format!(
                    "listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n\
                     max_queued_messages 0\n\
                     user root\nlog_dest file {}\nlog_type all\nlog_timestamp_format %H:%M:%S\n",
                    log.display()
                ),
            )
            .expect("write the mosquitto config");
            let process = Command::new(&binary)
                .arg("-c")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start mosquitto");
            let mut broker = Broker {
                kind: BrokerKind::Mosquitto,
                port,
                process,
                launch: vec![binary.clone().into(), "-c".into(), config.into()],
                log,
                _dir: dir,
            };
            if broker.wait_until_listening() {
                return Some(broker);
            }
            last_log = broker.log_text();
        }
        panic!("mosquitto did not start on a free port; its last log:\n{last_log}");
    }

    /// True once the port accepts connections; false if the broker exited.
    fn wait_until_listening(&mut self) -> bool {
        let deadline = Instant::now() + WAIT;
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.process.try_wait() {
                return false;
            }
            if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "{} did not accept connections on port {} within {WAIT:?}",
            self.kind.label(),
            self.port
        );
    }

    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// What the broker logged so far (for failure reports).
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
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

/// A loopback port nothing listens on right now (the OS picks it; never 1883,
/// where a developer's own broker may run).
pub fn free_port() -> u16 {
    loop {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind a free port");
        let port = listener.local_addr().expect("local address").port();
        if port != 1883 {
            return port;
        }
    }
}

/// Finds a program on PATH, or in the sbin directories where Debian puts mosquitto.
pub fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/local/sbin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Lines from one output stream of a child, read on their own thread.
pub struct Lines {
    label: String,
    rx: Receiver<String>,
    seen: Vec<String>,
    closed: bool,
}

impl Lines {
    /// Reads `stream` line by line on a thread of its own (so the writer never blocks on it).
    pub fn spawn(label: String, stream: impl Read + Send + 'static) -> Lines {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Lines {
            label,
            rx,
            seen: Vec::new(),
            closed: false,
        }
    }

    /// Takes in what has arrived, waiting at most until `deadline` for more.
    /// Returns false once the stream has ended.
    fn pull(&mut self, deadline: Instant) -> bool {
        if self.closed {
            return false;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match self.rx.recv_timeout(left) {
            Ok(line) => {
                self.seen.push(line);
                while let Ok(line) = self.rx.try_recv() {
                    self.seen.push(line);
                }
                true
            }
            Err(RecvTimeoutError::Timeout) => true,
            Err(RecvTimeoutError::Disconnected) => {
                self.closed = true;
                false
            }
        }
    }

    /// The first line so far (from the start) that matches; waits for it up to `timeout`.
    pub fn wait_for(&mut self, what: &str, timeout: Duration, pred: impl Fn(&str) -> bool) -> String {
        match self.try_wait_for(timeout, pred) {
            Some(line) => line,
            None => panic!(
                "{}: no line {what} within {timeout:?}; it printed:\n{}",
                self.label,
                self.seen.join("\n")
            ),
        }
    }

    pub fn try_wait_for(&mut self, timeout: Duration, pred: impl Fn(&str) -> bool) -> Option<String> {
        let deadline = Instant::now() + timeout;
        let mut checked = 0;
        loop {
            if let Some(line) = self.seen[checked..].iter().find(|l| pred(l)) {
                return Some(line.clone());
            }
            checked = self.seen.len();
            if Instant::now() >= deadline || !self.pull(deadline) {
                return None;
            }
        }
    }

    /// Waits until `n` lines so far (from the start) match; for events that repeat.
    pub fn wait_for_count(&mut self, what: &str, n: usize, timeout: Duration, pred: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + timeout;
        loop {
            let found = self.seen.iter().filter(|l| pred(l)).count();
            if found >= n {
                return;
            }
            if Instant::now() >= deadline || !self.pull(deadline) {
                panic!(
                    "{}: {found} of {n} lines {what} within {timeout:?}; it printed:\n{}",
                    self.label,
                    self.seen.join("\n")
                );
            }
        }
    }

    /// Everything until the stream ends (bounded by `timeout`).
    pub fn read_to_end(&mut self, timeout: Duration) -> Vec<String> {
        let deadline = Instant::now() + timeout;
        while self.pull(deadline) {
            if Instant::now() >= deadline {
                panic!("{}: output did not end within {timeout:?}", self.label);
            }
        }
        self.seen.clone()
    }

    pub fn seen(&mut self) -> &[String] {
        while let Ok(line) = self.rx.try_recv() {
            self.seen.push(line);
        }
        &self.seen
    }
}

/// The real `komunikator` binary, in line mode, with piped standard streams.
pub struct Komunikator {
    pub name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    pub stdout: Lines,
    pub stderr: Lines,
}

/// How a finished process ended and everything it printed.
#[derive(Debug)]
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: Vec<String>,
    pub stderr: Vec<String>,
}

pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_komunikator")
}

/// Keeps the user's own config file, environment and log file out of a
/// test run: the client under test sees defaults and the flags it is given.
pub fn isolate(command: &mut Command) {
    for (name, _) in std::env::vars() {
        if name.starts_with("KOMUNIKATOR_") && name != REQUIRE_MOSQUITTO {
            command.env_remove(name);
        }
    }
    let scratch = std::env::temp_dir().join(format!("komunikator-test-home-{}", std::process::id()));
    command
        .env("XDG_CONFIG_HOME", scratch.join("config"))
        .env("XDG_STATE_HOME", scratch.join("state"))
        .env("XDG_CACHE_HOME", scratch.join("cache"));
}

impl Komunikator {
    /// `komunikator --no-tui -s 127.0.0.1 -p PORT EXTRA... NAME`; not yet connected.
    pub fn spawn(broker: &Broker, name: &str, extra: &[&str]) -> Komunikator {
        Self::spawn_via(broker.port, name, extra)
    }

    /// Line mode on 127.0.0.1:`port` (a proxy, say) instead of a broker's own port.
    pub fn spawn_via(port: u16, name: &str, extra: &[&str]) -> Komunikator {
        let port = port.to_string();
        let mut args = vec!["--no-tui", "-s", "127.0.0.1", "-p", &port];
        args.extend(extra);
        args.push(name);
        Self::spawn_args(name, &args)
    }

    /// The binary with exactly these arguments.
    pub fn spawn_args(label: &str, args: &[&str]) -> Komunikator {
        Self::spawn_custom(label, args, |_| {})
    }

    /// [`Komunikator::spawn_args`], with the command adjusted by `customize` before it starts.
    pub fn spawn_custom(label: &str, args: &[&str], customize: impl FnOnce(&mut Command)) -> Komunikator {
        let mut child = spawn_piped(args, customize);
        let stdout = Lines::spawn(format!("{label} stdout"), child.stdout.take().expect("piped stdout"));
        let stderr = Lines::spawn(format!("{label} stderr"), child.stderr.take().expect("piped stderr"));
        Komunikator {
            name: label.to_owned(),
            stdin: child.stdin.take(),
            child,
            stdout,
            stderr,
        }
    }

    /// Starts a client and waits until its subscriptions are acknowledged.
    pub fn join(broker: &Broker, name: &str, extra: &[&str]) -> Komunikator {
        let mut client = Self::spawn(broker, name, extra);
        client.wait_ready();
        client
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Waits for the "connected to ..." notice, printed once subscriptions are acknowledged.
    pub fn wait_ready(&mut self) {
        self.stderr.wait_for("saying it is connected", WAIT, |l| {
            l.starts_with("komunikator: connected to ")
        });
    }

    pub fn send_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin is still open");
        writeln!(stdin, "{line}")
            .and_then(|()| stdin.flush())
            .unwrap_or_else(|e| panic!("{}: cannot write to stdin: {e}", self.name));
    }

    /// Ends standard input: a clean quit.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Hands standard input over, e.g. to a thread that writes a lot into it;
    /// dropping it is the end of input.
    pub fn take_stdin(&mut self) -> ChildStdin {
        self.stdin.take().expect("stdin is still open")
    }

    /// How the process ended, if it has; never waits.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().expect("try_wait")
    }

    /// SIGKILL: no goodbye, the broker has to publish the will.
    pub fn kill_hard(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reap after SIGKILL");
    }

    pub fn signal(&self, signal: libc::c_int) {
        // SAFETY: kill(2) on our own child's pid; it has not been reaped, so the pid is still ours.
        let rc = unsafe { libc::kill(self.pid(), signal) };
        assert_eq!(rc, 0, "kill({}, {signal})", self.pid());
    }

    /// Waits for the process to exit by itself, then collects all its output.
    pub fn finish(mut self, timeout: Duration) -> Finished {
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "{} did not exit within {timeout:?}; stdout:\n{}\nstderr:\n{}",
                    self.name,
                    self.stdout.seen().join("\n"),
                    self.stderr.seen().join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        Finished {
            status,
            stdout: self.stdout.read_to_end(WAIT),
            stderr: self.stderr.read_to_end(WAIT),
        }
    }

    /// Closes stdin and waits for a clean exit (status 0).
    pub fn quit(mut self) -> Finished {
        self.close_stdin();
        let name = self.name.clone();
        let done = self.finish(WAIT);
        assert!(
            done.status.success(),
            "{name} exited with {:?} after end of input; stderr:\n{}",
            done.status,
            done.stderr.join("\n")
        );
        done
    }
}

impl Drop for Komunikator {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The binary, isolated from the user's settings, with these arguments and
/// all three standard streams piped (and not read: that is up to the caller).
pub fn spawn_piped(args: &[&str], customize: impl FnOnce(&mut Command)) -> Child {
    let mut command = Command::new(binary());
    isolate(&mut command);
    customize(&mut command);
    command
        .args(args)
        .env("TZ", "UTC")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start komunikator")
}

/// Runs the binary with these arguments and no broker, stdin left open (so
/// it does not quit for lack of input), until it exits.
pub fn run_to_exit(args: &[&str]) -> Finished {
    Komunikator::spawn_args("komunikator", args).finish(WAIT)
}

/// What a raw MQTT connection saw.
#[derive(Debug, Clone)]
pub struct Received {
    pub topic: String,
    pub payload: Vec<u8>,
    pub retain: bool,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.payload)
            .unwrap_or_else(|e| panic!("payload on {} is not JSON ({e}): {:?}", self.topic, self.text()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.payload).into_owned()
    }
}

enum ProbeEvent {
    ConnAck,
    SubAck,
    PubAck,
    Message(Received),
    Gone(String),
}

/// A plain MQTT client (not komunikator) for publishing raw payloads and
/// watching topics, as `mosquitto_pub`/`mosquitto_sub` would.
pub struct Probe {
    client: Client,
    rx: Receiver<ProbeEvent>,
    messages: VecDeque<Received>,
    gone: Option<String>,
}

impl Probe {
    pub fn connect(broker: &Broker, id: &str) -> Probe {
        let mut options = MqttOptions::new(id, "127.0.0.1", broker.port);
        options.set_keep_alive(Duration::from_secs(10));
        let (client, mut connection) = Client::new(options, 64);
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for event in connection.iter() {
                let event = match event {
                    Ok(Event::Incoming(Packet::ConnAck(_))) => ProbeEvent::ConnAck,
                    Ok(Event::Incoming(Packet::SubAck(_))) => ProbeEvent::SubAck,
                    Ok(Event::Incoming(Packet::PubAck(_))) => ProbeEvent::PubAck,
                    Ok(Event::Incoming(Packet::Publish(p))) => ProbeEvent::Message(Received {
                        topic: p.topic,
                        payload: p.payload.to_vec(),
                        retain: p.retain,
                    }),
                    Ok(_) => continue,
                    Err(e) => {
                        let _ = tx.send(ProbeEvent::Gone(e.to_string()));
                        break;
                    }
                };
                if tx.send(event).is_err() {
                    break;
                }
            }
        });
        let mut probe = Probe {
            client,
            rx,
            messages: VecDeque::new(),
            gone: None,
        };
        probe.expect(id, "connected", |e| matches!(e, ProbeEvent::ConnAck));
        probe
    }

    fn expect(&mut self, what: &str, wanted: &str, is: impl Fn(&ProbeEvent) -> bool) {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(ProbeEvent::Message(m)) => self.messages.push_back(m),
                Ok(ProbeEvent::Gone(why)) => panic!("probe {what}: connection ended before {wanted}: {why}"),
                Ok(event) if is(&event) => return,
                Ok(_) => {}
                Err(_) => panic!("probe {what}: not {wanted} within {WAIT:?}"),
            }
        }
    }

    /// Subscribes and waits for the broker's acknowledgement.
    pub fn subscribe(&mut self, filter: &str) {
        self.client
            .subscribe(filter, QoS::AtLeastOnce)
            .expect("queue SUBSCRIBE");
        self.expect(filter, "subscribed", |e| matches!(e, ProbeEvent::SubAck));
    }

    /// Publishes at QoS 1 and waits for the broker's acknowledgement.
    pub fn publish(&mut self, topic: &str, payload: impl Into<Vec<u8>>, retain: bool) {
        self.client
            .publish(topic, QoS::AtLeastOnce, retain, payload.into())
            .expect("queue PUBLISH");
        self.expect(topic, "acknowledged", |e| matches!(e, ProbeEvent::PubAck));
    }

    /// The next message received, waiting up to `timeout`.
    pub fn next_message(&mut self, timeout: Duration) -> Option<Received> {
        if let Some(m) = self.messages.pop_front() {
            return Some(m);
        }
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(ProbeEvent::Message(m)) => return Some(m),
                Ok(ProbeEvent::Gone(why)) => {
                    self.gone = Some(why);
                    return None;
                }
                Ok(_) => {}
                Err(_) => return None,
            }
        }
    }

    /// Waits for the next message that matches; the ones before it are dropped.
    pub fn wait_message(&mut self, what: &str, pred: impl Fn(&Received) -> bool) -> Received {
        let deadline = Instant::now() + WAIT;
        let mut skipped = Vec::new();
        while let Some(m) = self.next_message(deadline.saturating_duration_since(Instant::now())) {
            if pred(&m) {
                return m;
            }
            skipped.push(m.text());
        }
        panic!(
            "probe: no message {what} within {WAIT:?} (connection: {:?}); other messages:\n{}",
            self.gone,
            skipped.join("\n")
        );
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        // Ends the connection thread; it also ends when the broker goes away.
        let _ = self.client.try_disconnect();
    }
}

/// A presence payload (PROTOCOL.md), as a watcher reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presence {
    pub user: String,
    pub status: String,
    pub session: String,
    pub ts: DateTime<Utc>,
}

impl Presence {
    pub fn parse(m: &Received) -> Presence {
        let v = m.json();
        let field = |name: &str| {
            v[name]
                .as_str()
                .unwrap_or_else(|| panic!("presence without string {name:?}: {v}"))
                .to_owned()
        };
        Presence {
            user: field("user"),
            status: field("status"),
            session: field("session"),
            ts: DateTime::parse_from_rfc3339(&field("ts"))
                .unwrap_or_else(|e| panic!("presence ts is not RFC 3339 ({e}): {v}"))
                .with_timezone(&Utc),
        }
    }
}

/// A chat payload as the protocol defines it, for publishing by hand.
pub fn chat_payload(user: &str, text: &str) -> String {
    serde_json::json!({
        "v": 1,
        "id": format!("{:026}", fastrand::u64(..)),
        "user": user,
        "text": text,
        "ts": Utc::now().to_rfc3339(),
    })
    .to_string()
}

/// True when `line` is a chat line `HH:MM:SS #room <user> text`.
pub fn is_chat_line(line: &str, room: &str, user: &str, text: &str) -> bool {
    line.as_bytes().get(2) == Some(&b':') && line.get(8..) == Some(format!(" #{room} <{user}> {text}").as_str())
}

/// True when `line` is an action line `HH:MM:SS #room * user text`.
pub fn is_action_line(line: &str, room: &str, user: &str, text: &str) -> bool {
    line.as_bytes().get(2) == Some(&b':') && line.get(8..) == Some(format!(" #{room} * {user} {text}").as_str())
}

// ---------------------------------------------------------------------------
// Faults and measurements: stop, restart and pause a broker, a TCP proxy that
// can refuse or swallow traffic, a fast raw publisher, and /proc readings.

impl Broker {
    /// Kills the broker (as a crash would); `restart` brings it back on the same port.
    pub fn stop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }

    /// Starts the broker again with the same configuration and port.
    pub fn restart(&mut self) {
        self.stop();
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
            self.wait_until_listening(),
            "{} did not come back on port {}; its log:\n{}",
            self.kind.label(),
            self.port,
            self.log_text()
        );
    }

    /// SIGSTOP: the broker keeps its sockets open but answers nothing (a half-open link).
    pub fn pause(&self) {
        self.send_signal(libc::SIGSTOP);
    }

    /// SIGCONT after [`Broker::pause`].
    pub fn resume(&self) {
        self.send_signal(libc::SIGCONT);
    }

    pub fn pid(&self) -> i32 {
        self.process.id() as i32
    }

    fn send_signal(&self, signal: libc::c_int) {
        // SAFETY: kill(2) on our own child, which is not reaped while `self` lives.
        let rc = unsafe { libc::kill(self.pid(), signal) };
        assert_eq!(rc, 0, "kill({}, {signal})", self.pid());
    }
}

/// What a [`Proxy`] does with traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyMode {
    /// Passes bytes both ways.
    Forward,
    /// Closes new and existing connections at once (the client sees a refusal).
    Refuse,
    /// Keeps sockets open but delivers nothing either way: a half-open link.
    /// A connection that saw this never forwards again (its stream is torn).
    Blackhole,
}

/// A TCP proxy on a free loopback port in front of a broker; stopped on drop.
pub struct Proxy {
    pub port: u16,
    mode: std::sync::Arc<std::sync::Mutex<ProxyMode>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    listener: Option<std::thread::JoinHandle<()>>,
}

impl Proxy {
    pub fn start(upstream_port: u16, mode: ProxyMode) -> Proxy {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::{Arc, Mutex};
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind the proxy");
        listener.set_nonblocking(true).expect("non-blocking listener");
        let port = listener.local_addr().expect("proxy address").port();
        let mode = Arc::new(Mutex::new(mode));
        let stop = Arc::new(AtomicBool::new(false));
        let (mode2, stop2) = (mode.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !stop2.load(Ordering::SeqCst) {
                let client = match listener.accept() {
                    Ok((client, _)) => client,
                    Err(_) => {
                        std::thread::sleep(Duration::from_millis(10));
                        continue;
                    }
                };
                let now = *mode2.lock().unwrap();
                let upstream = match now {
                    ProxyMode::Refuse => continue,
                    ProxyMode::Blackhole => None,
                    ProxyMode::Forward => match TcpStream::connect((Ipv4Addr::LOCALHOST, upstream_port)) {
                        Ok(s) => Some(s),
                        Err(_) => continue,
                    },
                };
                let _ = client.set_nonblocking(false);
                let dead = Arc::new(AtomicBool::new(now == ProxyMode::Blackhole));
                let up_write = upstream.as_ref().and_then(|u| u.try_clone().ok());
                let client_write = client.try_clone().ok();
                let (m, s, d) = (mode2.clone(), stop2.clone(), dead.clone());
                std::thread::spawn(move || pump(client, up_write, m, s, d));
                if let Some(upstream) = upstream {
                    let (m, s) = (mode2.clone(), stop2.clone());
                    std::thread::spawn(move || pump(upstream, client_write, m, s, dead));
                }
            }
        });
        Proxy {
            port,
            mode,
            stop,
            listener: Some(thread),
        }
    }

    pub fn set_mode(&self, mode: ProxyMode) {
        *self.mode.lock().unwrap() = mode;
    }
}

/// Copies `from` to `to` until either closes, following the proxy's mode.
fn pump(
    mut from: TcpStream,
    mut to: Option<TcpStream>,
    mode: std::sync::Arc<std::sync::Mutex<ProxyMode>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    dead: std::sync::Arc<std::sync::atomic::AtomicBool>,
) {
    use std::sync::atomic::Ordering;
    let _ = from.set_read_timeout(Some(Duration::from_millis(50)));
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let now = *mode.lock().unwrap();
        if stop.load(Ordering::SeqCst) || now == ProxyMode::Refuse {
            break;
        }
        if now == ProxyMode::Blackhole {
            dead.store(true, Ordering::SeqCst);
        }
        match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                // The mode may have changed while waiting for these bytes.
                if *mode.lock().unwrap() == ProxyMode::Blackhole {
                    dead.store(true, Ordering::SeqCst);
                }
                if dead.load(Ordering::SeqCst) {
                    continue;
                }
                if let Some(to) = to.as_mut() {
                    if to.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            }
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(_) => break,
        }
    }
    // A dead link tells neither side that the other closed: only our own
    // handles go away, and the socket stays open while the other side's pump
    // still holds it.
    if dead.load(Ordering::SeqCst) && !stop.load(Ordering::SeqCst) && *mode.lock().unwrap() != ProxyMode::Refuse {
        return;
    }
    let _ = from.shutdown(std::net::Shutdown::Both);
    if let Some(to) = to {
        let _ = to.shutdown(std::net::Shutdown::Both);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(thread) = self.listener.take() {
            let _ = thread.join();
        }
    }
}

/// A bare MQTT 3.1.1 connection writing QoS 0 publishes as fast as the
/// socket takes them; for floods and payloads larger than a client allows.
pub struct RawPublisher {
    stream: TcpStream,
}

fn remaining_length(mut n: usize, out: &mut Vec<u8>) {
    loop {
        let mut byte = (n % 128) as u8;
        n /= 128;
        if n > 0 {
            byte |= 0x80;
        }
        out.push(byte);
        if n == 0 {
            return;
        }
    }
}

fn mqtt_str(s: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(&(s.len() as u16).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

impl RawPublisher {
    pub fn connect(broker: &Broker, client_id: &str) -> RawPublisher {
        let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, broker.port)).expect("connect the raw publisher");
        stream.set_read_timeout(Some(WAIT)).expect("read timeout");
        let mut body = Vec::new();
        mqtt_str("MQTT", &mut body);
        body.extend_from_slice(&[4, 0x02, 0, 60]);
        mqtt_str(client_id, &mut body);
        let mut packet = vec![0x10];
        remaining_length(body.len(), &mut packet);
        packet.extend_from_slice(&body);
        stream.write_all(&packet).expect("send CONNECT");
        let mut connack = [0u8; 4];
        stream.read_exact(&mut connack).expect("read CONNACK");
        assert_eq!(connack, [0x20, 2, 0, 0], "the broker refused the raw publisher");
        RawPublisher { stream }
    }

    /// The bytes of one QoS 0 PUBLISH.
    pub fn packet(topic: &str, payload: &[u8], retain: bool) -> Vec<u8> {
        let mut packet = Vec::with_capacity(payload.len() + topic.len() + 8);
        packet.push(0x30 | u8::from(retain));
        remaining_length(2 + topic.len() + payload.len(), &mut packet);
        mqtt_str(topic, &mut packet);
        packet.extend_from_slice(payload);
        packet
    }

    pub fn publish(&mut self, topic: &str, payload: &[u8], retain: bool) {
        let mut header = vec![0x30 | u8::from(retain)];
        remaining_length(2 + topic.len() + payload.len(), &mut header);
        mqtt_str(topic, &mut header);
        self.stream.write_all(&header).expect("write PUBLISH header");
        self.stream.write_all(payload).expect("write PUBLISH payload");
    }

    /// Many publishes, written in large blocks.
    pub fn publish_all(&mut self, packets: impl IntoIterator<Item = Vec<u8>>) {
        let mut block = Vec::with_capacity(1 << 20);
        for packet in packets {
            block.extend_from_slice(&packet);
            if block.len() >= 1 << 20 {
                self.stream.write_all(&block).expect("write publishes");
                block.clear();
            }
        }
        self.stream.write_all(&block).expect("write publishes");
    }

    /// DISCONNECT, then waits for the broker to close: everything sent before
    /// has been taken in by the broker.
    pub fn finish(mut self) {
        self.stream.write_all(&[0xe0, 0]).expect("send DISCONNECT");
        let mut rest = Vec::new();
        let _ = self.stream.read_to_end(&mut rest);
    }
}

/// CPU time (user + system) the process has used so far.
pub fn cpu_time(pid: i32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("read /proc/PID/stat");
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let fields: Vec<&str> = stat[stat.rfind(')').expect("stat format") + 2..].split(' ').collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // SAFETY: sysconf has no preconditions.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as u64;
    Duration::from_millis(ticks * 1000 / per_second)
}

/// A `/proc/PID/status` field in KiB, e.g. `VmRSS` or `VmHWM` (peak resident).
pub fn memory_kib(pid: i32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc/PID/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches(" kB").parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
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
