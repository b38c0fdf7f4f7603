//! mosquitto with logins and an access control list: a password file made
//! with `mosquitto_passwd` and an ACL file, in a temporary directory that
//! lives as long as the [`Access`].

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::{mosquitto_tool, Broker, MosquittoLog};

/// Logins (name and password) and an ACL for mosquitto, as files.
pub struct Access {
    dir: tempfile::TempDir,
}

impl Access {
    /// Writes the password file for `logins` and the ACL file `acl` (in
    /// mosquitto's `acl_file` syntax: lines before the first `user` apply to
    /// anonymous clients). `None` when `mosquitto_passwd` is not installed
    /// and that is allowed.
    pub fn new(logins: &[(&str, &str)], acl: &str) -> Option<Access> {
        let passwd = mosquitto_tool("mosquitto_passwd")?;
        let dir = tempfile::tempdir().expect("a temporary directory");
        let access = Access { dir };
        for (n, (login, password)) in logins.iter().enumerate() {
            // -c creates the file: only for the first login.
            let create: &[&str] = if n == 0 { &["-c"] } else { &[] };
            let output = Command::new(&passwd)
                .arg("-b")
                .args(create)
                .arg(access.passwords())
                .args([login, password])
                .stdin(Stdio::null())
                .output()
                .expect("run mosquitto_passwd");
            assert!(
                output.status.success(),
                "mosquitto_passwd for {login} failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
            std::fs::write(access.password_file(login), format!("{password}\n")).expect("write a password file");
        }
        std::fs::write(access.acl(), acl).expect("write the ACL file");
        Some(access)
    }

    /// mosquitto's configuration lines that use these files.
    pub fn config(&self) -> String {
        format!(
            "password_file {}\nacl_file {}\n",
            self.passwords().display(),
            self.acl().display()
        )
    }

    /// A file holding `login`'s password alone, for `--password-file`.
    pub fn password_file(&self, login: &str) -> PathBuf {
        self.path().join(format!("{login}.password"))
    }

    fn passwords(&self) -> PathBuf {
        self.path().join("passwords")
    }

    fn acl(&self) -> PathBuf {
        self.path().join("acl")
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Broker {
    /// mosquitto, logging everything, that checks these logins and this ACL
    /// (anonymous clients are still let in, under the ACL's anonymous rules).
    /// `None` when it is not installed and that is allowed.
    ///
    /// With mosquitto's default queue limit (`max_queued_messages 1000`)
    /// instead of the tests' unlimited one: mosquitto 2.0.11 with
    /// `max_queued_messages 0` drops an MQTT 5 client right after answering
    /// an ACL-denied QoS 1 publish with PUBACK 0x87 ("Bad socket read/write
    /// on client …: Unknown error"), whatever the client does.
    pub fn start_mosquitto_guarded(access: &Access) -> Option<Broker> {
        let config = format!("max_queued_messages 1000\n{}", access.config());
        Broker::start_mosquitto_with(MosquittoLog::All, &config)
    }
}
