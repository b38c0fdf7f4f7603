//! A history keeper's store: chat payloads per room, kept byte for byte so
//! that fields this keeper does not know (a later version's signatures, say)
//! reach the clients it serves unchanged.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, TransactionBehavior};

use crate::file::{self, Kind};
use crate::store::{incremental_vacuum, sql_limit};
use crate::Error;

/// `application_id` of a keeper's archive ("kma1"), apart from a client's history.
const APPLICATION_ID: i32 = 0x6b6d_6131;

const SCHEMA: &str = "
CREATE TABLE payloads(
    rowid INTEGER PRIMARY KEY,
    room TEXT NOT NULL,
    id TEXT NOT NULL,
    ts INTEGER NOT NULL,
    payload BLOB NOT NULL,
    UNIQUE(room, id)
);
CREATE INDEX payloads_room_ts ON payloads(room, ts);
";

const KIND: Kind = Kind::new(APPLICATION_ID, 1, SCHEMA, &[]);

/// One connection to a keeper's archive file.
pub struct Archive {
    conn: Connection,
    path: PathBuf,
}

impl Archive {
    /// Opens (creating) the archive at `path`, under the same file rules as [`crate::Store::open`].
    pub fn open(path: &Path) -> Result<Archive, Error> {
        let conn = file::open(path, &KIND)?;
        Ok(Archive {
            conn,
            path: path.to_owned(),
        })
    }

    /// Keeps `payload` as message `id` of `room`; true when it was new (a
    /// payload already kept under that room and id stays as it was).
    pub fn keep(&mut self, room: &str, id: &str, ts_ms: i64, payload: &[u8]) -> Result<bool, Error> {
        let new = self
            .conn
            .prepare_cached("INSERT OR IGNORE INTO payloads(room, id, ts, payload) VALUES (?1, ?2, ?3, ?4)")
            .and_then(|mut s| s.execute((room, id, ts_ms, payload)))
            .map_err(|e| Error::write(&self.path, e))?;
        Ok(new == 1)
    }

    /// The newest `limit` payloads of `room` newer than `after_ms` (when
    /// given), oldest first: what a client that last saw `after_ms` missed.
    pub fn recent(&self, room: &str, after_ms: Option<i64>, limit: usize) -> Result<Vec<Vec<u8>>, Error> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT payload FROM payloads WHERE room = ?1 AND ts > ?2 ORDER BY ts DESC, rowid DESC LIMIT ?3",
            )
            .map_err(|e| Error::read(&self.path, e))?;
        let rows = stmt
            .query_map((room, after_ms.unwrap_or(i64::MIN), sql_limit(limit)), |r| r.get(0))
            .map_err(|e| Error::read(&self.path, e))?;
        let mut payloads = rows
            .collect::<rusqlite::Result<Vec<Vec<u8>>>>()
            .map_err(|e| Error::read(&self.path, e))?;
        payloads.reverse();
        Ok(payloads)
    }

    /// Whether anything of `room` is kept.
    pub fn keeps(&self, room: &str) -> Result<bool, Error> {
        self.conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM payloads WHERE room = ?1)")
            .and_then(|mut s| s.query_row([room], |r| r.get(0)))
            .map_err(|e| Error::read(&self.path, e))
    }

    /// Keeps at most the newest `per_room` payloads of each room, none older
    /// than `max_age_ms`; returns how many went.
    pub fn prune(&mut self, per_room: usize, max_age_ms: i64, now_ms: i64) -> Result<usize, Error> {
        let cutoff = now_ms.saturating_sub(max_age_ms);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| Error::write(&self.path, e))?;
        let mut gone = tx
            .prepare_cached("DELETE FROM payloads WHERE ts < ?1")
            .and_then(|mut s| s.execute([cutoff]))
            .map_err(|e| Error::write(&self.path, e))?;
        gone += tx
            .prepare_cached(
                "DELETE FROM payloads WHERE rowid IN (SELECT rowid FROM (
                    SELECT rowid, row_number() OVER (PARTITION BY room ORDER BY ts DESC, rowid DESC) AS n
                    FROM payloads) WHERE n > ?1)",
            )
            .and_then(|mut s| s.execute([sql_limit(per_room)]))
            .map_err(|e| Error::write(&self.path, e))?;
        if gone > 0 {
            incremental_vacuum(&tx).map_err(|e| Error::write(&self.path, e))?;
        }
        tx.commit().map_err(|e| Error::write(&self.path, e))?;
        Ok(gone)
    }
}
