//! The warning mark and the sealed flag of a message, and the migration that
//! gives them to a file of the first release (version 1).

use std::path::Path;

use komunikator_history::{Store, Stored};
use rusqlite::functions::FunctionFlags;
use rusqlite::Connection;

use crate::{ids, message, temp};

/// `message` shown with `mark`.
fn marked(room: &str, id: &str, ts_ms: i64, text: &str, mark: &str) -> Stored {
    Stored {
        mark: Some(mark.to_owned()),
        ..message(room, id, ts_ms, text)
    }
}

#[test]
fn marks_and_sealed_come_back_through_every_read() {
    let dir = temp();
    let mut store = Store::open(&dir.path().join("h.db")).unwrap();
    let plain = message("general", "a", 1000, "plain hello");
    let forged = marked("general", "b", 2000, "forged hello", "forged?");
    let lookalike = marked("general", "c", 3000, "lookalike hello", "looks like alice");
    let sealed = Stored {
        sealed: true,
        ..message("@bob", "d", 2500, "sealed hello")
    };
    let sealed_new_key = Stored {
        sealed: true,
        ..marked("@bob", "e", 3500, "rekeyed hello", "new key")
    };
    let all = [&plain, &forged, &lookalike, &sealed, &sealed_new_key].map(Clone::clone);
    assert_eq!(store.insert(&all).unwrap(), 5);

    let general = [plain.clone(), forged.clone(), lookalike.clone()];
    assert_eq!(store.recent("general", 10).unwrap(), general);
    assert_eq!(store.before("general", 3000, "c", 10).unwrap(), general[..2]);
    assert_eq!(store.after("general", 1000, "a", 10).unwrap(), general[1..]);
    assert_eq!(
        store.recent("@bob", 10).unwrap(),
        [sealed.clone(), sealed_new_key.clone()]
    );
    // Newest first, every field as it went in.
    assert_eq!(
        store.search("hello", None, 10).unwrap(),
        [sealed_new_key.clone(), lookalike, sealed, forged.clone(), plain]
    );
    assert_eq!(store.search("rekeyed", Some("@bob"), 10).unwrap(), [sealed_new_key]);
    assert_eq!(store.search("forged", Some("general"), 10).unwrap(), [forged]);
}

#[test]
fn the_first_mark_stays_until_the_message_turns_out_ours() {
    let dir = temp();
    let mut store = Store::open(&dir.path().join("h.db")).unwrap();
    // Our own message came back from the broker before the ack, shown as forged.
    let echo = Stored {
        sealed: true,
        ..marked("@bob", "m1", 1000, "hi bob", "forged?")
    };
    assert_eq!(store.insert(std::slice::from_ref(&echo)).unwrap(), 1);
    // Another copy that is not ours changes nothing, marked or not.
    let unmarked = Stored {
        mark: None,
        ..echo.clone()
    };
    let other_mark = Stored {
        mark: Some("untrusted key".to_owned()),
        ..echo.clone()
    };
    assert_eq!(store.insert(&[unmarked, other_mark.clone()]).unwrap(), 0);
    assert_eq!(store.recent("@bob", 10).unwrap(), std::slice::from_ref(&echo));
    // The ack: ours, so no longer marked.
    let ack = Stored {
        own: true,
        mark: None,
        ..echo.clone()
    };
    assert_eq!(store.insert(std::slice::from_ref(&ack)).unwrap(), 0);
    assert_eq!(store.recent("@bob", 10).unwrap(), std::slice::from_ref(&ack));
    // A marked copy later does not mark it again.
    assert_eq!(store.insert(&[other_mark]).unwrap(), 0);
    assert_eq!(store.recent("@bob", 10).unwrap(), [ack]);
}

/// `application_id` of a chat history ("kmh1").
const HISTORY_ID: i32 = 0x6b6d_6831;

/// The history's schema as the first release (version 1) created it.
const VERSION_1_SCHEMA: &str = "
CREATE TABLE messages(
    rowid INTEGER PRIMARY KEY,
    room TEXT NOT NULL,
    id TEXT NOT NULL,
    user TEXT,
    text TEXT NOT NULL,
    action INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    own INTEGER NOT NULL,
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

/// Writes a history as the first release left it: version 1, in WAL mode,
/// holding `rows` (room, id, ts, text, own) by alice.
fn version_1_file(path: &Path, rows: &[(&str, &str, i64, &str, bool)]) {
    let conn = Connection::open(path).unwrap();
    // The release's folding; the texts here are plain ASCII, which it leaves as they are.
    conn.create_scalar_function(
        "komunikator_fold",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| ctx.get::<String>(0),
    )
    .unwrap();
    conn.pragma_update(None, "auto_vacuum", "INCREMENTAL").unwrap();
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    conn.execute_batch(VERSION_1_SCHEMA).unwrap();
    conn.pragma_update(None, "application_id", HISTORY_ID).unwrap();
    conn.pragma_update(None, "user_version", 1).unwrap();
    for &(room, id, ts, text, own) in rows {
        conn.execute(
            "INSERT INTO messages(room, id, user, text, action, ts, own) VALUES (?1, ?2, 'alice', ?3, 0, ?4, ?5)",
            (room, id, text, ts, own),
        )
        .unwrap();
    }
}

/// The file's `user_version` and `schema_version` (which every schema change bumps).
fn versions(path: &Path) -> (i32, i32) {
    let conn = Connection::open(path).unwrap();
    let id: i32 = conn.query_row("PRAGMA application_id", (), |r| r.get(0)).unwrap();
    assert_eq!(id, HISTORY_ID);
    let user: i32 = conn.query_row("PRAGMA user_version", (), |r| r.get(0)).unwrap();
    let schema: i32 = conn.query_row("PRAGMA schema_version", (), |r| r.get(0)).unwrap();
    (user, schema)
}

#[test]
fn a_version_1_file_is_migrated_in_place_once() {
    // Times of late 2023: the rowids of new messages are above those the release gave.
    const T: i64 = 1_700_000_000_000;
    let dir = temp();
    let path = dir.path().join("h.db");
    version_1_file(
        &path,
        &[
            ("general", "old-1", T + 1000, "from before the upgrade", false),
            ("general", "old-2", T + 2000, "ours before the upgrade", true),
            ("@bob", "old-3", T + 1500, "a direct word", false),
        ],
    );
    assert_eq!(versions(&path).0, 1);

    let mut store = Store::open(&path).unwrap();
    // The old messages, unmarked and not sealed.
    let old = store.recent("general", 10).unwrap();
    assert_eq!(ids(&old), ["old-1", "old-2"]);
    assert_eq!(
        old[1],
        Stored {
            own: true,
            ..message("general", "old-2", T + 2000, "ours before the upgrade")
        }
    );
    assert!(old.iter().all(|m| m.mark.is_none() && !m.sealed));
    // Their words are still found, and new messages keep their marks.
    assert_eq!(ids(&store.search("upgrade", None, 10).unwrap()), ["old-2", "old-1"]);
    let forged = marked("general", "new-1", T + 3000, "after the upgrade", "forged?");
    let sealed = Stored {
        sealed: true,
        ..message("@bob", "new-2", T + 2500, "a sealed word")
    };
    assert_eq!(store.insert(&[forged.clone(), sealed.clone()]).unwrap(), 2);
    assert_eq!(store.recent("general", 10).unwrap()[2], forged);
    assert_eq!(
        store.search("upgrade", Some("general"), 1).unwrap(),
        std::slice::from_ref(&forged)
    );
    assert_eq!(store.before("@bob", T + 3000, "x", 10).unwrap()[1], sealed);
    // An old message is deleted with its words (the triggers of version 1 still work).
    assert_eq!(store.forget("@bob").unwrap(), 2);
    assert!(store.search("word", None, 10).unwrap().is_empty());
    assert!(store.integrity_ok().unwrap());
    drop(store);

    let (version, schema) = versions(&path);
    assert_eq!(version, 2);
    // Opened again: no step runs (a schema change would bump schema_version).
    let store = Store::open(&path).unwrap();
    assert_eq!(versions(&path), (2, schema));
    assert_eq!(store.recent("general", 10).unwrap()[2], forged);
    assert_eq!(store.count(None).unwrap(), 3);
}

#[test]
fn a_migration_by_two_at_once_is_done_once() {
    let dir = temp();
    let path = dir.path().join("h.db");
    version_1_file(&path, &[("general", "old", 1000, "kept", false)]);
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut store = Store::open(&path).unwrap();
                let id = format!("new-{t}");
                store
                    .insert(&[marked("general", &id, 2000 + t, "new", "forged?")])
                    .unwrap();
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let store = Store::open(&path).unwrap();
    let all = store.recent("general", 10).unwrap();
    assert_eq!(ids(&all), ["old", "new-0", "new-1", "new-2", "new-3"]);
    assert!(all[1..].iter().all(|m| m.mark.as_deref() == Some("forged?")));
    assert_eq!(versions(&path).0, 2);
}

#[test]
fn a_file_of_a_newer_version_is_refused_as_it_is() {
    let dir = temp();
    let path = dir.path().join("h.db");
    drop(Store::open(&path).unwrap());
    Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 3)
        .unwrap();
    let error = Store::open(&path).err().expect("a newer file").to_string();
    assert!(error.contains("newer version (3)"), "{error}");
    assert_eq!(versions(&path).0, 3);
}
