//! Where the settings come from, and which source wins:
//! command-line flags > environment variables > config file > defaults.
//!
//! Each source becomes a `Layer` in which every value is optional, so that
//! "not given" differs from "given the default value"; `merge` picks each key
//! from the first layer that has it and applies defaults only at the end.
//! Everything but `load` is pure.

mod env;
mod file;
#[cfg(test)]
mod tests;
mod values;

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ratatui::style::Color;

pub use env::{layer as env_layer, VARIABLES};
pub use file::parse as parse_file;
pub use values::*;

use crate::settings::{ClientCert, Colors, Login, Mode, Secret, Settings, Tls};

/// The settings one source gives; `None`: this source does not say.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Layer {
    pub username: Option<String>,
    pub server: Option<Endpoint>,
    pub port: Option<u16>,
    pub tls: Option<bool>,
    pub ca_file: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub user: Option<String>,
    pub password: Option<Secret>,
    pub password_file: Option<PathBuf>,
    pub rooms: Option<Vec<String>>,
    pub qos: Option<u8>,
    pub keep_alive: Option<u16>,
    pub drain_timeout: Option<Duration>,
    pub topic_prefix: Option<String>,
    pub bell: Option<bool>,
    pub scrollback: Option<usize>,
    pub log_file: Option<PathBuf>,
    pub colors: Colors,
}

impl Layer {
    /// A URL's port and scheme count as this layer's `port` and `tls`; the
    /// same layer saying otherwise is a contradiction, not an override.
    fn settle_endpoint(mut self, origin: Origin) -> Result<Layer, String> {
        let Some(endpoint) = &self.server else {
            return Ok(self);
        };
        if let Some(url_port) = endpoint.port {
            match self.port {
                Some(port) if port != url_port => {
                    return Err(format!(
                        "{}: the server says port {url_port} but the port is set to {port}",
                        origin.label()
                    ))
                }
                _ => self.port = Some(url_port),
            }
        }
        if let Some(url_tls) = endpoint.tls {
            match self.tls {
                Some(tls) if tls != url_tls => {
                    return Err(format!(
                        "{}: the server URL says {} but TLS is set {}",
                        origin.label(),
                        if url_tls { "mqtts:// (TLS)" } else { "mqtt:// (no TLS)" },
                        if tls { "on" } else { "off" }
                    ))
                }
                _ => self.tls = Some(url_tls),
            }
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
    pub fn require_username(&self) -> Result<(), String> {
        if self.settings.username.is_empty() {
            return Err(
                "missing USERNAME: give your name in the chat as the last argument (komunikator NAME), \
                 in KOMUNIKATOR_USERNAME, or as `username` in the config file (see --help)"
                    .into(),
            );
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

/// Merges the layers key by key and applies the defaults.
pub fn merge(sources: Sources, mode: Mode) -> Result<Resolved, String> {
    let command_line = sources.command_line.settle_endpoint(Origin::CommandLine)?;
    let environment = sources.environment.settle_endpoint(Origin::Environment)?;
    let config_file = sources.config_file.settle_endpoint(Origin::ConfigFile)?;
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
    let server = p.or_default("server", |l| &l.server, default_server).host;
    let tls_on = p.or_default("tls", |l| &l.tls, false);
    let port = p.or_default("port", |l| &l.port, if tls_on { TLS_PORT } else { PLAIN_PORT });

    let ca_file = p.pick("ca-file", |l| &l.ca_file);
    let cert = p.pick("cert", |l| &l.cert);
    let key = p.pick("key", |l| &l.key);
    let tls = if tls_on {
        let client_cert = match (cert, key) {
            (Some(cert), Some(key)) => Some(ClientCert { cert, key }),
            (None, None) => None,
            (Some(_), None) => return Err("a client certificate (cert) needs its key too (key, --key)".into()),
            (None, Some(_)) => return Err("a client key (key) needs its certificate too (cert, --cert)".into()),
        };
        Some(Tls { ca_file, client_cert })
    } else {
        let given = |l: &Layer| l.ca_file.is_some() || l.cert.is_some() || l.key.is_some();
        if given(&command_line) {
            return Err("--ca-file, --cert and --key need TLS: add --tls or use an mqtts:// server".into());
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
    let log_file = p.pick("log-file", |l| &l.log_file).or_else(|| {
        p.origins.insert("log-file", Origin::Default);
        sources.default_log_file.clone()
    });

    let settings = Settings {
        server,
        port,
        username,
        rooms,
        qos: p.or_default("qos", |l| &l.qos, 1),
        keep_alive: p.or_default("keep-alive", |l| &l.keep_alive, 30),
        drain_timeout: p.or_default("drain-timeout", |l| &l.drain_timeout, DEFAULT_DRAIN_TIMEOUT),
        topic_prefix: p.or_default("topic-prefix", |l| &l.topic_prefix, String::new()),
        bell: p.or_default("bell", |l| &l.bell, false),
        scrollback: p.or_default("scrollback", |l| &l.scrollback, 10_000),
        mode,
        tls,
        login,
        colors,
        log_file,
        hosting: None,
    };
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
    out += &entry("server", text(&s.server));
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
    out += &entry("qos", Some(s.qos.to_string()));
    out += &entry("keep-alive", Some(s.keep_alive.to_string()));
    out += &entry("drain-timeout", Some(s.drain_timeout.as_secs().to_string()));
    out += &entry("topic-prefix", text(&s.topic_prefix));
    out += &entry("bell", Some(s.bell.to_string()));
    out += &entry("scrollback", Some(s.scrollback.to_string()));
    out += &entry("log-file", path(s.log_file.as_deref()));
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
                out += &entry(key, Some(toml_string(&color_name(color))));
            }
        }
    }
    out
}

fn toml_string(s: &str) -> String {
    // A JSON string is a valid TOML basic string.
    serde_json::to_string(s).expect("a string serialises")
}

fn color_name(color: Color) -> String {
    match color {
        Color::Rgb(r, g, b) => format!("#{r:02x}{g:02x}{b:02x}"),
        Color::Indexed(i) => i.to_string(),
        other => {
            // "LightRed" -> "light-red", the spelling the docs use.
            let mut name = String::new();
            for (i, ch) in other.to_string().chars().enumerate() {
                if ch.is_uppercase() && i > 0 {
                    name.push('-');
                }
                name.push(ch.to_ascii_lowercase());
            }
            name
        }
    }
}

/// What the program should do after reading its settings.
#[derive(Debug)]
pub enum Outcome {
    Run(Box<Settings>),
    /// `--print-config`: print this and exit 0.
    Print(String),
}

/// What the command line asks for, beyond its layer of settings.
#[derive(Debug, Clone)]
pub struct Request {
    pub layer: Layer,
    pub mode: Mode,
    pub config_file: Option<PathBuf>,
    pub print_config: bool,
    /// `--serve`: host a broker here, listening on this address; the
    /// command-line layer then points the client at it.
    pub hosting: Option<std::net::SocketAddr>,
}

/// Reads the environment, the config file and the password, and merges
/// everything. An `Err` is one line for the user; the program exits 2.
pub fn load(request: Request) -> Result<Outcome, String> {
    let environment = env_layer(|name| std::env::var(name).ok())?;
    let explicit = request.config_file.clone().or_else(|| {
        std::env::var_os("KOMUNIKATOR_CONFIG")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    });
    let (config_path, config_file) = read_config_file(explicit)?;
    let sources = Sources {
        command_line: request.layer,
        environment,
        config_file,
        default_log_file: default_log_file(),
    };
    let mut resolved = merge(sources, request.mode)?;
    resolved.settings.hosting = request.hosting;
    if request.hosting.is_some() {
        // The broker inside takes anyone: a login set for another broker
        // would only ask for a password here for nothing.
        resolved.settings.login = None;
    }
    if request.print_config {
        let label = match &config_path {
            Some(path) => path.display().to_string(),
            None => "none".into(),
        };
        return Ok(Outcome::Print(render(&resolved, &label)));
    }
    resolved.require_username()?;
    let address = resolved.settings.address();
    if let Some(login) = &mut resolved.settings.login {
        login.password = match &resolved.password {
            Password::Given(secret, _) => Some(secret.clone()),
            Password::File(path, _) => Some(read_password_file(path)?),
            Password::Missing if std::io::stdin().is_terminal() => {
                prompt_password(&format!("Password for {} at {address}: ", login.user))?
            }
            Password::Missing => None,
        };
    }
    if let Some(tls) = &resolved.settings.tls {
        // Unreadable or broken certificate files are reported now, before any connection.
        crate::tls::client_config(tls).map_err(|e| e.to_string())?;
    }
    Ok(Outcome::Run(Box::new(resolved.settings)))
}

/// The explicit file must exist; the default one may be missing.
fn read_config_file(explicit: Option<PathBuf>) -> Result<(Option<PathBuf>, Layer), String> {
    let (path, required) = match explicit {
        Some(path) => (path, true),
        None => match default_config_file() {
            Some(path) => (path, false),
            None => return Ok((None, Layer::default())),
        },
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let layer = parse_file(&text, &path)?;
            Ok((Some(path), layer))
        }
        Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => Ok((None, Layer::default())),
        Err(e) => Err(format!("cannot read the config file {}: {e}", path.display())),
    }
}

pub fn default_config_file() -> Option<PathBuf> {
    dirs::config_dir().map(|dir| dir.join("komunikator").join("config.toml"))
}

/// The platform's state directory (`~/.local/state` on Linux), else its cache directory.
pub fn default_log_file() -> Option<PathBuf> {
    dirs::state_dir()
        .or_else(dirs::cache_dir)
        .map(|dir| dir.join("komunikator").join("komunikator.log"))
}

/// The first line of the file, without its line ending.
pub fn read_password_file(path: &Path) -> Result<Secret, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("cannot read the password file {}: {e}", path.display()))?;
    match text.lines().next() {
        Some(first) if !first.is_empty() => Ok(Secret::new(first)),
        _ => Err(format!("the password file {} has an empty first line", path.display())),
    }
}

fn prompt_password(prompt: &str) -> Result<Option<Secret>, String> {
    let text = rpassword::prompt_password(prompt).map_err(|e| format!("cannot read the password: {e}"))?;
    Ok((!text.is_empty()).then(|| Secret::new(text)))
}
