//! A hardened mosquitto for tests: a TLS listener on a free loopback port,
//! certificates made fresh for each broker (rcgen), password file, optional
//! ACL and client certificates, anonymous clients refused. The broker is
//! killed when the [`TlsBroker`] is dropped.
//!
//! Without mosquitto the tests skip with a notice, unless
//! KOMUNIKATOR_REQUIRE_MOSQUITTO=1 makes that a failure.

mod pki;
mod tools;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tempfile::TempDir;

use crate::{mosquitto_tool, on_a_free_port, wait_until_listening, Komunikator};
pub use pki::ServerCert;
pub use tools::{publish, Watcher};

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

pub struct TlsBroker {
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

/// `None` (after a notice) when mosquitto is not installed and not required.
pub fn start(config: BrokerConfig) -> Option<TlsBroker> {
    let mosquitto = mosquitto_tool("mosquitto")?;
    let passwd = mosquitto_tool("mosquitto_passwd")?;
    Some(on_a_free_port("mosquitto with TLS", |port| {
        launch(&mosquitto, &passwd, &config, port)
    }))
}

fn launch(mosquitto: &Path, passwd: &Path, config: &BrokerConfig, port: u16) -> Result<TlsBroker, String> {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = |name: &str| dir.path().join(name);
    let pki = pki::make(dir.path(), config.server_cert);
    let passwords = path("passwd");
    write_passwords(passwd, &passwords, &config.users);
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
    let child = Command::new(mosquitto)
        .arg("-c")
        .arg(path("mosquitto.conf"))
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log file"))
        .stderr(log)
        .spawn()
        .expect("mosquitto starts");
    let mut broker = TlsBroker {
        port,
        dir,
        ca: pki.ca,
        other_ca: pki.other_ca,
        client_cert: pki.client_cert,
        client_key: pki.client_key,
        child,
    };
    if wait_until_listening(&mut broker.child, port, Duration::from_secs(10)) {
        Ok(broker)
    } else {
        Err(broker.log())
    }
}

fn write_passwords(passwd: &Path, file: &Path, users: &[(&str, &str)]) {
    for (i, (user, password)) in users.iter().enumerate() {
        let mut cmd = Command::new(passwd);
        if i == 0 {
            cmd.arg("-c");
        }
        let status = cmd
            .arg("-b")
            .arg(file)
            .arg(user)
            .arg(password)
            .stdout(Stdio::null())
            .status()
            .expect("mosquitto_passwd runs");
        assert!(status.success(), "mosquitto_passwd failed for {user}");
    }
}

fn readable_by_all(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).expect("chmod dir");
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(0o644)).expect("chmod file");
    }
}

impl TlsBroker {
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

impl Drop for TlsBroker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `komunikator --no-tui ARGS` with these extra environment variables,
/// isolated from the person's own config file and KOMUNIKATOR_* variables.
pub fn spawn_client(args: &[&str], env: &[(&str, &str)]) -> Komunikator {
    let mut all = vec!["--no-tui"];
    all.extend(args);
    Komunikator::spawn_custom("komunikator", &all, |command| {
        command.envs(env.iter().copied());
    })
}
