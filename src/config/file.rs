//! The config file (TOML). Every value is checked while it is read, so an
//! error points at the file, line and key; unknown keys are errors, since a
//! misspelt key silently ignored would leave a setting at its default.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::de::{Deserializer, Error as _};
use serde::Deserialize;

use super::declared::Declared;
use super::parse::*;
use super::table::settings_table;
use super::{FileError, Layer};
use crate::settings::{Color, Colors, MqttVersion};

/// The file's keys: the special settings' written here, the ordinary
/// settings' from `table.rs`. One struct, since serde lists the keys it
/// expects (in this order) when it meets an unknown one, and cannot both
/// refuse unknown keys and flatten a second struct in.
macro_rules! file_config {
    ($(
        $(#[doc = $help:tt])*
        $field:ident: $ty:ty {
            flag: $flag_ty:ty [$($arg:tt)*] $(named $flag_name:tt)? => $from_flag:expr,
            env: [$($variable:tt, $variable_help:tt, $from_env:expr)?],
            key: $key:tt, $raw:ty => $from_file:expr,
            settings: $land:expr, default $default:expr,
            print: $print:expr,
        },
    )*) => {
        #[derive(Debug, Default, Deserialize)]
        #[serde(deny_unknown_fields, rename_all = "kebab-case")]
        struct FileConfig {
            #[serde(default, deserialize_with = "username")]
            username: Option<String>,
            #[serde(default, deserialize_with = "server")]
            server: Option<Vec<Endpoint>>,
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
            $(
                #[serde(default, rename = $key)]
                $field: Option<$field::Checked>,
            )*
            #[serde(default, alias = "colours")]
            colors: FileColors,
        }

        // One module per ordinary setting, named after it: its value read as
        // the row's TOML type and checked by the row's check.
        $(
            mod $field {
                use serde::de::Error as _;

                use super::*;

                #[derive(Debug)]
                pub(super) struct Checked(pub(super) $ty);

                impl<'de> Deserialize<'de> for Checked {
                    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                        let check: fn($raw) -> Result<$ty, String> = $from_file;
                        check(<$raw>::deserialize(d)?).map(Checked).map_err(D::Error::custom)
                    }
                }
            }
        )*

        fn take_declared(file: &mut FileConfig) -> Declared {
            Declared {
                $($field: file.$field.take().map(|checked| checked.0),)*
            }
        }
    };
}

settings_table!(file_config);

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
checked!(server: String => Vec<Endpoint>, |s| parse_servers(&s));
checked!(port: i64 => u16, |n| parse_port(&n.to_string()));
checked!(rooms: Vec<String> => Vec<String>, |rooms| rooms.iter().map(|r| parse_room(r)).collect());
checked!(color: String => Color, |s| parse_color(&s));

/// Reads the config file's text into a layer; `path` only names it in errors.
pub fn parse(text: &str, path: &Path) -> Result<Layer, FileError> {
    let mut file: FileConfig = toml::from_str(text).map_err(|e| locate(&e, text, path))?;
    let declared = take_declared(&mut file);
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
        declared,
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
