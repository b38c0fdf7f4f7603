//! The log: always a file, never the terminal (the full-screen UI owns it,
//! and line mode's stderr is for the person). One `tracing` subscriber
//! writes it: our own events, the `log` records of libraries (rustls,
//! rumqttc) and the events of the embedded broker (rumqttd). Levels come
//! from `RUST_LOG`, in env_logger's syntax.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tracing::{Event, Subscriber};
use tracing_log::NormalizeEvent;
use tracing_subscriber::filter::{filter_fn, FilterExt, LevelFilter, Targets};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

/// Connection changes and problems from us, only warnings from libraries.
pub const DEFAULT_FILTER: &str = "warn,komunikator=info";

/// The embedded broker's events kept when `RUST_LOG` does not name
/// `rumqttd` (`RUST_LOG=rumqttd=warn` turns them on): none, because rumqttd
/// reports routine events as errors (every disconnection, and the probe that
/// checks it accepts connections), and `RUST_LOG=debug` is meant for the
/// client, not for the broker's per-packet debug events.
const BROKER: &str = "rumqttd";
const BROKER_LEVEL: LevelFilter = LevelFilter::OFF;

/// A log larger than this is moved aside to `<name>.old` at start, so it
/// cannot grow without bound.
const ROTATE_AT: u64 = 4 * 1024 * 1024;

/// Starts logging to `path`; on failure nothing is logged and the caller
/// gets the reason to tell the person.
pub fn init(path: &Path) -> Result<(), String> {
    let file = open(path).map_err(|e| format!("cannot open the log file {}: {e}; logging is off", path.display()))?;
    let spec = std::env::var("RUST_LOG").unwrap_or_else(|_| DEFAULT_FILTER.to_owned());
    // Spans are never written, and rumqttd enters several per packet: they
    // are not even recorded. The hint keeps the level check of `log` records
    // as cheap as env_logger made it.
    let events_only = filter_fn(|meta| meta.is_event()).with_max_level_hint(LevelFilter::TRACE);
    let layer = tracing_subscriber::fmt::layer()
        .event_format(LogLine)
        // A file, not a terminal (rumqttd turns colours on by default).
        .with_ansi(false)
        .with_writer(Mutex::new(file))
        .with_filter(targets(&spec).and(events_only));
    tracing_subscriber::registry()
        .with(layer)
        .try_init()
        .map_err(|e| format!("cannot start logging: {e}"))
}

/// The levels a `RUST_LOG` spec asks for: `level`, `target`, `target=level`,
/// comma-separated, as env_logger read them (a bad directive is skipped with
/// a warning; a `/filter` suffix is not supported and skipped too).
fn targets(spec: &str) -> Targets {
    let (directives, text_filter) = spec.split_once('/').unwrap_or((spec, ""));
    if !text_filter.is_empty() {
        eprintln!("warning: invalid logging spec '/{text_filter}' (no text filter), ignoring it");
    }
    let mut targets = Targets::new();
    let mut any = false;
    let mut broker_named = false;
    for directive in directives.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        let (target, level) = match directive.split_once('=') {
            None => match directive.parse::<LevelFilter>() {
                Ok(level) => (None, level),
                Err(_) => (Some(directive), LevelFilter::TRACE),
            },
            Some((target, "")) => (Some(target), LevelFilter::TRACE),
            Some((target, level)) => match level.trim().parse::<LevelFilter>() {
                Ok(level) => (Some(target), level),
                Err(_) => {
                    eprintln!("warning: invalid logging spec '{}', ignoring it", level.trim());
                    continue;
                }
            },
        };
        any = true;
        targets = match target {
            Some(target) => {
                broker_named |= target.starts_with(BROKER);
                targets.with_target(target, level)
            }
            None => targets.with_default(level),
        };
    }
    if !any {
        // env_logger's rule: a spec that names nothing keeps errors only.
        targets = targets.with_default(LevelFilter::ERROR);
    }
    if !broker_named {
        targets = targets.with_target(BROKER, BROKER_LEVEL);
    }
    targets
}

/// `2026-11-25T14:00:00.000Z INFO  komunikator::net: connected to …`: the
/// line format the log has always had.
struct LogLine;

impl<S, N> FormatEvent<S, N> for LogLine
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(&self, ctx: &FmtContext<'_, S, N>, mut writer: Writer<'_>, event: &Event<'_>) -> std::fmt::Result {
        // A `log` record's own target, not the bridge's.
        let normalized = event.normalized_metadata();
        let meta = normalized.as_ref().unwrap_or_else(|| event.metadata());
        write!(
            writer,
            "{} {:<5} {}: ",
            chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ"),
            meta.level(),
            meta.target()
        )?;
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

fn open(path: &Path) -> std::io::Result<File> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    if std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() > ROTATE_AT) {
        let mut old = PathBuf::from(path);
        old.as_mut_os_string().push(".old");
        std::fs::rename(path, old)?;
    }
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        // Server and user names are nobody else's business.
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn opening_creates_the_directory_and_rotates_a_big_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state").join("komunikator.log");
        drop(open(&path).unwrap());
        assert!(path.exists());
        std::fs::write(&path, vec![b'x'; ROTATE_AT as usize + 1]).unwrap();
        let mut file = open(&path).unwrap();
        writeln!(file, "fresh").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "fresh\n");
        assert!(dir.path().join("state").join("komunikator.log.old").exists());
    }

    #[test]
    fn specs_read_as_env_logger_read_them() {
        let show = |spec: &str| targets(spec).to_string();
        // Targets lists the default level last.
        assert_eq!(show(DEFAULT_FILTER), "komunikator=info,rumqttd=off,warn");
        assert_eq!(show("debug"), "rumqttd=off,debug");
        assert_eq!(show("rustls=debug"), "rumqttd=off,rustls=debug");
        assert_eq!(show("rustls"), "rumqttd=off,rustls=trace");
        assert_eq!(show(""), "rumqttd=off,error");
        assert_eq!(show("info,rumqttd=error"), "rumqttd=error,info");
        assert_eq!(show("info,komunikator=loud"), "rumqttd=off,info");
    }
}
