//! A hardened mosquitto for tests: a TLS listener on a free loopback port,
//! certificates made fresh for each broker (rcgen), password file, optional
//! ACL and client certificates, anonymous clients refused. The broker is
//! killed when the `Broker` is dropped. And `Komunikator`, the real binary in
//! line mode, with its output read line by line.
//!
//! Without mosquitto the tests skip with a notice, unless
//! KOMUNIKATOR_REQUIRE_MOSQUITTO=1 makes that a failure.

#![allow(dead_code)] // each test file uses a different part

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
};
use tempfile::TempDir;

/// What the broker's certificate says.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ServerCert {
    /// For `localhost` and `127.0.0.1`.
    Good,
    /// For `localhost` only: connecting to 127.0.0.1 is a name mismatch.
    LocalhostOnly,
    /// Expired last year.
    Expired,
}

pub struct BrokerConfig {
    /// Logins (user, password).
    pub users: Vec<(&'static str, &'static str)>,
    /// The ACL file's text, if any (without one every login may do anything).
    pub acl: Option<&'static str>,
    /// Mutual TLS: clients must present a certificate signed by the CA.
    pub require_certificate: bool,
    pub server_cert: ServerCert,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        BrokerConfig {
            users: vec![("alice", "alice-pw"), ("bob", "bob-pw"), ("carol", "carol-pw")],
            acl: None,
            require_certificate: false,
            server_cert: ServerCert::Good,
        }
    }
}

/// The ACL the project ships: presence only under one's own login, direct
/// messages read only by their addressee.
pub const EXAMPLE_ACL: &str = include_str!("../../examples/mosquitto/acl");

pub struct Broker {
    pub port: u16,
    /// Holds the certificates, config, password file and the broker's log.
    pub dir: TempDir,
    /// The CA that signed the broker's and the client's certificates.
    pub ca: PathBuf,
    /// A CA that signed nothing here.
    pub other_ca: PathBuf,
    /// A client certificate signed by `ca`, and its key.
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
    child: Child,
}

fn mosquitto_binary(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/usr/local/sbin".into()])
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// `None` (after a notice) when mosquitto is not installed and not required.
pub fn start(config: BrokerConfig) -> Option<Broker> {
    let (Some(mosquitto), Some(passwd)) = (mosquitto_binary("mosquitto"), mosquitto_binary("mosquitto_passwd")) else {
        if std::env::var("KOMUNIKATOR_REQUIRE_MOSQUITTO").is_ok_and(|v| v == "1") {
            panic!("mosquitto and mosquitto_passwd are required (KOMUNIKATOR_REQUIRE_MOSQUITTO=1) but not found");
        }
        eprintln!("SKIPPED: mosquitto or mosquitto_passwd not found; install mosquitto to run this test");
        return None;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let path = |name: &str| dir.path().join(name);
    let pki = make_pki(dir.path(), config.server_cert);

    let passwords = path("passwd");
    for (i, (user, password)) in config.users.iter().enumerate() {
        let mut cmd = Command::new(&passwd);
        if i == 0 {
            cmd.arg("-c");
        }
        let status = cmd
            .arg("-b")
            .arg(&passwords)
            .arg(user)
            .arg(password)
            .stdout(Stdio::null())
            .status()
            .expect("mosquitto_passwd runs");
        assert!(status.success(), "mosquitto_passwd failed for {user}");
    }

    let port = free_port();
    let mut conf = format!(
        "listener {port} 127.0.0.1\n\
         cafile {ca}\ncertfile {cert}\nkeyfile {key}\n\
         require_certificate {require}\n\
         allow_anonymous false\n\
         password_file {passwords}\n\
         persistence false\n\
         log_dest stderr\nlog_type error\nlog_type warning\nlog_type notice\nlog_type information\n",
        ca = pki.ca.display(),
        cert = path("server.pem").display(),
        key = path("server.key").display(),
        require = config.require_certificate,
        passwords = passwords.display(),
    );
    if let Some(acl) = config.acl {
        std::fs::write(path("acl"), acl).expect("write the ACL");
        conf += &format!("acl_file {}\n", path("acl").display());
    }
    std::fs::write(path("mosquitto.conf"), conf).expect("write the config");
    // mosquitto started as root drops to the `mosquitto` user, who must read all this.
    readable_by_all(dir.path());

    let log = std::fs::File::create(path("mosquitto.log")).expect("log file");
    let child = Command::new(&mosquitto)
        .arg("-c")
        .arg(path("mosquitto.conf"))
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log file"))
        .stderr(log)
        .spawn()
        .expect("mosquitto starts");
    let mut broker = Broker {
        port,
        dir,
        ca: pki.ca,
        other_ca: pki.other_ca,
        client_cert: pki.client_cert,
        client_key: pki.client_key,
        child,
    };
    broker.wait_until_listening();
    Some(broker)
}

impl Broker {
    fn wait_until_listening(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("mosquitto exited at start ({status}):\n{}", self.log());
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "mosquitto did not listen on port {} within 10 s:\n{}",
            self.port,
            self.log()
        );
    }

    /// What mosquitto said so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("mosquitto.log")).unwrap_or_default()
    }

    /// mosquitto_pub/mosquitto_sub arguments to reach this broker as `user`.
    /// `--insecure` only skips their host name check (they want a DNS name);
    /// the chain is still checked against our CA.
    pub fn tool_args(&self, user: &str, password: &str) -> Vec<String> {
        let ca = self.ca.display().to_string();
        let port = self.port.to_string();
        [
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "--cafile",
            &ca,
            "--insecure",
            "-u",
            user,
            "-P",
            password,
        ]
        .map(String::from)
        .to_vec()
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        if port != 1883 {
            return port;
        }
    }
}

fn readable_by_all(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).expect("chmod dir");
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(0o644)).expect("chmod file");
    }
}

struct Pki {
    ca: PathBuf,
    other_ca: PathBuf,
    client_cert: PathBuf,
    client_key: PathBuf,
}

fn make_ca(name: &str) -> (String, Issuer<'static, KeyPair>) {
    let key = KeyPair::generate().expect("CA key");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let cert = params.self_signed(&key).expect("CA certificate");
    (cert.pem(), Issuer::new(params, key))
}

/// Writes a certificate signed by `issuer` and its key as NAME.pem and NAME.key.
fn make_leaf(dir: &Path, name: &str, params: CertificateParams, issuer: &Issuer<'_, KeyPair>) {
    let key = KeyPair::generate().expect("leaf key");
    let cert = params.signed_by(&key, issuer).expect("leaf certificate");
    std::fs::write(dir.join(format!("{name}.pem")), cert.pem()).expect("write certificate");
    std::fs::write(dir.join(format!("{name}.key")), key.serialize_pem()).expect("write key");
}

fn make_pki(dir: &Path, server_cert: ServerCert) -> Pki {
    let (ca_pem, ca) = make_ca("komunikator test CA");
    let (other_pem, _) = make_ca("some other CA");
    std::fs::write(dir.join("ca.pem"), ca_pem).expect("write CA");
    std::fs::write(dir.join("other-ca.pem"), other_pem).expect("write other CA");

    let names: Vec<String> = match server_cert {
        ServerCert::LocalhostOnly => vec!["localhost".into()],
        _ => vec!["localhost".into(), "127.0.0.1".into()],
    };
    let mut server = CertificateParams::new(names).expect("server params");
    server.distinguished_name.push(DnType::CommonName, "localhost");
    server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    if server_cert == ServerCert::Expired {
        server.not_before = rcgen::date_time_ymd(2020, 1, 1);
        server.not_after = rcgen::date_time_ymd(2021, 1, 1);
    }
    make_leaf(dir, "server", server, &ca);

    let mut client = CertificateParams::new(Vec::<String>::new()).expect("client params");
    client.distinguished_name.push(DnType::CommonName, "alice");
    client.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    make_leaf(dir, "client", client, &ca);

    Pki {
        ca: dir.join("ca.pem"),
        other_ca: dir.join("other-ca.pem"),
        client_cert: dir.join("client.pem"),
        client_key: dir.join("client.key"),
    }
}

/// The komunikator binary in line mode, isolated from the person's own
/// config file and KOMUNIKATOR_* variables.
pub struct Komunikator {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Receiver<String>,
    stderr: Receiver<String>,
    /// Every line read so far, for failure messages and "never saw" checks.
    pub stdout_seen: Vec<String>,
    pub stderr_seen: Vec<String>,
    _home: TempDir,
}

fn read_lines(from: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(from).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

impl Komunikator {
    /// Runs `komunikator --no-tui ARGS` with these extra environment variables.
    pub fn spawn(args: &[&str], env: &[(&str, &str)]) -> Komunikator {
        let home = tempfile::tempdir().expect("tempdir");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_komunikator"));
        for (name, _) in std::env::vars() {
            if name.starts_with("KOMUNIKATOR_") {
                cmd.env_remove(name);
            }
        }
        cmd.env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("HOME", home.path())
            .arg("--no-tui")
            .arg("--log-file")
            .arg(home.path().join("komunikator.log"))
            .args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("komunikator starts");
        let stdin = child.stdin.take();
        let stdout = read_lines(child.stdout.take().expect("stdout"));
        let stderr = read_lines(child.stderr.take().expect("stderr"));
        Komunikator {
            child,
            stdin,
            stdout,
            stderr,
            stdout_seen: Vec::new(),
            stderr_seen: Vec::new(),
            _home: home,
        }
    }

    /// The first new stderr line containing `needle`; panics with all output after `within`.
    pub fn expect_stderr(&mut self, needle: &str, within: Duration) -> String {
        let found = wait_for(&self.stderr, &mut self.stderr_seen, needle, within);
        found.unwrap_or_else(|| {
            panic!(
                "no stderr line with {needle:?} within {within:?}\n{}",
                self.transcript()
            )
        })
    }

    pub fn expect_stdout(&mut self, needle: &str, within: Duration) -> String {
        let found = wait_for(&self.stdout, &mut self.stdout_seen, needle, within);
        found.unwrap_or_else(|| {
            panic!(
                "no stdout line with {needle:?} within {within:?}\n{}",
                self.transcript()
            )
        })
    }

    /// Waits for `komunikator: connected to ... as NAME`.
    pub fn expect_connected(&mut self, name: &str) -> String {
        self.expect_stderr(&format!("as {name}"), Duration::from_secs(10))
    }

    pub fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        writeln!(stdin, "{line}").expect("write to komunikator");
        stdin.flush().expect("flush");
    }

    /// Waits for the process to end by itself; kills it after `within`.
    pub fn expect_exit(&mut self, within: Duration) -> ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                self.drain();
                return status;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                self.drain();
                panic!("komunikator still ran after {within:?}\n{}", self.transcript());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// End of input: a clean quit.
    pub fn quit(mut self) -> ExitStatus {
        self.stdin.take();
        self.expect_exit(Duration::from_secs(5))
    }

    /// Collects what the reader threads still hold (after exit).
    fn drain(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(2);
        for (rx, seen) in [
            (&self.stdout, &mut self.stdout_seen),
            (&self.stderr, &mut self.stderr_seen),
        ] {
            while let Ok(line) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                seen.push(line);
            }
        }
    }

    pub fn transcript(&self) -> String {
        format!(
            "--- stdout:\n{}\n--- stderr:\n{}",
            self.stdout_seen.join("\n"),
            self.stderr_seen.join("\n")
        )
    }
}

impl Drop for Komunikator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_for(rx: &Receiver<String>, seen: &mut Vec<String>, needle: &str, within: Duration) -> Option<String> {
    let deadline = Instant::now() + within;
    loop {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => {
                seen.push(line.clone());
                if line.contains(needle) {
                    return Some(line);
                }
            }
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return None,
        }
    }
}

/// A `mosquitto_sub` printing `topic payload` lines, stopped on drop.
pub struct Watcher {
    child: Child,
    lines: Receiver<String>,
    pub seen: Vec<String>,
}

impl Watcher {
    pub fn start(broker: &Broker, user: &str, password: &str, topics: &[&str]) -> Watcher {
        let sub = mosquitto_binary("mosquitto_sub").expect("mosquitto_sub installed with mosquitto");
        let mut cmd = Command::new(sub);
        cmd.args(broker.tool_args(user, password)).arg("-v");
        for topic in topics {
            cmd.arg("-t").arg(topic);
        }
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("mosquitto_sub starts");
        let lines = read_lines(child.stdout.take().expect("stdout"));
        Watcher {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    pub fn expect(&mut self, needle: &str, within: Duration) -> String {
        wait_for(&self.lines, &mut self.seen, needle, within).unwrap_or_else(|| {
            panic!(
                "the watcher saw no {needle:?} within {within:?}; saw:\n{}",
                self.seen.join("\n")
            )
        })
    }

    /// Publishes probes until the watcher shows one: then it is subscribed.
    pub fn wait_subscribed(&mut self, broker: &Broker, user: &str, password: &str, topic: &str) {
        for attempt in 0..50 {
            let probe = format!("probe-{attempt}");
            publish(broker, user, password, topic, &probe, false);
            if wait_for(&self.lines, &mut self.seen, &probe, Duration::from_millis(200)).is_some() {
                return;
            }
        }
        panic!("the watcher never got a probe on {topic}");
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One `mosquitto_pub` at QoS 1 (it returns after the broker acknowledged).
pub fn publish(broker: &Broker, user: &str, password: &str, topic: &str, payload: &str, retain: bool) {
    let publisher = mosquitto_binary("mosquitto_pub").expect("mosquitto_pub installed with mosquitto");
    let mut cmd = Command::new(publisher);
    cmd.args(broker.tool_args(user, password))
        .args(["-q", "1", "-t", topic, "-m", payload]);
    if retain {
        cmd.arg("-r");
    }
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .expect("mosquitto_pub runs");
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("mosquitto_pub to {topic} as {user} hung");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "mosquitto_pub to {topic} as {user} failed");
}
