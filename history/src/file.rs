//! The file rules shared by the chat history and the keeper's archive: where
//! the file goes, who may read it, how SQLite is set up on it, and the schema
//! version check. Everything here is O(1) in the size of the store: opening a
//! million-message history must stay in the milliseconds, so no
//! `integrity_check` and no scans.

use std::fs;
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::Error;

/// Two processes of one user (two clients, or a client and a keeper) share a
/// file; a writer waits this long for the other's transaction before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The WAL is truncated back to this after a checkpoint, so a burst of writes
/// does not leave a large `-wal` file behind for good.
const WAL_SIZE_LIMIT: i64 = 4 << 20;

/// What a kind of file is: its `application_id`, its current schema version,
/// the statements that create that version from nothing, and those that bring
/// a file of an earlier version up to it.
pub(crate) struct Kind {
    pub(crate) application_id: i32,
    pub(crate) version: i32,
    pub(crate) schema: &'static str,
    /// Entry `i` upgrades a file of version `i + 1` to version `i + 2`, so
    /// there are `version - 1` of them (checked by [`Kind::new`]). A step must
    /// be O(1) in the size of the file (no table rewrite, no scan: `ALTER
    /// TABLE … ADD COLUMN` with a constant default is), as opening is.
    pub(crate) migrations: &'static [&'static str],
}

impl Kind {
    /// A kind whose `version` is one more than its number of `migrations`:
    /// a `const` that gets it wrong does not compile.
    pub(crate) const fn new(
        application_id: i32,
        version: i32,
        schema: &'static str,
        migrations: &'static [&'static str],
    ) -> Kind {
        assert!(
            version >= 1 && migrations.len() == version.unsigned_abs() as usize - 1,
            "a kind needs one migration per version after the first"
        );
        Kind {
            application_id,
            version,
            schema,
            migrations,
        }
    }

    /// The steps from `version` (1 or more, not newer than this kind's) to the current version.
    fn steps_from(&self, version: i32) -> &'static [&'static str] {
        let done = usize::try_from(version - 1).unwrap_or(0);
        self.migrations.get(done..).unwrap_or(&[])
    }
}

/// Opens (creating) `path` for `kind`: the directories above it made private,
/// the file and its `-wal`/`-shm` readable by the user only, WAL journal, the
/// schema created when the file is new.
pub(crate) fn open(path: &Path, kind: &Kind) -> Result<Connection, Error> {
    prepare(path).map_err(|e| Error::open(path, e))?;
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| Error::open(path, e))?;
    set_up(&conn, kind).map_err(|e| Error::open(path, e))?;
    Ok(conn)
}

/// Makes the parent directories (0700) and the file (0600) before SQLite does:
/// SQLite gives the `-wal` and `-shm` files the mode of the database file, so
/// they follow. A file left readable by others (by an older version, or a
/// copy) is narrowed, as chat history is private.
fn prepare(path: &Path) -> std::io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        if !parent.is_dir() {
            let mut dirs = fs::DirBuilder::new();
            dirs.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut dirs, 0o700);
            dirs.create(parent)?;
        }
    }
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    drop(options.open(path)?);
    #[cfg(unix)]
    for suffix in ["", "-wal", "-shm"] {
        use std::os::unix::fs::PermissionsExt;
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        if let Ok(meta) = fs::metadata(&name) {
            if meta.permissions().mode() & 0o077 != 0 {
                fs::set_permissions(&name, fs::Permissions::from_mode(0o600))?;
            }
        }
    }
    Ok(())
}

fn set_up(conn: &Connection, kind: &Kind) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    crate::fold::register(conn)?;
    // A pruned history hands its free pages back to the file system
    // (`incremental_vacuum`) without a full VACUUM, which would rewrite the
    // whole file. This only takes on a new file, before WAL is set; on an
    // existing one it would wait for the write lock.
    let pages: i64 = conn.pragma_query_value(None, "page_count", |r| r.get(0))?;
    if pages == 0 {
        conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")?;
    }
    let mode = wal(conn)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(format!("the file system does not support SQLite's WAL (journal mode {mode})").into());
    }
    // In WAL mode NORMAL loses at most the last transactions on a power cut,
    // never the file's consistency; FULL would sync every transaction.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT)?;
    // A deleted (forgotten, pruned) message's bytes are zeroed in the pages
    // that are written anyway: no extra I/O.
    conn.pragma_update(None, "secure_delete", "FAST")?;
    conn.pragma_update(None, "foreign_keys", false)?;
    if versions(conn)? == (kind.application_id, kind.version) {
        return Ok(());
    }
    migrate(conn, kind)
}

/// Switches a new file to WAL. That takes the file's exclusive lock, and SQLite
/// reports "busy" at once there instead of calling the busy handler (a wait
/// that could deadlock), so another process setting up the same new file is
/// waited for here, up to the busy timeout.
fn wal(conn: &Connection) -> rusqlite::Result<String> {
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        match conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0)) {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            done => return done,
        }
    }
}

fn versions(conn: &Connection) -> rusqlite::Result<(i32, i32)> {
    let application_id = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
    let version = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    Ok((application_id, version))
}

/// Creates the schema of a new file, or brings the schema of an older file up
/// to date, in a write transaction: two processes opening the file at once do
/// not both create or migrate it (the second finds the version the first set),
/// and a step that fails leaves the file as it was.
fn migrate(conn: &Connection, kind: &Kind) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let tx = rusqlite::Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
    let (application_id, version) = versions(&tx)?;
    if application_id != 0 && application_id != kind.application_id {
        return Err("the file is not of this kind (another komunikator store, or another program's)".into());
    }
    if version > kind.version {
        return Err(format!("the file is of a newer version ({version}) than this komunikator knows").into());
    }
    if version < 0 {
        return Err(format!("the file has a version ({version}) no komunikator wrote").into());
    }
    if version == 0 {
        let tables: i64 = tx.query_row("SELECT count(*) FROM sqlite_schema", (), |r| r.get(0))?;
        if tables != 0 {
            return Err("the file is another program's SQLite database".into());
        }
        tx.execute_batch(kind.schema)?;
    } else {
        // From `version` up, one step at a time.
        for step in kind.steps_from(version) {
            tx.execute_batch(step)?;
        }
    }
    tx.pragma_update(None, "application_id", kind.application_id)?;
    tx.pragma_update(None, "user_version", kind.version)?;
    tx.commit()?;
    Ok(())
}
