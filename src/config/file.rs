//! The config file (TOML). Every value is checked while it is read, so an
//! error points at the file, line and key; unknown keys are errors, since a
//! misspelt key silently ignored would leave a setting at its default.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::de::{Deserializer, Error as _};
use serde::Deserialize;

use super::parse::{
    parse_color, parse_drain_timeout, parse_keep_alive, parse_port, parse_prefix, parse_qos, parse_room,
    parse_scrollback, parse_server, parse_username, Endpoint,
};
use super::{FileError, Layer};
use crate::settings::{Color, Colors};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct FileConfig {
    #[serde(default, deserialize_with = "username")]
    username: Option<String>,
    #[serde(default, deserialize_with = "server")]
    server: Option<Endpoint>,
    #[serde(default, deserialize_with = "port")]
    port: Option<u16>,
    tls: Option<bool>,
    ca_file: Option<PathBuf>,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
    user: Option<String>,
    password_file: Option<PathBuf>,
    #[serde(default, deserialize_with = "rooms")]
    rooms: Option<Vec<String>>,
    #[serde(default, deserialize_with = "qos")]
    qos: Option<u8>,
    #[serde(default, deserialize_with = "keep_alive")]
    keep_alive: Option<u16>,
    #[serde(default, deserialize_with = "drain_timeout")]
    drain_timeout: Option<Duration>,
    #[serde(default, deserialize_with = "topic_prefix")]
    topic_prefix: Option<String>,
    bell: Option<bool>,
    #[serde(default, deserialize_with = "scrollback")]
    scrollback: Option<usize>,
    log_file: Option<PathBuf>,
    #[serde(default, alias = "colours")]
    colors: FileColors,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileColors {
    #[serde(default, deserialize_with = "color")]
    own: Option<Color>,
    #[serde(default, deserialize_with = "color")]
    others: Option<Color>,
    #[serde(default, deserialize_with = "color")]
    mention: Option<Color>,
    #[serde(default, deserialize_with = "color")]
    notice: Option<Color>,
}

/// A field read as `$raw` and checked by `$check`, whose message becomes the
/// error (toml adds where it is).
macro_rules! checked {
    ($name:ident: $raw:ty => $out:ty, $check:expr) => {
        fn $name<'de, D: Deserializer<'de>>(d: D) -> Result<Option<$out>, D::Error> {
            let raw = <$raw>::deserialize(d)?;
            let check: fn($raw) -> Result<$out, String> = $check;
            check(raw).map(Some).map_err(D::Error::custom)
        }
    };
}

checked!(username: String => String, |s| parse_username(&s));
checked!(server: String => Endpoint, |s| parse_server(&s));
checked!(port: i64 => u16, |n| parse_port(&n.to_string()));
checked!(rooms: Vec<String> => Vec<String>, |rooms| rooms.iter().map(|r| parse_room(r)).collect());
checked!(qos: i64 => u8, |n| parse_qos(&n.to_string()));
checked!(keep_alive: i64 => u16, |n| parse_keep_alive(&n.to_string()));
checked!(drain_timeout: i64 => Duration, |n| parse_drain_timeout(&n.to_string()));
checked!(topic_prefix: String => String, |s| parse_prefix(&s));
checked!(scrollback: i64 => usize, |n| parse_scrollback(&n.to_string()));
checked!(color: String => Color, |s| parse_color(&s));

/// Reads the config file's text into a layer; `path` only names it in errors.
pub fn parse(text: &str, path: &Path) -> Result<Layer, FileError> {
    let file: FileConfig = toml::from_str(text).map_err(|e| locate(&e, text, path))?;
    Ok(Layer {
        username: file.username,
        server: file.server,
        port: file.port,
        tls: file.tls,
        ca_file: file.ca_file,
        cert: file.cert,
        key: file.key,
        user: file.user,
        password: None,
        password_file: file.password_file,
        rooms: file.rooms,
        qos: file.qos,
        keep_alive: file.keep_alive,
        drain_timeout: file.drain_timeout,
        topic_prefix: file.topic_prefix,
        bell: file.bell,
        scrollback: file.scrollback,
        log_file: file.log_file,
        colors: Colors {
            own: file.colors.own,
            others: file.colors.others,
            mention: file.colors.mention,
            notice: file.colors.notice,
        },
    })
}

/// Where in the file the error is: its line and the key there.
fn locate(err: &toml::de::Error, text: &str, path: &Path) -> FileError {
    // toml's message may span lines (a snippet of the file); the user gets one.
    let message: Vec<&str> = err.message().lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let mut error = FileError {
        path: path.to_owned(),
        line: None,
        key: None,
        message: message.join("; "),
    };
    if let Some(span) = err.span() {
        let line = text[..span.start.min(text.len())].matches('\n').count();
        error.line = Some(line + 1);
        error.key = key_at(text, line);
    }
    error
}

/// The dotted key whose value is on line `index` (0-based): the nearest
/// `key =` at or above it, under the nearest `[table]` above that.
fn key_at(text: &str, index: usize) -> Option<String> {
    let lines: Vec<&str> = text.lines().take(index + 1).collect();
    let mut key = None;
    for (i, line) in lines.iter().enumerate().rev() {
        let line = line.trim();
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        if let Some(header) = table_header(line) {
            return Some(match key {
                Some(key) => format!("{header}.{key}"),
                None if i == index => header,
                None => return None,
            });
        }
        if key.is_none() {
            if let Some((left, _)) = line.split_once('=') {
                key = Some(left.trim().trim_matches(['"', '\'']).to_owned());
            }
        }
    }
    key
}

fn table_header(line: &str) -> Option<String> {
    let inner = line.strip_prefix('[')?.split(']').next()?;
    Some(inner.trim().trim_matches('[').trim().to_owned())
}
