//! A history keeper (docs/protocol.md, "History keeper"): an MQTT client
//! that keeps the chat messages of rooms and answers history requests, so
//! that someone who was never in a room sees its recent messages on joining.
//!
//! Run by `komunikator-broker` and `--serve` hosts next to their broker, and
//! by anyone with `komunikator --keep-history`. [`logic`](Keeper) decides
//! (pure but for its archive); `link` carries it over MQTT.

mod link;
mod logic;
mod rate;

#[cfg(test)]
mod logic_tests;

use std::path::PathBuf;
use std::thread::JoinHandle;

use komunikator_history::Archive;

use crate::protocol::Topics;
use crate::settings::Server;

pub use logic::{Keeper, KEPT_FOR, KEPT_PER_ROOM, PRUNE_EVERY};

/// Where and what a keeper keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeeperConfig {
    /// The broker to keep the rooms of.
    pub server: Server,
    /// The network's topic prefix (`acme/`), or empty.
    pub topic_prefix: String,
    /// The rooms to keep; `None`: every room.
    pub rooms: Option<Vec<String>>,
    /// The archive file (see [`default_archive`]).
    pub archive: PathBuf,
    /// MQTT username and password, when the broker asks for them.
    pub login: Option<(String, String)>,
}

/// Why a keeper cannot start; each reads as one line.
#[derive(Debug, thiserror::Error)]
pub enum KeeperError {
    #[error("cannot keep history in {}: {detail}", path.display())]
    Archive { path: PathBuf, detail: String },
    #[error("cannot keep history: cannot start its thread ({0})")]
    NoThread(#[source] std::io::Error),
    #[error("cannot keep history: cannot start its runtime ({0})")]
    NoRuntime(#[source] std::io::Error),
}

/// The default archive for a keeper of `server` (`host:port`):
/// `<data dir>/komunikator/keeper/<host_port>.sqlite3`, in the temporary
/// directory when there is no data directory.
pub fn default_archive(server: &str) -> PathBuf {
    // ':' (and anything else a file name should not hold) becomes '_'.
    let file: String = server
        .chars()
        .map(|c| match c {
            c if c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '[' | ']') => c,
            _ => '_',
        })
        .collect();
    dirs::data_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("komunikator")
        .join("keeper")
        .join(format!("{file}.sqlite3"))
}

/// How the keeper names itself in replies: `<program>@<host>`.
fn keeper_name() -> String {
    let program = std::env::current_exe()
        .ok()
        .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "komunikator".into());
    // Linux; elsewhere the name goes without it.
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let host = host.trim();
    let name = if host.is_empty() {
        program
    } else {
        format!("{program}@{host}")
    };
    name.chars().take(crate::protocol::history::MAX_KEEPER_CHARS).collect()
}

/// Opens (creating) the archive and prunes it once.
fn open(config: &KeeperConfig) -> Result<Keeper, KeeperError> {
    let failed = |detail: String| KeeperError::Archive {
        path: config.archive.clone(),
        detail,
    };
    if let Some(dir) = config.archive.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| failed(format!("cannot create {}: {e}", dir.display())))?;
    }
    let archive = Archive::open(&config.archive).map_err(|e| failed(e.to_string()))?;
    let now = chrono::Utc::now();
    let mut keeper = Keeper::new(
        archive,
        Topics::new(&config.topic_prefix),
        config.rooms.clone(),
        keeper_name(),
        fastrand::u64(..),
        now,
    );
    let forgotten = keeper.prune(now);
    tracing::info!(
        "keeper: keeping history of {} on {} in {} ({forgotten} old messages forgotten)",
        config.rooms.as_ref().map_or("every room".to_owned(), |r| r.join(", ")),
        config.server,
        config.archive.display()
    );
    Ok(keeper)
}

/// Runs a keeper until the process ends; returns only when its archive
/// cannot be opened (logged). Archive calls block: run it on a runtime of
/// its own ([`spawn_thread`] does).
pub async fn run(config: KeeperConfig) {
    match open(&config) {
        Ok(keeper) => link::serve(keeper, &config).await,
        Err(why) => tracing::error!("keeper: {why}"),
    }
}

/// Opens the archive here (so that a failure can be told at once) and runs
/// the keeper on a thread of its own, with a current-thread runtime.
pub fn start(config: KeeperConfig) -> Result<JoinHandle<()>, KeeperError> {
    let keeper = open(&config)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(KeeperError::NoRuntime)?;
    std::thread::Builder::new()
        .name("keeper".into())
        .spawn(move || runtime.block_on(link::serve(keeper, &config)))
        .map_err(KeeperError::NoThread)
}

/// [`run`] on a thread of its own, with a current-thread runtime; a
/// failure to start is logged. (Use [`start`] to be told of it.)
pub fn spawn_thread(config: KeeperConfig) -> JoinHandle<()> {
    std::thread::Builder::new()
        .name("keeper".into())
        .spawn(
            move || match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(runtime) => runtime.block_on(run(config)),
                Err(e) => tracing::error!("keeper: {}", KeeperError::NoRuntime(e)),
            },
        )
        .expect("the system starts a thread")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_archive_is_named_after_the_server() {
        let path = default_archive("127.0.0.1:1883");
        assert!(path.ends_with("komunikator/keeper/127.0.0.1_1883.sqlite3"), "{path:?}");
        let v6 = default_archive("[::1]:1883");
        assert!(v6.ends_with("keeper/[__1]_1883.sqlite3"), "{v6:?}");
        assert!(default_archive("a/../b:1").file_name().unwrap().to_str().unwrap() == "a_.._b_1.sqlite3");
    }

    #[test]
    fn an_archive_that_cannot_be_made_is_one_line_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "not a directory").unwrap();
        let config = KeeperConfig {
            server: Server {
                host: "127.0.0.1".into(),
                port: 1,
            },
            topic_prefix: String::new(),
            rooms: None,
            archive: blocker.join("keeper.sqlite3"),
            login: None,
        };
        let err = start(config).unwrap_err().to_string();
        assert!(
            err.starts_with("cannot keep history in ") && err.contains("keeper.sqlite3"),
            "{err}"
        );
        assert!(!err.contains('\n'), "{err}");
    }

    #[test]
    fn the_keeper_names_itself_in_a_reply_sized_name() {
        let name = keeper_name();
        assert!(!name.is_empty() && name.chars().count() <= crate::protocol::history::MAX_KEEPER_CHARS);
    }
}
