//! Settings from `KOMUNIKATOR_*` environment variables. An empty variable
//! counts as not set.

use std::path::PathBuf;

use super::error::checked;
use super::parse::{parse_bool, parse_port, parse_servers, parse_username};
use super::{ConfigError, Layer};
use crate::settings::Secret;

/// Builds the environment's layer from `get` (`std::env::var` in the program,
/// a map in tests).
pub fn layer(get: impl Fn(&str) -> Option<String>) -> Result<Layer, ConfigError> {
    let get = |name: &str| get(name).filter(|v| !v.is_empty());
    Ok(Layer {
        username: checked("KOMUNIKATOR_USERNAME", get("KOMUNIKATOR_USERNAME"), parse_username)?,
        server: checked("KOMUNIKATOR_SERVER", get("KOMUNIKATOR_SERVER"), parse_servers)?,
        port: checked("KOMUNIKATOR_PORT", get("KOMUNIKATOR_PORT"), parse_port)?,
        tls: checked("KOMUNIKATOR_TLS", get("KOMUNIKATOR_TLS"), parse_bool)?,
        ca_file: get("KOMUNIKATOR_CA_FILE").map(PathBuf::from),
        cert: get("KOMUNIKATOR_CERT").map(PathBuf::from),
        key: get("KOMUNIKATOR_KEY").map(PathBuf::from),
        user: get("KOMUNIKATOR_USER"),
        password: get("KOMUNIKATOR_PASSWORD").map(Secret::new),
        password_file: get("KOMUNIKATOR_PASSWORD_FILE").map(PathBuf::from),
        declared: super::declared::from_environment(&get)?,
        ..Layer::default()
    })
}
