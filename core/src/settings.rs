//! The effective settings of one run, after flags, environment and config
//! file were merged and validated (see `config`).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

/// `Default` stands for "not chosen yet" (empty names, zeros); `config`
/// starts from it and fills every field in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// The first broker tried.
    pub server: String,
    pub port: u16,
    /// Further brokers, tried in order when the one before cannot be reached
    /// (`-s a,b`).
    pub more_servers: Vec<Server>,
    /// Which MQTT version to speak.
    pub mqtt: MqttVersion,
    /// MQTT 5: how long the broker holds back our will after the connection
    /// is lost; a reconnect within it is never announced as offline.
    pub will_delay: Duration,
    /// MQTT 5: how long the broker keeps our session (subscriptions and the
    /// messages they catch) while we are disconnected.
    pub session_expiry: Duration,
    pub username: String,
    /// Joined at start; the first is active.
    pub rooms: Vec<String>,
    pub qos: u8,
    pub keep_alive: u16,
    /// When quitting, how long to wait for unsent messages while the broker
    /// cannot be reached; the clock restarts whenever one is acknowledged.
    /// Zero: do not wait.
    pub drain_timeout: Duration,
    pub topic_prefix: String,
    pub bell: bool,
    /// Between our presence heartbeats (zero: the default, 60 s).
    pub heartbeat: Duration,
    /// Marked away after this long without a key; `None`: never.
    pub auto_away: Option<Duration>,
    /// Messages kept per room.
    pub scrollback: usize,
    pub mode: Mode,
    /// `None`: plain TCP.
    pub tls: Option<Tls>,
    /// `None`: connect anonymously.
    pub login: Option<Login>,
    pub colors: Colors,
    /// `None`: no log at all (no place for it was found).
    pub log_file: Option<PathBuf>,
    /// `--serve`: where the broker inside this process listens.
    pub hosting: Option<SocketAddr>,
    /// Keep every conversation in the local history (`--no-history`: off).
    pub store_history: bool,
    /// Stored messages older than this many days go (0: kept for ever).
    pub history_days: u32,
    /// The history file is kept under this many MiB (0: no bound).
    pub history_size: u64,
    /// `--serve`: run a history keeper beside the broker.
    pub keeper: bool,
    /// What this run does: chat, or one of the history's tasks.
    pub task: Task,
    /// Desktop notifications on mentions and direct messages (`--notify`).
    pub notify: crate::app::notify::Notifier,
    /// The UI's colour theme; the edge turns `Auto` into dark or light at start.
    pub theme: crate::theme::Theme,
    /// How many colours the UI may use, as the terminal says (`NO_COLOR`: none).
    pub color_depth: crate::theme::ColorDepth,
    /// strftime format of the times shown beside messages; empty: `%H:%M`.
    pub time_format: String,
    /// `--serve` on every interface: this machine's addresses others may
    /// reach, found by the front end (none found: only loopback is told).
    pub reachable: Vec<IpAddr>,
}

/// What a run does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Task {
    #[default]
    Chat,
    /// `--keep-history`: a history keeper only, for these rooms (`None`: every room).
    KeepHistory { rooms: Option<Vec<String>> },
    /// `--print-history ROOM`: the stored history of a room, then exit.
    PrintHistory { room: String, limit: usize },
    /// `--search TEXT`: the stored messages with every word of TEXT, in
    /// these rooms (`None`: every room), then exit.
    Search {
        text: String,
        rooms: Option<Vec<String>>,
        limit: usize,
    },
}

/// A broker's host and port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    pub host: String,
    pub port: u16,
}

impl fmt::Display for Server {
    /// `host:port`, with an IPv6 literal in brackets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// The MQTT version asked for (`--mqtt`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MqttVersion {
    /// MQTT 5, and 3.1.1 with a broker that refuses 5.
    #[default]
    Auto,
    V5,
    V311,
}

impl MqttVersion {
    /// As `--mqtt` and the config spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            MqttVersion::Auto => "auto",
            MqttVersion::V5 => "5",
            MqttVersion::V311 => "3.1.1",
        }
    }
}

/// The MQTT version a connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Spoken {
    V311,
    V5,
}

impl fmt::Display for Spoken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Spoken::V311 => "3.1.1",
            Spoken::V5 => "5",
        })
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Mode {
    #[default]
    Tui,
    Line {
        json: bool,
    },
}

/// How to check the broker and, for mutual TLS, who we are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tls {
    /// Trust only this CA (PEM); `None`: the system's trusted roots.
    pub ca_file: Option<PathBuf>,
    pub client_cert: Option<ClientCert>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCert {
    /// PEM certificate chain.
    pub cert: PathBuf,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    pub user: String,
    pub password: Option<Secret>,
}

/// A password. It prints as `<redacted>` everywhere (Debug, Display, logs,
/// panics); only `expose` gives the text, for the CONNECT packet.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(text: impl Into<String>) -> Self {
        Secret(text.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Colour choices for the full-screen UI; `None` keeps the UI's own default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Colors {
    /// Your own name.
    pub own: Option<Color>,
    /// Other people's names (instead of one colour per name).
    pub others: Option<Color>,
    /// Messages that mention you.
    pub mention: Option<Color>,
    /// Notices such as "bob is online".
    pub notice: Option<Color>,
}

/// A colour the config may name: one of the terminal's sixteen, a
/// 256-colour index, or RGB. The ui turns it into its drawing library's
/// colour; the settings depend on no drawing library.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Color {
    Black,
    Red,
    Green,
    Yellow,
    Blue,
    Magenta,
    Cyan,
    Gray,
    DarkGray,
    LightRed,
    LightGreen,
    LightYellow,
    LightBlue,
    LightMagenta,
    LightCyan,
    White,
    Indexed(u8),
    Rgb(u8, u8, u8),
}

impl Color {
    /// The sixteen named colours, as the config spells them.
    pub const NAMED: [(&'static str, Color); 16] = [
        ("black", Color::Black),
        ("red", Color::Red),
        ("green", Color::Green),
        ("yellow", Color::Yellow),
        ("blue", Color::Blue),
        ("magenta", Color::Magenta),
        ("cyan", Color::Cyan),
        ("gray", Color::Gray),
        ("dark-gray", Color::DarkGray),
        ("light-red", Color::LightRed),
        ("light-green", Color::LightGreen),
        ("light-yellow", Color::LightYellow),
        ("light-blue", Color::LightBlue),
        ("light-magenta", Color::LightMagenta),
        ("light-cyan", Color::LightCyan),
        ("white", Color::White),
    ];
}

impl fmt::Display for Color {
    /// The config's spelling: `light-red`, `#ff8000` or `208`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Color::Rgb(r, g, b) => write!(f, "#{r:02x}{g:02x}{b:02x}"),
            Color::Indexed(i) => write!(f, "{i}"),
            named => {
                let (name, _) = Color::NAMED
                    .iter()
                    .find(|(_, c)| *c == named)
                    .expect("every other colour is named");
                f.write_str(name)
            }
        }
    }
}

/// The address a client on this machine uses to reach a listener on
/// `listen`: loopback when it listens on every interface.
pub fn local_address(listen: SocketAddr) -> SocketAddr {
    let ip = match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, listen.port())
}

impl Settings {
    pub fn for_test(username: &str, rooms: &[&str], mode: Mode) -> Settings {
        Settings {
            server: "localhost".into(),
            port: 1883,
            username: username.into(),
            rooms: rooms.iter().map(|r| r.to_string()).collect(),
            qos: 1,
            keep_alive: 30,
            drain_timeout: Duration::from_secs(10),
            scrollback: 10_000,
            mode,
            will_delay: Duration::from_secs(5),
            session_expiry: Duration::from_secs(3600),
            ..Settings::default()
        }
    }

    /// The first broker, as `host:port`.
    pub fn address(&self) -> String {
        self.servers()[0].to_string()
    }

    /// Every broker, in the order they are tried.
    pub fn servers(&self) -> Vec<Server> {
        let first = Server {
            host: self.server.clone(),
            port: self.port,
        };
        std::iter::once(first)
            .chain(self.more_servers.iter().cloned())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let mut settings = Settings::for_test("alice", &["general"], Mode::Tui);
        settings.login = Some(Login {
            user: "alice".into(),
            password: Some(Secret::new("hunter2")),
        });
        let shown = format!("{settings:?} {settings:#?} {}", Secret::new("hunter2"));
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("<redacted>"));
        assert_eq!(settings.login.unwrap().password.unwrap().expose(), "hunter2");
    }

    #[test]
    fn local_clients_reach_an_every_interface_listener_over_loopback() {
        let v4: SocketAddr = "0.0.0.0:1884".parse().unwrap();
        assert_eq!(local_address(v4), "127.0.0.1:1884".parse().unwrap());
        let v6: SocketAddr = "[::]:1884".parse().unwrap();
        assert_eq!(local_address(v6), "[::1]:1884".parse().unwrap());
        let lan: SocketAddr = "192.168.1.5:1884".parse().unwrap();
        assert_eq!(local_address(lan), lan);
    }

    #[test]
    fn ipv6_literals_show_in_brackets() {
        let mut s = Settings::for_test("alice", &["general"], Mode::Tui);
        s.server = "::1".into();
        assert_eq!(s.address(), "[::1]:1883");
    }
}
