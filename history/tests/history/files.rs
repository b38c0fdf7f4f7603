use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use komunikator_history::{Archive, Store};

use crate::{message, messages, temp};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn the_directory_and_files_are_the_users_alone() {
    let dir = temp();
    let nested = dir.path().join("state").join("komunikator");
    let path = nested.join("history.db");
    let mut store = Store::open(&path).unwrap();
    store.insert(&messages("general", 10, 0)).unwrap();
    assert_eq!(mode(&nested), 0o700);
    assert_eq!(mode(nested.parent().unwrap()), 0o700);
    for file in ["history.db", "history.db-wal", "history.db-shm"] {
        assert_eq!(mode(&nested.join(file)), 0o600, "{file}");
    }
}

#[test]
fn a_new_file_is_set_up_to_shrink_in_wal_mode() {
    let dir = temp();
    let path = dir.path().join("h.db");
    drop(Store::open(&path).unwrap());
    let raw = rusqlite::Connection::open(&path).unwrap();
    let auto_vacuum: i64 = raw.query_row("PRAGMA auto_vacuum", (), |r| r.get(0)).unwrap();
    assert_eq!(auto_vacuum, 2, "incremental");
    let journal: String = raw.query_row("PRAGMA journal_mode", (), |r| r.get(0)).unwrap();
    assert_eq!(journal, "wal");
}

#[test]
fn a_file_left_readable_by_others_is_narrowed() {
    let dir = temp();
    let path = dir.path().join("h.db");
    drop(Store::open(&path).unwrap());
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    drop(Store::open(&path).unwrap());
    assert_eq!(mode(&path), 0o600);
}

#[test]
fn a_store_and_an_archive_refuse_each_others_files() {
    let dir = temp();
    let history = dir.path().join("history.db");
    let archive = dir.path().join("archive.db");
    drop(Store::open(&history).unwrap());
    drop(Archive::open(&archive).unwrap());
    let error = Archive::open(&history).err().expect("an archive over a history");
    let text = error.to_string();
    assert!(
        text.starts_with(&format!("cannot open the history at {}: ", history.display())),
        "{text}"
    );
    assert!(!text.contains('\n'));
    assert!(Store::open(&archive).is_err());
    // Both still open as what they are.
    drop(Store::open(&history).unwrap());
    drop(Archive::open(&archive).unwrap());
}

#[test]
fn two_connections_share_one_file() {
    let dir = temp();
    let path = dir.path().join("h.db");
    let mut one = Store::open(&path).unwrap();
    let mut two = Store::open(&path).unwrap();
    for round in 0..5 {
        one.insert(&messages("general", 100, round * 1_000_000)).unwrap();
        two.insert(&messages("@bob", 100, round * 1_000_000)).unwrap();
        // Both write the same message too: stored once.
        one.insert(&[message("shared", &round.to_string(), round, "both")])
            .unwrap();
        assert_eq!(
            two.insert(&[message("shared", &round.to_string(), round, "both")])
                .unwrap(),
            0
        );
    }
    for store in [&one, &two] {
        assert_eq!(store.count(None).unwrap(), 205);
        assert_eq!(store.recent("general", 1000).unwrap().len(), 100);
        assert_eq!(store.recent("@bob", 1000).unwrap().len(), 100);
        assert_eq!(store.search("both", None, 100).unwrap().len(), 5);
    }
}

#[test]
fn a_new_file_opened_by_several_at_once_gets_one_schema() {
    for round in 0..5 {
        let dir = temp();
        let path = dir.path().join("new").join("h.db");
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let mut store = Store::open(&path).unwrap();
                    store.insert(&messages(&format!("room{t}"), 50, 0)).unwrap();
                })
            })
            .collect();
        for thread in threads {
            thread
                .join()
                .unwrap_or_else(|_| panic!("round {round}: a thread failed"));
        }
        assert_eq!(Store::open(&path).unwrap().count(None).unwrap(), 200);
    }
}

/// Tells the child (this test binary, run again) where to flood.
const FLOOD_ENV: &str = "KOMUNIKATOR_HISTORY_TEST_FLOOD";

#[test]
fn a_process_killed_mid_write_leaves_a_sound_file() {
    let dir = temp();
    let path = dir.path().join("h.db");
    drop(Store::open(&path).unwrap());
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "files::flood_until_killed",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(FLOOD_ENV, &path)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once it has written, in the middle of later writes.
    let reader = Store::open(&path).unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while reader.count(None).unwrap() == 0 {
        assert!(Instant::now() < deadline, "the child wrote nothing");
        assert!(child.try_wait().unwrap().is_none(), "the child ended");
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(300));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    drop(reader);

    let mut store = Store::open(&path).unwrap();
    let written = store.count(None).unwrap();
    assert!(written > 0);
    let check = rusqlite::Connection::open(&path).unwrap();
    let result: String = check.query_row("PRAGMA integrity_check", (), |r| r.get(0)).unwrap();
    assert_eq!(result, "ok");
    drop(check);
    assert_eq!(store.insert(&[message("after", "1", 0, "still works")]).unwrap(), 1);
    assert_eq!(store.count(None).unwrap(), written + 1);
    assert_eq!(store.search("works", None, 10).unwrap().len(), 1);
}

/// The child of the test above: inserts batches until it is killed. Ignored,
/// so it runs only when asked for, and without the path it does nothing.
#[test]
#[ignore = "run by a_process_killed_mid_write_leaves_a_sound_file"]
fn flood_until_killed() {
    let Some(path) = std::env::var_os(FLOOD_ENV) else {
        return;
    };
    let mut store = Store::open(Path::new(&path)).unwrap();
    for round in 0.. {
        let batch: Vec<_> = (0..500)
            .map(|i| {
                message(
                    "flood",
                    &format!("{round}-{i}"),
                    round * 1000 + i,
                    "a flood of words to index",
                )
            })
            .collect();
        store.insert(&batch).unwrap();
        if round > 100_000 {
            panic!("not killed");
        }
    }
}
