//! The chat history of one client: messages per room, paged by time, searched
//! by words, pruned by age and size.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension as _, Row, TransactionBehavior};

use crate::file::{self, Kind};
use crate::{Error, Retention, Stored};

/// `application_id` of a chat history ("kmh1"): a keeper's archive or another
/// program's database given as the history path is refused, not altered.
const APPLICATION_ID: i32 = 0x6b6d_6831;

/// The full-text index stores folded tokens (see `fold.rs`), so it reads the
/// messages through a view that folds, for FTS5's own `rebuild` and
/// `integrity-check`; the triggers hand it the same folded text.
///
/// This is version 2. A change here is a new version, with its step in
/// [`MIGRATIONS`] for the files of the versions before.
const SCHEMA: &str = "
CREATE TABLE messages(
    rowid INTEGER PRIMARY KEY,
    room TEXT NOT NULL,
    id TEXT NOT NULL,
    user TEXT,
    text TEXT NOT NULL,
    action INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    own INTEGER NOT NULL,
    mark TEXT,
    sealed INTEGER NOT NULL DEFAULT 0,
    UNIQUE(room, id)
);
CREATE INDEX messages_room_ts ON messages(room, ts, id);
CREATE VIEW messages_folded AS SELECT rowid, komunikator_fold(text) AS text FROM messages;
CREATE VIRTUAL TABLE messages_fts USING fts5(
    text,
    content = 'messages_folded',
    content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2',
    columnsize = 0
);
-- A deleted message's words leave the index at once, not at a later merge:
-- a forgotten room is not searchable from the file, and prune sees the index shrink.
INSERT INTO messages_fts(messages_fts, rank) VALUES ('secure-delete', 1);
CREATE TRIGGER messages_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts(rowid, text) VALUES (new.rowid, komunikator_fold(new.text));
END;
CREATE TRIGGER messages_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.rowid, komunikator_fold(old.text));
END;
CREATE TRIGGER messages_update AFTER UPDATE OF text ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.rowid, komunikator_fold(old.text));
    INSERT INTO messages_fts(rowid, text) VALUES (new.rowid, komunikator_fold(new.text));
END;
";

/// Version 1 (the first release) kept no warning marks: its messages come
/// out with none, and not sealed. Adding a column with a constant default
/// rewrites no row, so a big history migrates at once. The columns go last,
/// as in [`SCHEMA`], so a migrated table has the columns of a new one, in order.
const TO_VERSION_2: &str = "
ALTER TABLE messages ADD COLUMN mark TEXT;
ALTER TABLE messages ADD COLUMN sealed INTEGER NOT NULL DEFAULT 0;
";

/// Entry `i` takes a file from version `i + 1` to `i + 2`.
const MIGRATIONS: &[&str] = &[TO_VERSION_2];

const KIND: Kind = Kind::new(APPLICATION_ID, 2, SCHEMA, MIGRATIONS);

/// The columns of a [`Stored`], in the order [`stored`] reads them.
pub(crate) const COLUMNS: &str = "room, id, user, text, action, ts, own, mark, sealed";

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// One connection to a history file; several (in one or more processes) may share the file.
pub struct Store {
    pub(crate) conn: Connection,
    pub(crate) path: PathBuf,
}

impl Store {
    /// Opens (creating) the history at `path`. The parent directories are
    /// created private (0700), the file and its `-wal`/`-shm` readable by the
    /// user only (0600). Constant time in the size of the history.
    pub fn open(path: &Path) -> Result<Store, Error> {
        let conn = file::open(path, &KIND)?;
        Ok(Store {
            conn,
            path: path.to_owned(),
        })
    }

    /// Inserts `batch` in one transaction; a message whose room and id are
    /// already stored is left as it was. Returns how many were new.
    pub fn insert(&mut self, batch: &[Stored]) -> Result<usize, Error> {
        self.in_write(|tx| batch.iter().try_fold(0, |new, message| Ok(new + insert(tx, message)?)))
    }

    /// The latest `limit` messages of `room`, oldest first.
    pub fn recent(&self, room: &str, limit: usize) -> Result<Vec<Stored>, Error> {
        let sql = format!("SELECT {COLUMNS} FROM messages WHERE room = ?1 ORDER BY ts DESC, id DESC LIMIT ?2");
        let mut rows = self.query(&sql, (room, sql_limit(limit)))?;
        rows.reverse();
        Ok(rows)
    }

    /// Up to `limit` messages of `room` just before (`ts_ms`, `id`), oldest first:
    /// the page above the oldest one shown.
    pub fn before(&self, room: &str, ts_ms: i64, id: &str, limit: usize) -> Result<Vec<Stored>, Error> {
        let sql = format!(
            "SELECT {COLUMNS} FROM messages WHERE room = ?1 AND (ts, id) < (?2, ?3) ORDER BY ts DESC, id DESC LIMIT ?4"
        );
        let mut rows = self.query(&sql, (room, ts_ms, id, sql_limit(limit)))?;
        rows.reverse();
        Ok(rows)
    }

    /// Up to `limit` messages of `room` just after (`ts_ms`, `id`), oldest first.
    pub fn after(&self, room: &str, ts_ms: i64, id: &str, limit: usize) -> Result<Vec<Stored>, Error> {
        let sql =
            format!("SELECT {COLUMNS} FROM messages WHERE room = ?1 AND (ts, id) > (?2, ?3) ORDER BY ts, id LIMIT ?4");
        self.query(&sql, (room, ts_ms, id, sql_limit(limit)))
    }

    /// Deletes all of `room`; returns how many messages went.
    pub fn forget(&mut self, room: &str) -> Result<usize, Error> {
        self.in_write(|tx| forget(tx, room))
    }

    /// Deletes what `retention` no longer allows: messages older than its age,
    /// then the oldest messages of all rooms until the pages in use fit its
    /// size. The freed pages are handed back and the WAL checkpointed, so the
    /// file shrinks. Returns how many messages went.
    pub fn prune(&mut self, retention: Retention, now_ms: i64) -> Result<usize, Error> {
        let mut gone = 0;
        if let Some(days) = retention.max_age_days {
            let cutoff = now_ms.saturating_sub(i64::from(days).saturating_mul(DAY_MS));
            gone += self.in_write(|tx| delete_older(tx, cutoff))?;
        }
        if let Some(max_bytes) = retention.max_bytes {
            gone += self.shrink(max_bytes).map_err(|e| Error::write(&self.path, e))?;
        }
        if gone > 0 {
            self.release().map_err(|e| Error::write(&self.path, e))?;
        }
        Ok(gone)
    }

    /// SQLite's full check of the file (reads all of it: for tests and tools).
    pub fn integrity_ok(&self) -> Result<bool, Error> {
        let verdict: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |row| row.get(0))
            .map_err(|e| Error::read(&self.path, e))?;
        Ok(verdict == "ok")
    }

    /// Number of messages, of `room` or of all.
    pub fn count(&self, room: Option<&str>) -> Result<u64, Error> {
        let n: i64 = self
            .conn
            .prepare_cached("SELECT count(*) FROM messages WHERE ?1 IS NULL OR room = ?1")
            .and_then(|mut s| s.query_row([room], |r| r.get(0)))
            .map_err(|e| Error::read(&self.path, e))?;
        Ok(n.unsigned_abs())
    }

    /// Runs `work` in a write transaction taken at once (`BEGIN IMMEDIATE`):
    /// a deferred one that reads first could fail with "busy" at its first
    /// write when the other process wrote in between, the busy timeout
    /// notwithstanding.
    pub(crate) fn in_write<T>(&mut self, work: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, Error> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate);
        let done = tx.and_then(|tx| {
            let value = work(&tx)?;
            tx.commit()?;
            Ok(value)
        });
        done.map_err(|e| Error::write(&self.path, e))
    }

    pub(crate) fn query(&self, sql: &str, params: impl rusqlite::Params) -> Result<Vec<Stored>, Error> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(|e| Error::read(&self.path, e))?;
        let rows = stmt.query_map(params, stored).map_err(|e| Error::read(&self.path, e))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(|e| Error::read(&self.path, e))
    }

    /// Deletes the oldest messages until the pages in use fit `max_bytes`.
    /// Deleting frees fewer pages than the messages' share of the file (index
    /// pages stay part-filled), so it measures again and goes on.
    fn shrink(&mut self, max_bytes: u64) -> rusqlite::Result<usize> {
        let mut gone = 0;
        loop {
            let used = used_bytes(&self.conn)?;
            let count: i64 = self.conn.query_row("SELECT count(*) FROM messages", (), |r| r.get(0))?;
            if used <= max_bytes || count == 0 {
                return Ok(gone);
            }
            let per_message = (used / count.unsigned_abs()).max(1);
            let excess = (used - max_bytes).div_ceil(per_message);
            // A tenth more than the estimate, as the estimate runs short.
            let n = i64::try_from(excess + excess / 10 + 1).unwrap_or(i64::MAX).min(count);
            let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let cutoff: i64 = tx.query_row("SELECT ts FROM messages ORDER BY ts LIMIT 1 OFFSET ?1", [n - 1], |r| {
                r.get(0)
            })?;
            let deleted = delete_older(&tx, cutoff.saturating_add(1))?;
            tx.commit()?;
            if deleted == 0 {
                return Ok(gone);
            }
            gone += deleted;
        }
    }

    /// Hands the free pages back to the file system and empties the WAL.
    fn release(&mut self) -> rusqlite::Result<()> {
        incremental_vacuum(&self.conn)?;
        // Another process reading may keep part of the WAL: that is its due, not an error.
        self.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", (), |_| Ok(()))
    }
}

/// Inserts `message` unless its room and id are stored; 1 when it was new.
pub(crate) fn insert(conn: &Connection, message: &Stored) -> rusqlite::Result<usize> {
    let m = message;
    let rowid = rowid_for(conn, m.ts_ms)?;
    let new = conn
        .prepare_cached(&format!(
            "INSERT OR IGNORE INTO messages(rowid, {COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
        ))?
        .execute((
            rowid, &m.room, &m.id, &m.user, &m.text, m.action, m.ts_ms, m.own, &m.mark, m.sealed,
        ))?;
    // Our own message may be stored first as it came back from the broker
    // (line mode keeps no record of what it sent): the ack still makes it
    // ours, and takes the ack's mark (none: our own message is never marked)
    // over whatever the echo was shown with.
    if new == 0 && m.own {
        conn.prepare_cached("UPDATE messages SET own = 1, mark = ?3 WHERE room = ?1 AND id = ?2 AND own = 0")?
            .execute((&m.room, &m.id, &m.mark))?;
    }
    Ok(new)
}

/// Bits of a rowid below the millisecond: 64 messages of one millisecond keep
/// their time order; more go last.
const SEQUENCE_BITS: u32 = 6;

/// Rowids count milliseconds from 2020 (smaller numbers, shorter varints).
const ROWID_EPOCH_MS: i64 = 1_577_836_800_000;

/// A free rowid in the order of the time shown: `(ts_ms - 2020) * 64 + n`.
/// The full-text index lists its matches in rowid order, so newest-first
/// search reads the newest matches and stops at the limit instead of sorting
/// all of them (a common word has hundreds of thousands in a big history);
/// history fetched late, older than what is stored, still sorts by its time.
fn rowid_for(conn: &Connection, ts_ms: i64) -> rusqlite::Result<i64> {
    const RANGE: i64 = 1 << 56;
    let first = ts_ms.saturating_sub(ROWID_EPOCH_MS).clamp(-RANGE, RANGE - 1) << SEQUENCE_BITS;
    let end = first + (1 << SEQUENCE_BITS);
    let last: Option<i64> = conn
        .prepare_cached("SELECT rowid FROM messages WHERE rowid >= ?1 AND rowid < ?2 ORDER BY rowid DESC LIMIT 1")?
        .query_row((first, end), |r| r.get(0))
        .optional()?;
    match last {
        None => Ok(first),
        Some(last) if last + 1 < end => Ok(last + 1),
        // That millisecond is full (a flood with one time on all): after everything.
        Some(_) => conn.query_row("SELECT max(rowid) + 1 FROM messages", (), |r| r.get(0)),
    }
}

/// Deletes `room`'s messages; how many went.
pub(crate) fn forget(conn: &Connection, room: &str) -> rusqlite::Result<usize> {
    let gone = conn
        .prepare_cached("DELETE FROM messages WHERE room = ?1")?
        .execute([room])?;
    // The freed pages go back to the file system (at the next checkpoint), with the room's words.
    incremental_vacuum(conn)?;
    Ok(gone)
}

/// Deletes the messages older than `cutoff_ms`, room by room along the
/// (room, ts) index: no scan of the whole table.
fn delete_older(conn: &Connection, cutoff_ms: i64) -> rusqlite::Result<usize> {
    let mut next_room = conn.prepare_cached("SELECT room FROM messages WHERE room > ?1 ORDER BY room LIMIT 1")?;
    let mut first_room = conn.prepare_cached("SELECT room FROM messages ORDER BY room LIMIT 1")?;
    let mut delete = conn.prepare_cached("DELETE FROM messages WHERE room = ?1 AND ts < ?2")?;
    let mut gone = 0;
    let mut room: Option<String> = first_room.query_row((), |r| r.get(0)).optional()?;
    while let Some(current) = room {
        gone += delete.execute((&current, cutoff_ms))?;
        room = next_room.query_row([&current], |r| r.get(0)).optional()?;
    }
    Ok(gone)
}

/// Hands all free pages back to the file system (the file shrinks at the next
/// checkpoint). SQLite frees one page per row it returns, so every row is read.
pub(crate) fn incremental_vacuum(conn: &Connection) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached("PRAGMA incremental_vacuum")?;
    let mut rows = stmt.query(())?;
    while rows.next()?.is_some() {}
    Ok(())
}

/// Bytes of the pages in use: the file's size less its free pages, counting
/// what is still in the WAL.
fn used_bytes(conn: &Connection) -> rusqlite::Result<u64> {
    let pages: i64 = conn.pragma_query_value(None, "page_count", |r| r.get(0))?;
    let free: i64 = conn.pragma_query_value(None, "freelist_count", |r| r.get(0))?;
    let size: i64 = conn.pragma_query_value(None, "page_size", |r| r.get(0))?;
    Ok((pages - free).max(0).unsigned_abs() * size.unsigned_abs())
}

fn stored(r: &Row<'_>) -> rusqlite::Result<Stored> {
    Ok(Stored {
        room: r.get(0)?,
        id: r.get(1)?,
        user: r.get(2)?,
        text: r.get(3)?,
        action: r.get(4)?,
        ts_ms: r.get(5)?,
        own: r.get(6)?,
        mark: r.get(7)?,
        sealed: r.get(8)?,
    })
}

/// SQLite's LIMIT is signed; a limit beyond it means no limit.
pub(crate) fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}
