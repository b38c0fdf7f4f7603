//! What the rows of `table.rs` become: the flags (flattened into `cli::Cli`),
//! the layer's fields, the environment's reading, the picks of `merge`, the
//! `--print-config` lines and the catalog entries. The config-file keys are
//! made in `file.rs`, whose struct must also hold the special keys.

use std::path::PathBuf;
use std::time::Duration;

use super::parse::*;
use super::table::settings_table;
use super::table::Setting;
use super::{toml_string, ConfigError, Origin, Picker, Sources, DEFAULT_DRAIN_TIMEOUT};
use crate::settings::{MqttVersion, Settings};

// The helpers below give the rows' closures their argument types.
fn convert<A, B>(to: impl FnOnce(A) -> B, value: A) -> B {
    to(value)
}

fn default_value<S>(default: impl FnOnce(&Sources) -> S, sources: &Sources) -> S {
    default(sources)
}

fn printed<S>(print: impl FnOnce(&S) -> Option<String>, value: &S) -> Option<String> {
    print(value)
}

const fn optional(names: &[&'static str]) -> Option<&'static str> {
    match names {
        [name] => Some(name),
        _ => None,
    }
}

/// The long flag of a row: its key, or the name it gives (`named "no-history"`).
macro_rules! long_of {
    ($key:tt) => {
        $key
    };
    ($key:tt $name:tt) => {
        $name
    };
}

/// [`long_of`] with its dashes, as the catalog writes flags.
macro_rules! flag_of {
    ($key:tt) => {
        concat!("--", $key)
    };
    ($key:tt $name:tt) => {
        concat!("--", $name)
    };
}

macro_rules! declare {
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
        /// The flags of the ordinary settings; `cli::Cli` flattens them in.
        #[derive(Debug, clap::Args)]
        pub struct DeclaredFlags {
            $(
                $(#[doc = $help])*
                #[arg(long = long_of!($key $($flag_name)?), $($arg)*)]
                $field: $flag_ty,
            )*
        }

        impl DeclaredFlags {
            pub fn into_layer(self) -> Declared {
                Declared {
                    $($field: convert($from_flag, self.$field),)*
                }
            }
        }

        /// One source's say on the ordinary settings; `None`: it does not say.
        #[derive(Debug, Clone, Default, PartialEq)]
        pub struct Declared {
            $(pub $field: Option<$ty>,)*
        }

        /// The ordinary settings' variables, read with `get` (empty counts as unset).
        pub(super) fn from_environment(get: &impl Fn(&str) -> Option<String>) -> Result<Declared, ConfigError> {
            Ok(Declared {
                // `None` for a setting without a variable.
                $($field: None $(.or(super::error::checked($variable, get($variable), $from_env)?))?,)*
            })
        }

        /// Each ordinary setting from the strongest layer that has it, else its default.
        pub(super) fn pick_into(picker: &mut Picker<'_>, sources: &Sources, settings: &mut Settings) {
            $(
                settings.$field = match picker.pick($key, |layer| &layer.declared.$field) {
                    Some(value) => convert($land, value),
                    None => {
                        picker.origins.insert($key, Origin::Default);
                        default_value($default, sources)
                    }
                };
            )*
        }

        /// The ordinary settings' `--print-config` lines, made by `entry`.
        pub(super) fn print(settings: &Settings, entry: impl Fn(&str, Option<String>) -> String) -> String {
            let mut out = String::new();
            $(out += &entry($key, printed($print, &settings.$field));)*
            out
        }

        /// The ordinary settings' catalog entries.
        pub(super) const CATALOG: &[Setting] = &[$(
            Setting {
                key: Some($key),
                variable: optional(&[$($variable)?]),
                flag: Some(flag_of!($key $($flag_name)?)),
                variable_help: match optional(&[$($variable_help)?]) {
                    Some(help) => help,
                    None => "",
                },
            },
        )*];
    };
}

settings_table!(declare);
