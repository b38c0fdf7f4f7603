//! What can go wrong while reading the settings. Each error is rendered to
//! the one line the user sees here, and nowhere else; the program exits 2.

use std::io;
use std::path::PathBuf;

use super::Origin;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "passwords are not taken as arguments (they show in the process list): \
         use KOMUNIKATOR_PASSWORD, --password-file, or type it at the prompt"
    )]
    PasswordArgument,
    /// A variable's value breaks its rule.
    #[error("{variable}: {rule}")]
    Environment { variable: &'static str, rule: String },
    #[error(transparent)]
    File(#[from] FileError),
    #[error("cannot read the config file {}: {source}", path.display())]
    ReadFile { path: PathBuf, source: io::Error },
    #[error("{origin}: the server says port {url_port} but the port is set to {port}")]
    PortContradiction { origin: Origin, url_port: u16, port: u16 },
    #[error(
        "{origin}: the server URL says {} but TLS is set {}",
        if *url_tls { "mqtts:// (TLS)" } else { "mqtt:// (no TLS)" },
        if *tls { "on" } else { "off" }
    )]
    TlsContradiction { origin: Origin, url_tls: bool, tls: bool },
    #[error("{origin}: the servers must all use TLS or all not, and {server} differs from the first")]
    MixedTransports { origin: Origin, server: String },
    #[error("a client certificate (cert) needs its key too (key, --key)")]
    CertWithoutKey,
    #[error("a client key (key) needs its certificate too (cert, --cert)")]
    KeyWithoutCert,
    #[error("--ca-file, --cert and --key need TLS: add --tls or use an mqtts:// server")]
    TlsFilesWithoutTls,
    #[error(
        "missing USERNAME: give your name in the chat as the last argument (komunikator NAME), \
         in KOMUNIKATOR_USERNAME, or as `username` in the config file (see --help)"
    )]
    MissingUsername,
    #[error("cannot read the password file {}: {source}", path.display())]
    ReadPasswordFile { path: PathBuf, source: io::Error },
    #[error("the password file {} has an empty first line", path.display())]
    EmptyPasswordFile { path: PathBuf },
    #[error("cannot read the password: {0}")]
    PromptPassword(io::Error),
    #[error("--print-history: {0}")]
    BadHistoryRoom(String),
}

/// A config file that does not parse or breaks a rule: `FILE: line N, key K: what`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {}{}", path.display(), self.place(), message)]
pub struct FileError {
    pub path: PathBuf,
    /// 1-based; `None` when the parser could not say where.
    pub line: Option<usize>,
    /// Dotted, e.g. `colors.own`.
    pub key: Option<String>,
    pub message: String,
}

impl FileError {
    fn place(&self) -> String {
        match (&self.line, &self.key) {
            (None, _) => String::new(),
            (Some(line), None) => format!("line {line}: "),
            (Some(line), Some(key)) => format!("line {line}, key '{key}': "),
        }
    }
}

/// `value` checked by `check`; its error names the variable.
pub(super) fn checked<T>(
    variable: &'static str,
    value: Option<String>,
    check: impl Fn(&str) -> Result<T, String>,
) -> Result<Option<T>, ConfigError> {
    value
        .map(|v| check(&v).map_err(|rule| ConfigError::Environment { variable, rule }))
        .transpose()
}
