//! Where the settings come from, and which source wins:
//! command-line flags > environment variables > config file > defaults.
//!
//! Each source becomes a `Layer` in which every value is optional, so that
//! "not given" differs from "given the default value"; `merge` picks each key
//! from the first layer that has it and applies defaults only at the end.
//! Everything but `load` (in `load.rs`: environment, files, prompt) is pure;
//! certificate files are checked by the caller at startup.

mod catalog;
#[cfg(test)]
mod catalog_tests;
mod declared;
mod env;
mod error;
mod file;
mod load;
mod parse;
mod parse_look;
mod table;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_alerts;
#[cfg(test)]
mod tests_assets;
#[cfg(test)]
mod tests_inputs;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use catalog::{settings as catalog, variables, Setting};
pub use declared::{Declared, DeclaredFlags};
pub use env::layer as env_layer;
pub use error::{ConfigError, FileError};
pub use file::parse as parse_file;
pub use load::{default_config_file, default_log_file, load, read_password_file, Outcome, Request};
pub use parse::*;

use crate::settings::{ClientCert, Colors, Login, Mode, Secret, Server, Settings, Tls};

/// The settings one source gives; `None`: this source does not say.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Layer {
    pub username: Option<String>,
    /// The brokers in the order they are tried; never empty.
    pub server: Option<Vec<Endpoint>>,
    pub port: Option<u16>,
    pub tls: Option<bool>,
    pub ca_file: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub user: Option<String>,
    pub password: Option<Secret>,
    pub password_file: Option<PathBuf>,
    pub rooms: Option<Vec<String>>,
    /// The ordinary settings (`table.rs`).
    pub declared: Declared,
    pub colors: Colors,
}

impl Layer {
    /// A URL's port and scheme count as this layer's `port` and `tls`; the
    /// same layer saying otherwise is a contradiction, not an override.
    fn settle_endpoint(mut self, origin: Origin) -> Result<Layer, ConfigError> {
        let Some([endpoint, more @ ..]) = self.server.as_deref() else {
            return Ok(self);
        };
        if let Some(url_port) = endpoint.port {
            match self.port {
                Some(port) if port != url_port => {
                    return Err(ConfigError::PortContradiction { origin, url_port, port })
                }
                _ => self.port = Some(url_port),
            }
        }
        if let Some(url_tls) = endpoint.tls {
            match self.tls {
                Some(tls) if tls != url_tls => return Err(ConfigError::TlsContradiction { origin, url_tls, tls }),
                _ => self.tls = Some(url_tls),
            }
        }
        // One transport for all: failing over must not silently drop TLS.
        let tls = self.tls.unwrap_or(false);
        if let Some(other) = more.iter().find(|e| e.tls.is_some_and(|t| t != tls)) {
            return Err(ConfigError::MixedTransports {
                origin,
                server: other.host.clone(),
            });
        }
        Ok(self)
    }
}

/// Where a value came from, for `--print-config`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    CommandLine,
    Environment,
    ConfigFile,
    Default,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

impl Origin {
    fn label(self) -> &'static str {
        match self {
            Origin::CommandLine => "command line",
            Origin::Environment => "environment",
            Origin::ConfigFile => "config file",
            Origin::Default => "default",
        }
    }
}

/// The layers, strongest first.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub command_line: Layer,
    pub environment: Layer,
    pub config_file: Layer,
    /// The log file when no layer names one; `None` when the platform has no place for it.
    pub default_log_file: Option<PathBuf>,
}

/// Where the broker password will come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Password {
    Given(Secret, Origin),
    File(PathBuf, Origin),
    /// No source: asked for at start when stdin is a terminal, else none.
    Missing,
}

#[derive(Debug, Clone)]
pub struct Resolved {
    /// `username` is empty when no source gave one; `login`'s password is
    /// filled in by `load`.
    pub settings: Settings,
    pub password: Password,
    origins: BTreeMap<&'static str, Origin>,
}

impl Resolved {
    /// The username may come from any source, but it must come from one.
    pub fn require_username(&self) -> Result<(), ConfigError> {
        if self.settings.username.is_empty() {
            return Err(ConfigError::MissingUsername);
        }
        Ok(())
    }

    pub fn origin(&self, key: &str) -> Option<Origin> {
        self.origins.get(key).copied()
    }
}

struct Picker<'a> {
    layers: [(&'a Layer, Origin); 3],
    origins: BTreeMap<&'static str, Origin>,
}

impl Picker<'_> {
    fn pick<T: Clone>(&mut self, key: &'static str, field: impl Fn(&Layer) -> &Option<T>) -> Option<T> {
        let (value, origin) = self
            .layers
            .iter()
            .find_map(|(layer, origin)| field(layer).clone().map(|v| (v, *origin)))?;
        self.origins.insert(key, origin);
        Some(value)
    }

    fn or_default<T: Clone>(&mut self, key: &'static str, field: impl Fn(&Layer) -> &Option<T>, default: T) -> T {
        self.pick(key, field).unwrap_or_else(|| {
            self.origins.insert(key, Origin::Default);
            default
        })
    }
}

pub const DEFAULT_SERVER: &str = "localhost";
pub const DEFAULT_ROOM: &str = "general";
/// How long quitting waits for unsent messages while the broker cannot be reached.
pub const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Merges the layers key by key and applies the defaults. Long, as one
/// pick per setting is: split, it would only scatter that list.
pub fn merge(mut sources: Sources, mode: Mode) -> Result<Resolved, ConfigError> {
    let command_line = std::mem::take(&mut sources.command_line).settle_endpoint(Origin::CommandLine)?;
    let environment = std::mem::take(&mut sources.environment).settle_endpoint(Origin::Environment)?;
    let config_file = std::mem::take(&mut sources.config_file).settle_endpoint(Origin::ConfigFile)?;
    let mut p = Picker {
        layers: [
            (&command_line, Origin::CommandLine),
            (&environment, Origin::Environment),
            (&config_file, Origin::ConfigFile),
        ],
        origins: BTreeMap::new(),
    };

    let username = p.pick("username", |l| &l.username).unwrap_or_default();
    let default_server = Endpoint {
        host: DEFAULT_SERVER.into(),
        port: None,
        tls: None,
    };
    let mut servers = p.or_default("server", |l| &l.server, vec![default_server]).into_iter();
    let server = servers.next().map(|e| e.host).unwrap_or_default();
    let tls_on = p.or_default("tls", |l| &l.tls, false);
    let port = p.or_default("port", |l| &l.port, if tls_on { TLS_PORT } else { PLAIN_PORT });
    let more_servers = servers
        .map(|e| Server {
            host: e.host,
            port: e.port.unwrap_or(port),
        })
        .collect();

    let ca_file = p.pick("ca-file", |l| &l.ca_file);
    let cert = p.pick("cert", |l| &l.cert);
    let key = p.pick("key", |l| &l.key);
    let tls = if tls_on {
        let client_cert = match (cert, key) {
            (Some(cert), Some(key)) => Some(ClientCert { cert, key }),
            (None, None) => None,
            (Some(_), None) => return Err(ConfigError::CertWithoutKey),
            (None, Some(_)) => return Err(ConfigError::KeyWithoutCert),
        };
        Some(Tls { ca_file, client_cert })
    } else {
        let given = |l: &Layer| l.ca_file.is_some() || l.cert.is_some() || l.key.is_some();
        if given(&command_line) {
            return Err(ConfigError::TlsFilesWithoutTls);
        }
        None
    };

    let user = p.pick("user", |l| &l.user);
    let password = p
        .layers
        .iter()
        .find_map(|(layer, origin)| match (&layer.password, &layer.password_file) {
            (Some(secret), _) => Some(Password::Given(secret.clone(), *origin)),
            (None, Some(path)) => Some(Password::File(path.clone(), *origin)),
            (None, None) => None,
        })
        .unwrap_or(Password::Missing);
    let login = user.map(|user| Login { user, password: None });

    let mut rooms: Vec<String> = Vec::new();
    for room in p.pick("rooms", |l| &l.rooms).unwrap_or_default() {
        if !rooms.contains(&room) {
            rooms.push(room);
        }
    }
    if rooms.is_empty() {
        p.origins.insert("rooms", Origin::Default);
        rooms.push(DEFAULT_ROOM.into());
    }

    let colors = Colors {
        own: p.pick("colors.own", |l| &l.colors.own),
        others: p.pick("colors.others", |l| &l.colors.others),
        mention: p.pick("colors.mention", |l| &l.colors.mention),
        notice: p.pick("colors.notice", |l| &l.colors.notice),
    };

    let mut settings = Settings {
        server,
        port,
        more_servers,
        username,
        rooms,
        mode,
        tls,
        login,
        colors,
        hosting: None,
        // The ordinary settings, filled in just below.
        ..Settings::default()
    };
    declared::pick_into(&mut p, &sources, &mut settings);
    Ok(Resolved {
        settings,
        password,
        origins: p.origins,
    })
}

/// `--print-config`: the effective settings as a config file, each value
/// commented with where it came from. The password never shows.
pub fn render(resolved: &Resolved, config_file: &str) -> String {
    let s = &resolved.settings;
    let entry = |key: &str, value: Option<String>| match value {
        Some(value) => {
            let origin = resolved.origin(key).map(Origin::label).unwrap_or("not set");
            let key = key.strip_prefix("colors.").unwrap_or(key);
            format!("{key} = {value}  # {origin}\n")
        }
        None => format!("# {key} is not set\n"),
    };
    let text = |t: &str| Some(toml_string(t));
    let path = |p: Option<&Path>| p.map(|p| toml_string(&p.display().to_string()));
    let mut out = format!("# effective settings: flags > environment > config file ({config_file}) > defaults\n");
    out += &entry("username", (!s.username.is_empty()).then(|| toml_string(&s.username)));
    let more: String = s.more_servers.iter().map(|m| format!(",{m}")).collect();
    out += &entry("server", text(&format!("{}{more}", s.server)));
    out += &entry("port", Some(s.port.to_string()));
    out += &entry("tls", Some(s.tls.is_some().to_string()));
    if let Some(tls) = &s.tls {
        let client_cert = tls.client_cert.as_ref();
        out += &entry("ca-file", path(tls.ca_file.as_deref()));
        out += &entry("cert", path(client_cert.map(|c| c.cert.as_path())));
        out += &entry("key", path(client_cert.map(|c| c.key.as_path())));
    }
    out += &entry("user", s.login.as_ref().map(|l| toml_string(&l.user)));
    let password = match (&s.login, &resolved.password) {
        (None, _) => "not used (no user)".to_owned(),
        (Some(_), Password::Given(_, origin)) => format!("given (redacted), from the {}", origin.label()),
        (Some(_), Password::File(path, origin)) => {
            format!("read from {} (password-file, {})", path.display(), origin.label())
        }
        (Some(_), Password::Missing) => "asked for at start when stdin is a terminal".to_owned(),
    };
    out += &format!("# password: {password}\n");
    let rooms: Vec<String> = s.rooms.iter().map(|r| toml_string(r)).collect();
    out += &entry("rooms", Some(format!("[{}]", rooms.join(", "))));
    out += &declared::print(s, entry);
    let colors = [
        ("colors.own", s.colors.own),
        ("colors.others", s.colors.others),
        ("colors.mention", s.colors.mention),
        ("colors.notice", s.colors.notice),
    ];
    if colors.iter().any(|(_, c)| c.is_some()) {
        out += "\n[colors]\n";
        for (key, color) in colors {
            if let Some(color) = color {
                out += &entry(key, Some(toml_string(&color.to_string())));
            }
        }
    }
    out
}

fn toml_string(s: &str) -> String {
    // A JSON string is a valid TOML basic string.
    serde_json::to_string(s).expect("a string serialises")
}
