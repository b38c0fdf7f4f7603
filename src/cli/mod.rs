//! The command line: flags, their validation, and one-line errors.

mod generated;
mod help_text;
mod usage_error;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use clap::error::ErrorKind;
use clap::Parser;

use crate::config::{
    parse_port, parse_room, parse_server, parse_username, ConfigError, DeclaredFlags, Endpoint, Layer, Request,
    PLAIN_PORT,
};
use crate::settings::{local_address, Mode, Task};
pub use usage_error::one_line;

#[derive(Debug, Parser)]
#[command(
    name = "komunikator",
    version,
    about = "Chat in rooms over MQTT, in your terminal",
    long_about = "Chat in rooms over MQTT, in your terminal.\n\n\
        Joins the rooms given with -r (default: general) on the broker at -s/-p,\n\
        shows who is online, and keeps going through a flaky network.\n\
        Full-screen by default; --no-tui reads lines from stdin and prints one line per event.\n\n\
        Settings come from flags, then KOMUNIKATOR_* environment variables, then the config\n\
        file (~/.config/komunikator/config.toml or --config), then defaults.",
    after_help = help_text::short(),
    after_long_help = help_text::long()
)]
pub struct Cli {
    /// Your name in the chat: 1 to 32 letters, digits, '_', '-', '.', in one script, nothing invisible [default: `username` in the config file]
    #[arg(value_parser = parse_username)]
    pub username: Option<String>,

    /// MQTT broker: a host name, host:port, or a URL mqtt://host:port or mqtts://host:port (TLS); several (comma-separated or repeated) are tried in order when one cannot be reached [default: localhost]
    #[arg(display_order = 10, short = 's', long, value_name = "HOST|URL", value_parser = parse_server, value_delimiter = ',')]
    pub server: Vec<Endpoint>,

    /// MQTT broker port [default: 1883, or 8883 with TLS]
    #[arg(display_order = 20, short = 'p', long, value_name = "PORT", value_parser = parse_port)]
    pub port: Option<u16>,

    /// Room to join (repeatable); the first is the active one [default: general]
    #[arg(display_order = 30, short = 'r', long = "room", value_name = "ROOM", value_parser = parse_room)]
    pub rooms: Vec<String>,

    /// Line mode: read lines from stdin, print one line per event (no full-screen UI)
    #[arg(display_order = 70, long)]
    pub no_tui: bool,

    /// In line mode, print each event as one JSON object per line (implies --no-tui)
    #[arg(display_order = 80, long)]
    pub json: bool,

    /// Connect with TLS (trusting the system's CAs unless --ca-file is given)
    #[arg(display_order = 120, long, overrides_with = "no_tls")]
    pub tls: bool,

    /// Connect without TLS, even if the config file turns it on
    #[arg(display_order = 130, long, overrides_with = "tls")]
    pub no_tls: bool,

    /// Trust only this CA (PEM file) for the broker's certificate, e.g. a private CA
    #[arg(display_order = 140, long, value_name = "PATH")]
    pub ca_file: Option<PathBuf>,

    /// Client certificate (PEM) for mutual TLS; needs --key
    #[arg(display_order = 150, long, value_name = "PATH")]
    pub cert: Option<PathBuf>,

    /// Private key (PEM) of the client certificate
    #[arg(display_order = 160, long, value_name = "PATH")]
    pub key: Option<PathBuf>,

    /// Log in to the broker with this name; the password comes from
    /// KOMUNIKATOR_PASSWORD, --password-file, or a prompt
    #[arg(display_order = 170, long, value_name = "NAME")]
    pub user: Option<String>,

    /// Read the broker password from the first line of this file
    #[arg(display_order = 180, long, value_name = "PATH")]
    pub password_file: Option<PathBuf>,

    /// Refused on purpose: a password in the arguments shows in the process list.
    /// Taken as any value (dropped unseen) so that no parse error can echo it.
    #[arg(display_order = 185, long, hide = true, value_name = "PASSWORD", num_args = 0..=1, default_missing_value = "",
          value_parser = drop_password)]
    pub password: Option<DroppedPassword>,

    /// Read this config file instead of ~/.config/komunikator/config.toml
    #[arg(display_order = 190, long, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Print the effective settings (flags, environment, config file, defaults) and exit
    #[arg(display_order = 200, long)]
    pub print_config: bool,

    /// Host the chat: run an MQTT broker inside komunikator on -p PORT and join it; others connect with -s
    #[arg(display_order = 210, long, conflicts_with_all = ["server", "tls", "ca_file", "cert", "key"])]
    pub serve: bool,

    /// With --serve: the address to listen on [default: every interface]
    #[arg(display_order = 220, long, value_name = "ADDR", requires = "serve")]
    pub bind: Option<IpAddr>,

    /// Run a history keeper only, no chat: keep the rooms given with -r (default: every room) and answer late joiners' history requests
    #[arg(display_order = 250, long, conflicts_with_all = ["serve", "print_history", "search"])]
    pub keep_history: bool,

    /// Print the stored history of ROOM (@NAME: a direct conversation), oldest first, and exit (--json: one object per message)
    #[arg(display_order = 260, long, value_name = "ROOM", conflicts_with = "search")]
    pub print_history: Option<String>,

    /// Print the stored messages with every word of TEXT (in the rooms given with -r, default every room), newest first, and exit
    #[arg(display_order = 270, long, value_name = "TEXT")]
    pub search: Option<String>,

    /// With --print-history or --search: at most this many messages [default: 100]
    #[arg(display_order = 280, long, value_name = "N")]
    pub limit: Option<usize>,

    /// The ordinary settings' flags, from `config/table.rs`.
    #[command(flatten)]
    pub declared: DeclaredFlags,

    /// Print the completion script for SHELL and exit (see assets/completions/)
    #[arg(display_order = 900, long, value_name = "SHELL", conflicts_with = "man")]
    pub completions: Option<clap_complete::Shell>,

    /// Print the man page (roff) and exit
    #[arg(display_order = 910, long)]
    pub man: bool,
}

/// Stands for a `--password` value, which is never kept nor shown.
#[derive(Debug, Clone)]
pub struct DroppedPassword;

fn drop_password(_: &str) -> Result<DroppedPassword, String> {
    Ok(DroppedPassword)
}

impl Cli {
    /// The command line's own layer of settings, and what it asks for.
    pub fn into_request(self) -> Result<Request, ConfigError> {
        if self.password.is_some() {
            return Err(ConfigError::PasswordArgument);
        }
        let mode = if self.no_tui || self.json {
            Mode::Line { json: self.json }
        } else {
            Mode::Tui
        };
        let tls = match (self.tls, self.no_tls) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        };
        // Hosting: the broker listens on -p (not a port from the environment
        // or config file, which name some other broker), and the client joins
        // it over plain MQTT, whatever those say about the server.
        let hosting = self.serve.then(|| {
            let ip = self.bind.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
            SocketAddr::new(ip, self.port.unwrap_or(PLAIN_PORT))
        });
        let (server, port, tls) = match hosting {
            Some(listen) => {
                let local = Endpoint {
                    host: local_address(listen).ip().to_string(),
                    port: None,
                    tls: None,
                };
                (Some(vec![local]), Some(listen.port()), Some(false))
            }
            None => ((!self.server.is_empty()).then_some(self.server), self.port, tls),
        };
        let limit = self.limit.unwrap_or(100).max(1);
        let given_rooms = (!self.rooms.is_empty()).then(|| self.rooms.clone());
        let task = if self.keep_history {
            Task::KeepHistory { rooms: given_rooms }
        } else if let Some(room) = self.print_history {
            let room = room.trim_start_matches('#').to_owned();
            let name = room.strip_prefix('@').unwrap_or(&room);
            crate::protocol::validate_room(name).map_err(|e| ConfigError::BadHistoryRoom(e.to_string()))?;
            Task::PrintHistory { room, limit }
        } else if let Some(text) = self.search {
            Task::Search {
                text,
                rooms: given_rooms,
                limit,
            }
        } else {
            Task::Chat
        };
        let layer = Layer {
            username: self.username,
            server,
            port,
            tls,
            ca_file: self.ca_file,
            cert: self.cert,
            key: self.key,
            user: self.user,
            password: None,
            password_file: self.password_file,
            rooms: (!self.rooms.is_empty()).then_some(self.rooms),
            declared: self.declared.into_layer(),
            colors: Default::default(),
        };
        Ok(Request {
            layer,
            mode,
            config_file: self.config,
            print_config: self.print_config,
            hosting,
            task,
        })
    }
}

/// Parses the arguments; help and version print and exit 0, errors print one
/// line and exit 2.
pub fn parse_or_exit() -> Cli {
    match Cli::try_parse() {
        Ok(cli) if cli.serve && !cfg!(feature = "serve") => {
            eprintln!(
                "komunikator: --serve is not in this build (it was built without the `serve` feature): \
                 build it with default features, or run a broker such as mosquitto"
            );
            std::process::exit(2);
        }
        Ok(cli) => {
            generated::print_and_exit_if_asked(&cli);
            cli
        }
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => e.exit(),
        Err(e) if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => e.exit(),
        Err(e) => {
            eprintln!("komunikator: {}", one_line(&e));
            std::process::exit(2);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::config::{merge, Sources};
    use crate::settings::Settings;

    /// The command line alone: no environment, no config file.
    fn parse(args: &[&str]) -> Result<Settings, String> {
        let mut all = vec!["komunikator"];
        all.extend(args);
        let request = Cli::try_parse_from(all)
            .map_err(|e| one_line(&e))?
            .into_request()
            .map_err(|e| e.to_string())?;
        let sources = Sources {
            command_line: request.layer,
            ..Sources::default()
        };
        let mut resolved = merge(sources, request.mode).map_err(|e| e.to_string())?;
        resolved.require_username().map_err(|e| e.to_string())?;
        resolved.settings.hosting = request.hosting;
        Ok(resolved.settings)
    }

    #[test]
    fn defaults() {
        let s = parse(&["alice"]).unwrap();
        assert_eq!(
            (s.server.as_str(), s.port, s.qos, s.keep_alive),
            ("localhost", 1883, 1, 30)
        );
        assert_eq!(s.rooms, ["general"]);
        assert_eq!(s.mode, Mode::Tui);
    }

    #[test]
    fn flags() {
        let s = parse(&[
            "-s", "10.0.0.1", "-p", "1884", "-r", "a", "-r", "#b", "-r", "a", "--qos", "2", "--no-tui", "bob",
        ])
        .unwrap();
        assert_eq!((s.server.as_str(), s.port, s.qos), ("10.0.0.1", 1884, 2));
        assert_eq!(s.rooms, ["a", "b"]);
        assert_eq!(s.mode, Mode::Line { json: false });
        assert_eq!(parse(&["--json", "bob"]).unwrap().mode, Mode::Line { json: true });
    }

    #[test]
    fn serve_hosts_on_every_interface_and_joins_over_loopback() {
        let s = parse(&["--serve", "-p", "1999", "alice"]).unwrap();
        assert_eq!(s.hosting, Some("0.0.0.0:1999".parse().unwrap()));
        assert_eq!((s.server.as_str(), s.port, s.tls.is_some()), ("127.0.0.1", 1999, false));
        let s = parse(&["--serve", "--bind", "::", "alice"]).unwrap();
        assert_eq!(s.hosting, Some("[::]:1883".parse().unwrap()));
        assert_eq!(s.server, "::1");
        let s = parse(&["--serve", "--bind", "10.1.2.3", "alice"]).unwrap();
        assert_eq!(s.server, "10.1.2.3");
        assert_eq!(parse(&["alice"]).unwrap().hosting, None);
    }

    #[test]
    fn bad_input_gets_one_line_naming_the_rule() {
        let cases: &[(&[&str], &str)] = &[
            (&["a/b"], "contains '/'"),
            (&["a b"], "a space"),
            (&["a+"], "'+'"),
            (&["#x"], "'#'"),
            (&[""], "empty"),
            (&["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"], "33 characters"),
            (&["-r", "a/b", "bob"], "invalid room name"),
            (&["-p", "0", "bob"], "1 to 65535"),
            (&["-p", "65536", "bob"], "1 to 65535"),
            (&["--qos", "3", "bob"], "QoS must be 0, 1 or 2"),
            (&["-s", "http://h", "bob"], "use mqtt:// or mqtts://"),
            (
                &["-s", "mqtt://h:1884", "-p", "1885", "bob"],
                "port 1884 but the port is set to 1885",
            ),
            (
                &["-s", "mqtt://h", "--tls", "bob"],
                "mqtt:// (no TLS) but TLS is set on",
            ),
            (&["--ca-file", "ca.pem", "bob"], "need TLS"),
            (&["--tls", "--cert", "c.pem", "bob"], "needs its key"),
            (&["--password", "hunter2", "bob"], "not taken as arguments"),
            (&["--bind", "127.0.0.1", "bob"], "--serve"),
            (&["--serve", "-s", "example.org", "bob"], "cannot be used with"),
            (&["--serve", "--tls", "bob"], "cannot be used with"),
            (&["--serve", "--bind", "nowhere", "bob"], "invalid IP address"),
            (&[], "USERNAME"),
        ];
        for (args, needle) in cases {
            let err = parse(args).unwrap_err();
            assert!(err.contains(needle), "{args:?}: {err}");
            assert!(!err.contains('\n'), "{err}");
        }
    }
}
