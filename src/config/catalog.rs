//! Every setting by name: its config-file key, environment variable and
//! flag. The special settings are listed here; the ordinary ones come from
//! their rows in `table.rs`. `--help` lists the variables from it, and tests hold
//! the README's tables, the flags clap knows, the keys the config file takes
//! and `--print-config` to it (see `catalog_tests`).

pub use super::table::Setting;

const fn setting(
    key: Option<&'static str>,
    variable: Option<&'static str>,
    flag: Option<&'static str>,
    variable_help: &'static str,
) -> Setting {
    Setting {
        key,
        variable,
        flag,
        variable_help,
    }
}

#[rustfmt::skip]
const SPECIAL_BEFORE: &[Setting] = &[
    setting(Some("username"), Some("KOMUNIKATOR_USERNAME"), Some("USERNAME"), "your name in the chat"),
    setting(Some("server"), Some("KOMUNIKATOR_SERVER"), Some("--server"), "broker host, host:port or mqtt(s):// URL; several, comma-separated"),
    setting(Some("port"), Some("KOMUNIKATOR_PORT"), Some("--port"), "broker port"),
    setting(Some("tls"), Some("KOMUNIKATOR_TLS"), Some("--tls"), "true/false"),
    setting(Some("ca-file"), Some("KOMUNIKATOR_CA_FILE"), Some("--ca-file"), "PEM file of the CA to trust"),
    setting(Some("cert"), Some("KOMUNIKATOR_CERT"), Some("--cert"), "PEM client certificate (mutual TLS)"),
    setting(Some("key"), Some("KOMUNIKATOR_KEY"), Some("--key"), "PEM client key (mutual TLS)"),
    setting(Some("user"), Some("KOMUNIKATOR_USER"), Some("--user"), "broker login name"),
    // Never a flag nor a key: arguments show in the process list, files get shared.
    setting(None, Some("KOMUNIKATOR_PASSWORD"), None, "broker login password"),
    setting(Some("password-file"), Some("KOMUNIKATOR_PASSWORD_FILE"), Some("--password-file"), "file whose first line is the password"),
    setting(Some("rooms"), None, Some("--room"), ""),
];

#[rustfmt::skip]
const SPECIAL_AFTER: &[Setting] = &[
    setting(Some("colors.own"), None, None, ""),
    setting(Some("colors.others"), None, None, ""),
    setting(Some("colors.mention"), None, None, ""),
    setting(Some("colors.notice"), None, None, ""),
    // Picks the file the other settings come from.
    setting(None, Some("KOMUNIKATOR_CONFIG"), Some("--config"), "config file to read instead of the default"),
];

/// Every setting, special and ordinary.
pub fn settings() -> impl Iterator<Item = &'static Setting> {
    SPECIAL_BEFORE
        .iter()
        .chain(super::declared::CATALOG)
        .chain(SPECIAL_AFTER)
}

/// Every environment variable read, with what it sets (for `--help`).
pub fn variables() -> impl Iterator<Item = (&'static str, &'static str)> {
    settings().filter_map(|s| s.variable.map(|name| (name, s.variable_help)))
}
