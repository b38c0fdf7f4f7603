//! The ordinary settings, one row each. A row is the only place such a
//! setting is declared: `declared.rs` makes its flag, its `Layer` field, its
//! environment variable, its pick in `merge` (flag > environment > config
//! file > default), its `--print-config` line and its catalog entry from it;
//! `file.rs` makes its config-file key. Adding one: a row here, and the field
//! of the same name in `Settings` (its type must implement `Default`).
//!
//! A row, in this order:
//! - `///` lines: the flag's `--help` text.
//! - `field: T`: the name in `Layer` and `Settings`; `T` is what the sources give.
//! - `flag: C [clap args] => C -> Option<T>`: the clap field's type, the
//!   `#[arg]` contents beside `long = key` (which is implied; `named "no-x"`
//!   after the brackets names the flag otherwise), and how the
//!   flag's value becomes the command line's say. `display_order` places it
//!   among the flags in `cli::Cli`, numbered in tens.
//! - `env: ["VARIABLE", "what it sets, for --help", &str -> Result<T, String>]`, or `env: []`.
//! - `key: "config-key", R => R -> Result<T, String>`: the key (also the
//!   long flag), the TOML type read, and its check.
//! - `settings: T -> S, default &Sources -> S`: the value `Settings` keeps,
//!   and the value when no source gives one.
//! - `print: &S -> Option<String>`: the TOML value `--print-config` shows; `None`: not set.
//!
//! Names in rows resolve where the rows are expanded (`declared.rs`,
//! `file.rs`), which import `parse::*`, `PathBuf` and `Duration`.
//!
//! Special settings stay written by hand, each for a reason:
//! - `username`: a positional argument, not a flag.
//! - `server`, `port`, `tls`: a server URL may carry port and scheme (checked
//!   against the same layer), the port's default follows TLS, and `--serve`
//!   replaces all three; `--tls`/`--no-tls` are one setting with two flags.
//! - `ca-file`, `cert`, `key`: land in `Settings::tls` only with TLS on, in pairs.
//! - `user`, `password`, `password-file`: land in `Settings::login`; the
//!   password is never a flag nor a key and never shows.
//! - `rooms`: a repeated flag, de-duplicated, with a default list.
//! - `colors.*`: config-file only, in a `[colors]` table.
//! - `--config`, `--print-config`, `--no-tui`, `--json`, `--serve`, `--bind`:
//!   say what to do, not how; they are no settings of the chat.

/// One setting's names; `None`: it cannot be given that way.
#[derive(Debug, Clone, Copy)]
pub struct Setting {
    /// In the config file and `--print-config` (dotted for tables: `colors.own`).
    pub key: Option<&'static str>,
    pub variable: Option<&'static str>,
    /// As `--help` and the README write it: `--server`, or `USERNAME` for the positional.
    pub flag: Option<&'static str>,
    /// What the variable sets, for `--help`.
    pub variable_help: &'static str,
}

/// Feeds the rows to `$generate` (a macro that matches the row grammar above).
macro_rules! settings_table {
    ($generate:ident) => {
        $generate! {
            /// MQTT quality of service for chat messages: 0, 1 or 2 [default: 1]
            qos: u8 {
                flag: Option<u8> [value_name = "0|1|2", value_parser = parse_qos, display_order = 40] => |v| v,
                env: [],
                key: "qos", i64 => |n| parse_qos(&n.to_string()),
                settings: |v| v, default |_| 1,
                print: |v| Some(v.to_string()),
            },
            /// Seconds between keep-alive pings; a dead link is noticed within about twice this [default: 30]
            keep_alive: u16 {
                flag: Option<u16> [value_name = "SECONDS", value_parser = parse_keep_alive, display_order = 50] => |v| v,
                env: [],
                key: "keep-alive", i64 => |n| parse_keep_alive(&n.to_string()),
                settings: |v| v, default |_| 30,
                print: |v| Some(v.to_string()),
            },
            /// When quitting, how long to wait for unsent messages while the broker cannot be reached (the clock restarts whenever one is acknowledged); 0 = do not wait [default: 10]
            drain_timeout: Duration {
                flag: Option<Duration> [value_name = "SECONDS", value_parser = parse_drain_timeout, display_order = 60] => |v| v,
                env: ["KOMUNIKATOR_DRAIN_TIMEOUT", "seconds quitting waits for unsent messages", parse_drain_timeout],
                key: "drain-timeout", i64 => |n| parse_drain_timeout(&n.to_string()),
                settings: |v| v, default |_| DEFAULT_DRAIN_TIMEOUT,
                print: |v: &Duration| Some(v.as_secs().to_string()),
            },
            /// Put every topic under this prefix (e.g. "acme/"), so several chat networks can share a broker
            topic_prefix: String {
                flag: Option<String> [value_name = "PREFIX", value_parser = parse_prefix, display_order = 110] => |v| v,
                env: ["KOMUNIKATOR_TOPIC_PREFIX", "prefix for every topic", parse_prefix],
                key: "topic-prefix", String => |s| parse_prefix(&s),
                settings: |v| v, default |_| String::new(),
                print: |v: &String| Some(toml_string(v)),
            },
            /// Ring no terminal bell when someone mentions your name or writes to you directly [default: it rings]
            bell: bool {
                flag: bool [display_order = 90] named "no-bell" => |off: bool| off.then_some(false),
                env: [],
                key: "bell", bool => Ok,
                settings: |v| v, default |_| true,
                print: |v| Some(v.to_string()),
            },
            /// Seconds between presence heartbeats: others see your "last seen" at most this early after a lost connection, and drop you this long times 2.5 after the heartbeats stop [default: 60]
            heartbeat: Duration {
                flag: Option<Duration> [value_name = "SECONDS", value_parser = parse_heartbeat, display_order = 65] => |v| v,
                env: [],
                key: "heartbeat", i64 => |n| parse_heartbeat(&n.to_string()),
                settings: |v| v, default |_| Duration::from_secs(60),
                print: |v: &Duration| Some(v.as_secs().to_string()),
            },
            /// Mark yourself away after this many minutes without typing (the next key brings you back); 0 = never [default: 0]
            auto_away: Duration {
                flag: Option<Duration> [value_name = "MINUTES", value_parser = parse_auto_away, display_order = 95] => |v| v,
                env: [],
                key: "auto-away", i64 => |n| parse_auto_away(&n.to_string()),
                settings: |v: Duration| (!v.is_zero()).then_some(v), default |_| None,
                print: |v: &Option<Duration>| v.map(|d| (d.as_secs() / 60).to_string()),
            },
            /// MQTT version: auto (5, and 3.1.1 with a broker that refuses 5), 5, or 3.1.1 [default: auto]
            mqtt: MqttVersion {
                flag: Option<MqttVersion> [value_name = "auto|5|3.1.1", value_parser = parse_mqtt, display_order = 45] => |v| v,
                env: ["KOMUNIKATOR_MQTT", "the MQTT version: auto, 5 or 3.1.1", parse_mqtt],
                key: "mqtt", String => |s| parse_mqtt(&s),
                settings: |v| v, default |_| MqttVersion::Auto,
                print: |v: &MqttVersion| Some(toml_string(v.as_str())),
            },
            /// MQTT 5: seconds the broker holds back your "lost the connection" after a drop; reconnecting sooner never shows you offline [default: 5]
            will_delay: Duration {
                flag: Option<Duration> [value_name = "SECONDS", value_parser = parse_will_delay, display_order = 66] => |v| v,
                env: [],
                key: "will-delay", i64 => |n| parse_will_delay(&n.to_string()),
                settings: |v| v, default |_| Duration::from_secs(5),
                print: |v: &Duration| Some(v.as_secs().to_string()),
            },
            /// MQTT 5: seconds the broker keeps your subscriptions while you are disconnected, so what was said meanwhile arrives when you are back [default: 3600]
            session_expiry: Duration {
                flag: Option<Duration> [value_name = "SECONDS", value_parser = parse_session_expiry, display_order = 67] => |v| v,
                env: [],
                key: "session-expiry", i64 => |n| parse_session_expiry(&n.to_string()),
                settings: |v| v, default |_| Duration::from_secs(3600),
                print: |v: &Duration| Some(v.as_secs().to_string()),
            },
            /// Messages kept per room in the full-screen UI [default: 10000]
            scrollback: usize {
                flag: Option<usize> [value_name = "N", value_parser = parse_scrollback, display_order = 100] => |v| v,
                env: [],
                key: "scrollback", i64 => |n| parse_scrollback(&n.to_string()),
                settings: |v| v, default |_| 10_000,
                print: |v| Some(v.to_string()),
            },
            /// Keep no local history: conversations are not stored on disk, and what is stored stays [default: kept]
            store_history: bool {
                flag: bool [display_order = 240] named "no-history" => |off: bool| off.then_some(false),
                env: [],
                key: "history", bool => Ok,
                settings: |v| v, default |_| true,
                print: |v| Some(v.to_string()),
            },
            /// Stored messages older than this many days are deleted; 0 = kept for ever [default: 365]
            history_days: u32 {
                flag: Option<u32> [value_name = "DAYS", value_parser = parse_history_days, display_order = 241] => |v| v,
                env: [],
                key: "history-days", i64 => |n| parse_history_days(&n.to_string()),
                settings: |v| v, default |_| 365,
                print: |v| Some(v.to_string()),
            },
            /// The local history is kept under this many MiB, the oldest messages going first; 0 = no bound [default: 1024]
            history_size: u64 {
                flag: Option<u64> [value_name = "MIB", value_parser = parse_history_size, display_order = 242] => |v| v,
                env: [],
                key: "history-size", i64 => |n| parse_history_size(&n.to_string()),
                settings: |v| v, default |_| 1024,
                print: |v| Some(v.to_string()),
            },
            /// With --serve: run no history keeper beside the broker (late joiners then see no backlog) [default: a keeper runs]
            keeper: bool {
                flag: bool [display_order = 225] named "no-keeper" => |off: bool| off.then_some(false),
                env: [],
                key: "keeper", bool => Ok,
                settings: |v| v, default |_| true,
                print: |v| Some(v.to_string()),
            },
            /// Write the log here [default: ~/.local/state/komunikator/komunikator.log]; level from RUST_LOG
            log_file: PathBuf {
                flag: Option<PathBuf> [value_name = "PATH", display_order = 230] => |v| v,
                env: ["KOMUNIKATOR_LOG_FILE", "where the log goes", |s| Ok(PathBuf::from(s))],
                key: "log-file", PathBuf => Ok,
                settings: Some, default |sources| sources.default_log_file.clone(),
                print: |v: &Option<PathBuf>| v.as_deref().map(|p| toml_string(&p.display().to_string())),
            },
            /// Desktop notifications on mentions and direct messages, through the terminal: osc9, osc777 or off [default: off]
            notify: Notifier {
                flag: Option<Notifier> [value_name = "osc9|osc777|off", value_parser = parse_notify, display_order = 91] => |v| v,
                env: [],
                key: "notify", String => |s| parse_notify(&s),
                settings: |v| v, default |_| Notifier::Off,
                print: |v: &Notifier| Some(toml_string(v.as_str())),
            },
            /// Colours for a dark or a light terminal background; auto reads COLORFGBG and falls back to dark [default: auto]
            theme: Theme {
                flag: Option<Theme> [value_name = "auto|dark|light", value_parser = parse_theme, display_order = 250] => |v| v,
                env: [],
                key: "theme", String => |s| parse_theme(&s),
                settings: |v| v, default |_| Theme::Auto,
                print: |v: &Theme| Some(toml_string(v.as_str())),
            },
            /// How the times beside messages show: a strftime format at most 12 columns wide, e.g. "%H:%M:%S" or "%I:%M %p" [default: %H:%M]
            time_format: String {
                flag: Option<String> [value_name = "FORMAT", value_parser = parse_time_format, display_order = 251] => |v| v,
                env: [],
                key: "time-format", String => |s| parse_time_format(&s),
                settings: |v| v, default |_| DEFAULT_TIME_FORMAT.to_owned(),
                print: |v: &String| Some(toml_string(v)),
            },
        }
    };
}

pub(super) use settings_table;
