//! Parsers for single values, shared by flags, environment and config file so
//! that each value gets the same rule and the same message wherever it came from.

use std::net::Ipv6Addr;
use std::str::FromStr;
use std::time::Duration;

pub use crate::app::notify::Notifier;
use crate::settings::{Color, MqttVersion};

use crate::protocol::{validate_room, validate_username};

pub use super::parse_look::*;

pub const PLAIN_PORT: u16 = 1883;
pub const TLS_PORT: u16 = 8883;

pub fn parse_username(s: &str) -> Result<String, String> {
    validate_username(s).map(|()| s.to_owned()).map_err(|e| e.to_string())
}

/// A room, with an optional leading `#` as people write it in chat.
pub fn parse_room(s: &str) -> Result<String, String> {
    let s = s.strip_prefix('#').unwrap_or(s);
    validate_room(s).map(|()| s.to_owned()).map_err(|e| e.to_string())
}

pub fn parse_port(s: &str) -> Result<u16, String> {
    match s.trim().parse::<u32>() {
        Ok(p @ 1..=65535) => Ok(p as u16),
        _ => Err("the port must be a number from 1 to 65535".into()),
    }
}

pub fn parse_qos(s: &str) -> Result<u8, String> {
    match s.trim() {
        "0" => Ok(0),
        "1" => Ok(1),
        "2" => Ok(2),
        _ => Err("QoS must be 0, 1 or 2".into()),
    }
}

pub fn parse_keep_alive(s: &str) -> Result<u16, String> {
    match s.trim().parse::<u32>() {
        Ok(k @ 1..=65535) => Ok(k as u16),
        _ => Err("keep-alive must be 1 to 65535 seconds".into()),
    }
}

pub fn parse_drain_timeout(s: &str) -> Result<Duration, String> {
    match s.trim().parse::<u32>() {
        Ok(t @ 0..=3600) => Ok(Duration::from_secs(t.into())),
        _ => Err("drain timeout must be 0 to 3600 seconds".into()),
    }
}

pub fn parse_heartbeat(s: &str) -> Result<Duration, String> {
    match s.trim().parse::<u32>() {
        Ok(t @ 10..=3600) => Ok(Duration::from_secs(t.into())),
        _ => Err("heartbeat must be 10 to 3600 seconds".into()),
    }
}

pub fn parse_mqtt(s: &str) -> Result<MqttVersion, String> {
    match s.trim() {
        "auto" => Ok(MqttVersion::Auto),
        "5" | "5.0" => Ok(MqttVersion::V5),
        "3.1.1" | "311" => Ok(MqttVersion::V311),
        _ => Err("the MQTT version must be auto, 5 or 3.1.1".into()),
    }
}

pub fn parse_will_delay(s: &str) -> Result<Duration, String> {
    match s.trim().parse::<u32>() {
        Ok(t @ 0..=3600) => Ok(Duration::from_secs(t.into())),
        _ => Err("will delay must be 0 to 3600 seconds".into()),
    }
}

pub fn parse_session_expiry(s: &str) -> Result<Duration, String> {
    match s.trim().parse::<u32>() {
        Ok(t @ 0..=604_800) => Ok(Duration::from_secs(t.into())),
        _ => Err("session expiry must be 0 to 604800 seconds (a week)".into()),
    }
}

pub fn parse_auto_away(s: &str) -> Result<Duration, String> {
    match s.trim().parse::<u32>() {
        Ok(m @ 0..=1440) => Ok(Duration::from_secs(u64::from(m) * 60)),
        _ => Err("auto-away must be 0 (never) to 1440 minutes".into()),
    }
}

pub fn parse_scrollback(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n @ 1..) => Ok(n),
        _ => Err("scrollback must be a whole number of messages, at least 1".into()),
    }
}

pub fn parse_history_days(s: &str) -> Result<u32, String> {
    match s.trim().parse::<u32>() {
        Ok(n @ 0..=36_500) => Ok(n),
        _ => Err("history-days must be a whole number of days, 0 (for ever) to 36500".into()),
    }
}

pub fn parse_history_size(s: &str) -> Result<u64, String> {
    match s.trim().parse::<u64>() {
        Ok(n @ 0..=1_048_576) => Ok(n),
        _ => Err("history-size must be a whole number of MiB, 0 (no bound) to 1048576".into()),
    }
}

pub fn parse_prefix(s: &str) -> Result<String, String> {
    if s.contains(['+', '#']) || s.starts_with('$') || s.chars().any(char::is_control) {
        return Err("a topic prefix may not contain '+', '#' or control characters, nor start with '$'".into());
    }
    Ok(s.to_owned())
}

/// For environment variables: the usual spellings of yes and no.
pub fn parse_bool(s: &str) -> Result<bool, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err("expected true or false (also 1/0, yes/no, on/off)".into()),
    }
}

/// A colour name (`cyan`, `light-red`, `dark-gray`...), `#rrggbb`, or a
/// 256-colour index. `reset` is refused: it means "no colour" and would hide text.
pub fn parse_color(s: &str) -> Result<Color, String> {
    // ratatui's parser takes the spellings people use ("Dark Grey",
    // "light_red"); the settings keep a colour type of their own.
    match ratatui::style::Color::from_str(s.trim()).map(configured) {
        Ok(None) | Err(_) => Err(format!(
            "unknown colour '{s}': use black, red, green, yellow, blue, magenta, cyan, gray, dark-gray, \
             light-red, light-green, light-yellow, light-blue, light-magenta, light-cyan, white, \
             #rrggbb or a number from 0 to 255"
        )),
        Ok(Some(color)) => Ok(color),
    }
}

/// The settings' colour for ratatui's; `None` for `reset`, which is no colour.
fn configured(color: ratatui::style::Color) -> Option<Color> {
    use ratatui::style::Color as R;
    Some(match color {
        R::Reset => return None,
        R::Black => Color::Black,
        R::Red => Color::Red,
        R::Green => Color::Green,
        R::Yellow => Color::Yellow,
        R::Blue => Color::Blue,
        R::Magenta => Color::Magenta,
        R::Cyan => Color::Cyan,
        R::Gray => Color::Gray,
        R::DarkGray => Color::DarkGray,
        R::LightRed => Color::LightRed,
        R::LightGreen => Color::LightGreen,
        R::LightYellow => Color::LightYellow,
        R::LightBlue => Color::LightBlue,
        R::LightMagenta => Color::LightMagenta,
        R::LightCyan => Color::LightCyan,
        R::White => Color::White,
        R::Indexed(i) => Color::Indexed(i),
        R::Rgb(r, g, b) => Color::Rgb(r, g, b),
    })
}

/// Several brokers, comma-separated (`a:1883,b:1883`), tried in order.
pub fn parse_servers(s: &str) -> Result<Vec<Endpoint>, String> {
    let servers = s.split(',').map(parse_server).collect::<Result<Vec<_>, _>>()?;
    Ok(servers)
}

/// Where the broker is: `-s` takes a host name, `host:port`, or a URL
/// (`mqtt://host:port`, `mqtts://host:port`); the URL's scheme also says
/// whether to use TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub host: String,
    pub port: Option<u16>,
    /// `Some` only when a URL scheme said so.
    pub tls: Option<bool>,
}

pub fn parse_server(s: &str) -> Result<Endpoint, String> {
    let s = s.trim();
    let (tls, rest) = match s.split_once("://") {
        Some((scheme, rest)) => match scheme.to_ascii_lowercase().as_str() {
            "mqtt" => (Some(false), rest),
            "mqtts" => (Some(true), rest),
            other => {
                return Err(format!(
                    "unknown scheme '{other}://' in the server URL: use mqtt:// or mqtts://"
                ))
            }
        },
        None => (None, s),
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.contains('@') {
        // A password in a URL would show in the process list and shell history.
        return Err(
            "the server URL may not hold a login: use --user, and KOMUNIKATOR_PASSWORD or --password-file".into(),
        );
    }
    if rest.contains(['/', '?', '#']) {
        return Err(format!("the server '{s}' has a path or query: give only host and port"));
    }
    let (host, port) = split_host_port(rest, s)?;
    if host.is_empty() {
        return Err(format!("the server '{s}' has no host name"));
    }
    if host.contains(':') && host.parse::<Ipv6Addr>().is_err() {
        return Err(format!(
            "the server '{s}' is not a host name, host:port, nor an address"
        ));
    }
    Ok(Endpoint {
        host: host.to_owned(),
        port,
        tls,
    })
}

/// `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address; `given`
/// is the whole server setting, for the messages.
fn split_host_port<'a>(rest: &'a str, given: &str) -> Result<(&'a str, Option<u16>), String> {
    Ok(if let Some(bracketed) = rest.strip_prefix('[') {
        let (host, after) = bracketed
            .split_once(']')
            .ok_or_else(|| format!("the server '{given}' has an unclosed '['"))?;
        let port = match after {
            "" => None,
            _ => Some(parse_port(
                after
                    .strip_prefix(':')
                    .ok_or_else(|| format!("unexpected '{after}' after ']'"))?,
            )?),
        };
        (host, port)
    } else if rest.parse::<Ipv6Addr>().is_ok() {
        (rest, None)
    } else if rest.matches(':').count() > 1 {
        return Err(format!(
            "the server '{given}' is not a host name, host:port, nor an address"
        ));
    } else {
        match rest.rsplit_once(':') {
            Some((host, port)) => (host, Some(parse_port(port)?)),
            None => (rest, None),
        }
    })
}

pub fn parse_notify(s: &str) -> Result<Notifier, String> {
    match s.trim() {
        "osc9" => Ok(Notifier::Osc9),
        "osc777" => Ok(Notifier::Osc777),
        "off" | "none" => Ok(Notifier::Off),
        _ => Err("notify must be osc9, osc777 or off".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(host: &str, port: Option<u16>, tls: Option<bool>) -> Endpoint {
        Endpoint {
            host: host.into(),
            port,
            tls,
        }
    }

    #[test]
    fn server_forms() {
        let cases = [
            ("localhost", endpoint("localhost", None, None)),
            (
                "broker.example.org:1884",
                endpoint("broker.example.org", Some(1884), None),
            ),
            ("mqtt://h", endpoint("h", None, Some(false))),
            ("mqtt://h:1884/", endpoint("h", Some(1884), Some(false))),
            ("MQTTS://h:8884", endpoint("h", Some(8884), Some(true))),
            ("mqtts://10.0.0.1", endpoint("10.0.0.1", None, Some(true))),
            ("::1", endpoint("::1", None, None)),
            ("[::1]:1884", endpoint("::1", Some(1884), None)),
            ("mqtts://[fe80::1]", endpoint("fe80::1", None, Some(true))),
        ];
        for (text, want) in cases {
            assert_eq!(parse_server(text), Ok(want), "{text}");
        }
    }

    #[test]
    fn bad_servers_name_the_problem() {
        let cases = [
            ("http://h", "use mqtt:// or mqtts://"),
            ("mqtt://alice:secret@h", "may not hold a login"),
            ("mqtt://h/chat", "path"),
            ("mqtt://", "no host"),
            ("h:0", "1 to 65535"),
            ("h:x", "1 to 65535"),
            ("[::1", "unclosed"),
            ("a:b:c", "not a host name"),
        ];
        for (text, needle) in cases {
            let err = parse_server(text).unwrap_err();
            assert!(err.contains(needle), "{text}: {err}");
        }
    }

    #[test]
    fn colours_by_name_hex_or_index() {
        assert_eq!(parse_color("cyan"), Ok(Color::Cyan));
        assert_eq!(parse_color("light-red"), Ok(Color::LightRed));
        assert_eq!(parse_color("Dark Grey"), Ok(Color::DarkGray));
        assert_eq!(parse_color("#ff8000"), Ok(Color::Rgb(255, 128, 0)));
        assert_eq!(parse_color("208"), Ok(Color::Indexed(208)));
        for bad in ["purplish", "", "reset", "#12345", "256"] {
            assert!(parse_color(bad).unwrap_err().contains("unknown colour"), "{bad}");
        }
    }

    #[test]
    fn booleans_for_the_environment() {
        for yes in ["1", "true", "YES", "on"] {
            assert_eq!(parse_bool(yes), Ok(true));
        }
        for no in ["0", "false", "No", "off"] {
            assert_eq!(parse_bool(no), Ok(false));
        }
        assert!(parse_bool("maybe").is_err());
    }
}
