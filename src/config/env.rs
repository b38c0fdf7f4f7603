//! Settings from `KOMUNIKATOR_*` environment variables. An empty variable
//! counts as not set.

use std::path::PathBuf;

use super::parse::{parse_bool, parse_drain_timeout, parse_port, parse_prefix, parse_server, parse_username};
use super::{ConfigError, Layer};
use crate::settings::Secret;

/// Every variable read, with what it sets (for `--help` and the docs).
pub const VARIABLES: &[(&str, &str)] = &[
    ("KOMUNIKATOR_USERNAME", "your name in the chat"),
    ("KOMUNIKATOR_SERVER", "broker host, host:port or mqtt(s):// URL"),
    ("KOMUNIKATOR_PORT", "broker port"),
    ("KOMUNIKATOR_TLS", "true/false"),
    ("KOMUNIKATOR_CA_FILE", "PEM file of the CA to trust"),
    ("KOMUNIKATOR_CERT", "PEM client certificate (mutual TLS)"),
    ("KOMUNIKATOR_KEY", "PEM client key (mutual TLS)"),
    ("KOMUNIKATOR_USER", "broker login name"),
    ("KOMUNIKATOR_PASSWORD", "broker login password"),
    ("KOMUNIKATOR_PASSWORD_FILE", "file whose first line is the password"),
    ("KOMUNIKATOR_TOPIC_PREFIX", "prefix for every topic"),
    (
        "KOMUNIKATOR_DRAIN_TIMEOUT",
        "seconds quitting waits for unsent messages",
    ),
    ("KOMUNIKATOR_LOG_FILE", "where the log goes"),
    ("KOMUNIKATOR_CONFIG", "config file to read instead of the default"),
];

/// Builds the environment's layer from `get` (`std::env::var` in the program,
/// a map in tests).
pub fn layer(get: impl Fn(&str) -> Option<String>) -> Result<Layer, ConfigError> {
    let get = |name: &str| get(name).filter(|v| !v.is_empty());
    fn checked<T>(
        variable: &'static str,
        value: Option<String>,
        check: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Option<T>, ConfigError> {
        value
            .map(|v| check(&v).map_err(|rule| ConfigError::Environment { variable, rule }))
            .transpose()
    }
    Ok(Layer {
        username: checked("KOMUNIKATOR_USERNAME", get("KOMUNIKATOR_USERNAME"), parse_username)?,
        server: checked("KOMUNIKATOR_SERVER", get("KOMUNIKATOR_SERVER"), parse_server)?,
        port: checked("KOMUNIKATOR_PORT", get("KOMUNIKATOR_PORT"), parse_port)?,
        tls: checked("KOMUNIKATOR_TLS", get("KOMUNIKATOR_TLS"), parse_bool)?,
        ca_file: get("KOMUNIKATOR_CA_FILE").map(PathBuf::from),
        cert: get("KOMUNIKATOR_CERT").map(PathBuf::from),
        key: get("KOMUNIKATOR_KEY").map(PathBuf::from),
        user: get("KOMUNIKATOR_USER"),
        password: get("KOMUNIKATOR_PASSWORD").map(Secret::new),
        password_file: get("KOMUNIKATOR_PASSWORD_FILE").map(PathBuf::from),
        topic_prefix: checked(
            "KOMUNIKATOR_TOPIC_PREFIX",
            get("KOMUNIKATOR_TOPIC_PREFIX"),
            parse_prefix,
        )?,
        drain_timeout: checked(
            "KOMUNIKATOR_DRAIN_TIMEOUT",
            get("KOMUNIKATOR_DRAIN_TIMEOUT"),
            parse_drain_timeout,
        )?,
        log_file: get("KOMUNIKATOR_LOG_FILE").map(PathBuf::from),
        ..Layer::default()
    })
}
