//! The local history's edge: the file (one per user and network, in the
//! platform's data directory, readable by the user only), a writer thread
//! that takes what the state keeps without ever making the event loop wait,
//! and the reads the state asks for (a room's latest page, the page before,
//! a search, the messages around a hit), answered as events.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use komunikator_history::{Retention, Store, Stored, Writer};

use crate::app::history::{HISTORY_PAGE, MAX_HITS};
use crate::app::{Effect, Event, HistoryEvent, Kept};
use crate::settings::Settings;

/// Messages shown on each side of a search hit.
const CONTEXT: usize = 30;
/// How long exiting waits for the last messages to reach the disk.
const FLUSH_AT_EXIT: Duration = Duration::from_secs(5);

/// Creates `dir` (and its parents) for the user alone (mode 0700).
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// `<data dir>/komunikator/history/<user>@<host>_<port>[_<prefix>].sqlite3`:
/// rooms of the same name on two networks are two conversations.
pub fn default_path(settings: &Settings) -> Option<PathBuf> {
    let network = format!("{}_{}", settings.server, settings.port);
    let prefix = settings.topic_prefix.trim_end_matches('/');
    let name = if prefix.is_empty() {
        format!("{}@{network}", settings.username)
    } else {
        format!("{}@{network}_{prefix}", settings.username)
    };
    let safe: String = name
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c == ':' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    dirs::data_dir().map(|d| d.join("komunikator").join("history").join(format!("{safe}.sqlite3")))
}

/// The retention the settings ask for.
pub fn retention(settings: &Settings) -> Retention {
    Retention {
        max_age_days: (settings.history_days > 0).then_some(settings.history_days),
        max_bytes: (settings.history_size > 0).then_some(settings.history_size * 1024 * 1024),
    }
}

/// The open history: a writer thread and a reader of its own.
pub struct History {
    writer: Writer,
    reader: Store,
    pub path: PathBuf,
    /// Messages not stored and not yet said.
    unreported: u64,
    error: Option<String>,
    reported_at: Option<std::time::Instant>,
}

/// Trouble with the history is said at most this often.
const REPORT_EVERY: Duration = Duration::from_secs(10);

impl History {
    /// Opens the history of `settings`, if it is kept; the reason in words
    /// when it cannot be (the chat goes on without it).
    pub fn open(settings: &Settings) -> Result<Option<History>, String> {
        if !settings.store_history {
            return Ok(None);
        }
        let path = default_path(settings).ok_or("no data directory (HOME is not set)")?;
        if let Some(dir) = path.parent() {
            private_dir(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let writer = Writer::spawn(&path, retention(settings)).map_err(|e| e.to_string())?;
        let reader = Store::open(&path).map_err(|e| e.to_string())?;
        Ok(Some(History {
            writer,
            reader,
            path,
            unreported: 0,
            error: None,
            reported_at: None,
        }))
    }

    /// Carries out a history effect, by value: a message to store moves on
    /// to the writer without a copy (this is on the path of every message).
    pub fn take(&mut self, effect: Effect) -> Taken {
        match effect {
            Effect::Store(kept) => {
                self.writer.store(stored(kept));
                Taken::Done
            }
            Effect::LoadHistory { .. } | Effect::Search { .. } | Effect::LoadContext { .. } | Effect::Forget(_) => {
                match self.answer(&effect) {
                    Some(event) => Taken::Answer(event),
                    None => Taken::Done,
                }
            }
            other => Taken::NotMine(other),
        }
    }

    /// Carries out a read (or a forget); the answer for the state.
    fn answer(&mut self, effect: &Effect) -> Option<Event> {
        let answer = match effect {
            Effect::LoadHistory { room, before } => {
                let older = before.is_some();
                let read = match before {
                    Some((time, id)) => self.reader.before(room, time.timestamp_millis(), id, HISTORY_PAGE),
                    None => self.reader.recent(room, HISTORY_PAGE),
                };
                read.map(|messages| HistoryEvent::Loaded {
                    room: room.clone(),
                    messages: messages.into_iter().map(kept).collect(),
                    older,
                })
            }
            Effect::Search { text, room } => {
                self.writer.flush(Duration::from_secs(1));
                self.reader
                    .search(text, room.as_deref(), MAX_HITS)
                    .map(|hits| HistoryEvent::Found {
                        text: text.clone(),
                        all: room.is_none(),
                        hits: hits.into_iter().map(kept).collect(),
                    })
            }
            Effect::LoadContext { room, time, id } => self.context(room, *time, id),
            Effect::Forget(room) => {
                self.writer.flush(Duration::from_secs(2));
                self.reader.forget(room).map(|count| HistoryEvent::Forgotten {
                    room: room.clone(),
                    count,
                })
            }
            _ => return None,
        };
        Some(match answer {
            Ok(event) => Event::History(event),
            Err(e) => Event::Notice(format!("history: {e}")),
        })
    }

    fn context(&self, room: &str, time: DateTime<Utc>, id: &str) -> Result<HistoryEvent, komunikator_history::Error> {
        let ms = time.timestamp_millis();
        let mut messages = self.reader.before(room, ms, id, CONTEXT)?;
        // The hit itself: the first message at its time and id, read as the next after just before it.
        let mut rest = self.reader.after(room, ms, id, CONTEXT)?;
        let hit = self.reader.before(room, ms, &format!("{id}\u{10FFFF}"), 1)?;
        messages.extend(hit.into_iter().filter(|m| m.id == id));
        messages.append(&mut rest);
        Ok(HistoryEvent::Context {
            room: room.to_owned(),
            messages: messages.into_iter().map(kept).collect(),
            hit: id.to_owned(),
        })
    }

    /// What went wrong (messages not stored, a write error), in words: at
    /// once the first time, then at most every [`REPORT_EVERY`] with what
    /// added up meanwhile, so that a flood makes a few notices, not one per batch.
    pub fn trouble(&mut self) -> Option<String> {
        self.unreported += self.writer.take_dropped();
        if let Some(error) = self.writer.take_error() {
            self.error = Some(error);
        }
        if self.unreported == 0 && self.error.is_none() {
            return None;
        }
        let now = std::time::Instant::now();
        if self.reported_at.is_some_and(|at| now < at + REPORT_EVERY) {
            return None;
        }
        self.reported_at = Some(now);
        self.report()
    }

    fn report(&mut self) -> Option<String> {
        let error = self.error.take().map(|e| format!(": {e}")).unwrap_or_default();
        match std::mem::take(&mut self.unreported) {
            0 if error.is_empty() => None,
            0 => Some(format!("history{error}")),
            n => Some(format!(
                "history: {n} message(s) not stored{}",
                if error.is_empty() {
                    " (the disk did not keep up)".to_owned()
                } else {
                    error
                }
            )),
        }
    }

    /// At exit: what was kept reaches the disk (bounded); what was not
    /// stored and not yet said, in words.
    pub fn close(mut self) -> Option<String> {
        if !self.writer.flush(FLUSH_AT_EXIT) {
            tracing::warn!("history: the last messages were not all written within {FLUSH_AT_EXIT:?}");
        }
        self.unreported += self.writer.take_dropped();
        if let Some(error) = self.writer.take_error() {
            self.error = Some(error);
        }
        self.report()
    }
}

/// What [`History::take`] did with an effect.
pub enum Taken {
    Done,
    /// Done, and this is the answer for the state.
    Answer(Event),
    /// Not a history effect: the front end carries it out.
    NotMine(Effect),
}

fn stored(kept: Kept) -> Stored {
    Stored {
        ts_ms: kept.time.timestamp_millis(),
        room: kept.room,
        id: kept.id,
        user: kept.user,
        text: kept.text,
        action: kept.action,
        own: kept.own,
        mark: kept.mark,
        sealed: kept.sealed,
    }
}

/// A stored message as the state takes it.
pub fn kept(stored: Stored) -> Kept {
    Kept {
        time: Utc
            .timestamp_millis_opt(stored.ts_ms)
            .single()
            .unwrap_or(DateTime::<Utc>::UNIX_EPOCH),
        room: stored.room,
        id: stored.id,
        user: stored.user,
        text: stored.text,
        action: stored.action,
        own: stored.own,
        mark: stored.mark,
        sealed: stored.sealed,
    }
}

/// What a front end starts with besides its settings: who it is to the
/// broker, its history, and what to say about either.
pub struct Prepared {
    pub identity: crate::identity::Identity,
    pub history: Option<History>,
    /// Notices for the first screen (or stderr).
    pub notices: Vec<String>,
    /// The user's keys and the list of others' (`None`: nothing is signed this run).
    pub keys: Option<crate::keys::KeyFiles>,
    /// Where the list of others' keys is written when it changes.
    pub known_keys: Option<PathBuf>,
}

impl Prepared {
    /// Gives the state our keys and the list of others' keys; what went
    /// wrong reading the list is said as notices.
    pub fn arm(&mut self, state: &mut crate::app::State) {
        let Some(keys) = &self.keys else {
            return;
        };
        state.set_keys(&keys.seed, crate::keys::random_seed());
        self.known_keys = Some(keys.known_path.clone());
        if let Some(text) = &keys.known_text {
            for problem in state.load_known_keys(text) {
                self.notices
                    .push(format!("{}: {problem} (skipped)", keys.known_path.display()));
            }
        }
    }
}

/// Claims the user's client id and opens the history; neither stops the
/// chat when it cannot be had (it is said why).
pub fn prepare(settings: &Settings) -> Prepared {
    use crate::identity::{default_dir, Identity};
    let mut notices = Vec::new();
    let mut identity = match default_dir() {
        Some(dir) => Identity::claim(&dir, &settings.username),
        None => Identity::random(&settings.username, "no catch-up: no data directory (HOME is not set)"),
    };
    let keys = match dirs::data_dir() {
        Some(data) => crate::keys::open(&data.join("komunikator"), settings),
        None => Err("no data directory (HOME is not set)".to_owned()),
    };
    let keys = keys
        .inspect_err(|why| {
            tracing::warn!("no keys: {why}");
            notices.push(format!("⚠ what you send is not signed this time: {why}"));
        })
        .ok();
    identity.seed = keys.as_ref().map(|k| k.seed);
    if let Some(why) = &identity.without_catch_up {
        tracing::warn!("{why}");
        notices.push(why.clone());
    }
    let history = History::open(settings).unwrap_or_else(|why| {
        tracing::warn!("history off: {why}");
        notices.push(format!("history is off this time: {why}"));
        None
    });
    if let Some(history) = &history {
        tracing::info!("history kept in {}", history.path.display());
    }
    Prepared {
        identity,
        history,
        notices,
        keys,
        known_keys: None,
    }
}
