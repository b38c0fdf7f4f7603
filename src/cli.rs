//! The command line: flags, their validation, and one-line errors.

use clap::error::ErrorKind;
use clap::Parser;

use crate::protocol::{validate_room, validate_username};
use crate::settings::{Mode, Settings};

#[derive(Debug, Parser)]
#[command(
    name = "komunikator",
    version,
    about = "Chat in rooms over MQTT, in your terminal",
    long_about = "Chat in rooms over MQTT, in your terminal.\n\n\
        Joins the rooms given with -r (default: general) on the broker at -s/-p,\n\
        shows who is online, and keeps going through a flaky network.\n\
        Full-screen by default; --no-tui reads lines from stdin and prints one line per event.",
    after_help = "Examples:\n  komunikator alice\n  komunikator -s broker.example.org -r rust -r random bob\n  \
        printf 'hello\\n' | komunikator --no-tui carol"
)]
pub struct Cli {
    /// Your name in the chat: 1 to 32 letters, digits, '_', '-', '.'
    #[arg(value_parser = parse_username)]
    pub username: String,

    /// MQTT broker host name or address
    #[arg(short = 's', long, value_name = "HOST", default_value = "localhost")]
    pub server: String,

    /// MQTT broker port
    #[arg(short = 'p', long, value_name = "PORT", default_value_t = 1883, value_parser = parse_port)]
    pub port: u16,

    /// Room to join (repeatable); the first is the active one [default: general]
    #[arg(short = 'r', long = "room", value_name = "ROOM", value_parser = parse_room)]
    pub rooms: Vec<String>,

    /// MQTT quality of service for chat messages: 0, 1 or 2
    #[arg(long, value_name = "0|1|2", default_value_t = 1, value_parser = parse_qos)]
    pub qos: u8,

    /// Seconds between keep-alive pings; a dead link is noticed within about twice this
    #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = parse_keep_alive)]
    pub keep_alive: u16,

    /// Line mode: read lines from stdin, print one line per event (no full-screen UI)
    #[arg(long)]
    pub no_tui: bool,

    /// In line mode, print each event as one JSON object per line (implies --no-tui)
    #[arg(long)]
    pub json: bool,

    /// Ring the terminal bell when someone mentions your name
    #[arg(long)]
    pub bell: bool,

    /// Messages kept per room in the full-screen UI
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub scrollback: usize,

    /// Put every topic under this prefix (e.g. "acme/"), so several chat networks can share a broker
    #[arg(long, value_name = "PREFIX", default_value = "", value_parser = parse_prefix)]
    pub topic_prefix: String,
}

fn parse_username(s: &str) -> Result<String, String> {
    validate_username(s).map(|()| s.to_owned()).map_err(|e| e.to_string())
}

fn parse_room(s: &str) -> Result<String, String> {
    let s = s.strip_prefix('#').unwrap_or(s);
    validate_room(s).map(|()| s.to_owned()).map_err(|e| e.to_string())
}

fn parse_port(s: &str) -> Result<u16, String> {
    match s.parse::<u32>() {
        Ok(p @ 1..=65535) => Ok(p as u16),
        _ => Err("the port must be a number from 1 to 65535".into()),
    }
}

fn parse_qos(s: &str) -> Result<u8, String> {
    match s {
        "0" | "1" | "2" => Ok(s.parse().expect("digit")),
        _ => Err("QoS must be 0, 1 or 2".into()),
    }
}

fn parse_keep_alive(s: &str) -> Result<u16, String> {
    match s.parse::<u32>() {
        Ok(k @ 1..=65535) => Ok(k as u16),
        _ => Err("keep-alive must be 1 to 65535 seconds".into()),
    }
}

fn parse_prefix(s: &str) -> Result<String, String> {
    if s.contains(['+', '#']) || s.starts_with('$') || s.chars().any(char::is_control) {
        return Err("a topic prefix may not contain '+', '#' or control characters, nor start with '$'".into());
    }
    Ok(s.to_owned())
}

impl Cli {
    pub fn into_settings(self) -> Settings {
        let mut rooms: Vec<String> = Vec::new();
        for room in self.rooms {
            if !rooms.contains(&room) {
                rooms.push(room);
            }
        }
        if rooms.is_empty() {
            rooms.push("general".into());
        }
        let mode = if self.no_tui || self.json {
            Mode::Line { json: self.json }
        } else {
            Mode::Tui
        };
        Settings {
            server: self.server,
            port: self.port,
            username: self.username,
            rooms,
            qos: self.qos,
            keep_alive: self.keep_alive,
            topic_prefix: self.topic_prefix,
            bell: self.bell,
            scrollback: self.scrollback,
            mode,
        }
    }
}

/// Parses the arguments; help and version print and exit 0, errors print one
/// line and exit 2.
pub fn parse_or_exit() -> Cli {
    match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => e.exit(),
        Err(e) if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => e.exit(),
        Err(e) => {
            eprintln!("komunikator: {}", one_line(&e.to_string()));
            std::process::exit(2);
        }
    }
}

/// Clap's message without its usage block, on one line.
pub fn one_line(message: &str) -> String {
    let parts: Vec<&str> = message
        .lines()
        .map(str::trim)
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .filter(|l| !l.is_empty())
        .collect();
    let joined = parts.join(" ");
    let joined = joined.strip_prefix("error: ").unwrap_or(&joined).to_owned();
    format!("{joined} (see --help)")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Settings, String> {
        let mut all = vec!["komunikator"];
        all.extend(args);
        Cli::try_parse_from(all)
            .map(Cli::into_settings)
            .map_err(|e| one_line(&e.to_string()))
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
            (&[], "USERNAME"),
        ];
        for (args, needle) in cases {
            let err = parse(args).unwrap_err();
            assert!(err.contains(needle), "{args:?}: {err}");
            assert!(!err.contains('\n'), "{err}");
        }
    }
}
