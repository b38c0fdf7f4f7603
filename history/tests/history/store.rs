use komunikator_history::{Retention, Store, Stored};

use crate::{ids, message, messages, temp};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

#[test]
fn recent_before_after_page_in_time_then_id_order() {
    let dir = temp();
    let mut store = Store::open(&dir.path().join("h.db")).unwrap();
    // Inserted out of order, two at the same time: (ts, id) decides.
    let batch = vec![
        message("general", "c", 3000, "third"),
        message("general", "a", 1000, "first"),
        message("general", "b2", 2000, "second, later id"),
        message("general", "b1", 2000, "second, earlier id"),
        message("general", "d", 4000, "fourth"),
    ];
    assert_eq!(store.insert(&batch).unwrap(), 5);

    assert_eq!(ids(&store.recent("general", 10).unwrap()), ["a", "b1", "b2", "c", "d"]);
    assert_eq!(ids(&store.recent("general", 2).unwrap()), ["c", "d"]);
    assert_eq!(ids(&store.before("general", 3000, "c", 2).unwrap()), ["b1", "b2"]);
    assert_eq!(ids(&store.before("general", 2000, "b2", 10).unwrap()), ["a", "b1"]);
    assert!(store.before("general", 1000, "a", 10).unwrap().is_empty());
    assert_eq!(ids(&store.after("general", 2000, "b1", 2).unwrap()), ["b2", "c"]);
    assert!(store.after("general", 4000, "d", 10).unwrap().is_empty());

    // Every field comes back as it went in.
    let mut odd = message("general", "e", -5, "żółw 🐢\nsecond line");
    odd.user = None;
    odd.action = true;
    odd.own = true;
    store.insert(std::slice::from_ref(&odd)).unwrap();
    assert_eq!(store.recent("general", 6).unwrap()[0], odd);
}

#[test]
fn paging_before_walks_the_whole_room() {
    let dir = temp();
    let mut store = Store::open(&dir.path().join("h.db")).unwrap();
    let all = messages("general", 1000, 0);
    store.insert(&all).unwrap();
    let mut page = store.recent("general", 200).unwrap();
    let mut seen: Vec<Stored> = Vec::new();
    while let Some(oldest) = page.first().cloned() {
        page.append(&mut seen);
        seen = page;
        page = store.before("general", oldest.ts_ms, &oldest.id, 200).unwrap();
    }
    assert_eq!(seen, all);
}

#[test]
fn duplicates_are_ignored_and_rooms_are_independent() {
    let dir = temp();
    let mut store = Store::open(&dir.path().join("h.db")).unwrap();
    assert_eq!(store.insert(&[message("general", "1", 1000, "hello")]).unwrap(), 1);
    // Same room and id: the first stays, whatever the second says.
    let again = [
        message("general", "1", 9000, "edited"),
        message("general", "2", 2000, "new"),
    ];
    assert_eq!(store.insert(&again).unwrap(), 1);
    // Same id in another room is another message.
    assert_eq!(store.insert(&[message("@bob", "1", 1500, "hi bob")]).unwrap(), 1);

    let general = store.recent("general", 10).unwrap();
    assert_eq!(ids(&general), ["1", "2"]);
    assert_eq!(general[0].text, "hello");
    assert_eq!(store.recent("@bob", 10).unwrap()[0].text, "hi bob");
    assert_eq!(store.count(Some("general")).unwrap(), 2);
    assert_eq!(store.count(Some("@bob")).unwrap(), 1);
    assert_eq!(store.count(None).unwrap(), 3);
    assert!(store.recent("nowhere", 10).unwrap().is_empty());
}

#[test]
fn forget_deletes_a_room_and_its_words() {
    let dir = temp();
    let mut store = Store::open(&dir.path().join("h.db")).unwrap();
    store.insert(&messages("general", 100, 0)).unwrap();
    store.insert(&[message("@bob", "x", 5, "secret plans")]).unwrap();
    assert_eq!(store.forget("@bob").unwrap(), 1);
    assert_eq!(store.forget("@bob").unwrap(), 0);
    assert_eq!(store.count(Some("@bob")).unwrap(), 0);
    assert!(store.search("secret", None, 10).unwrap().is_empty());
    assert_eq!(store.count(None).unwrap(), 100);
}

#[test]
fn prune_by_age_keeps_the_younger() {
    let dir = temp();
    let mut store = Store::open(&dir.path().join("h.db")).unwrap();
    let now = 100 * DAY_MS;
    let batch: Vec<Stored> = (0..100)
        .flat_map(|day| {
            let text = format!("day {day}");
            ["general", "@bob"].map(|room| message(room, &format!("{day}"), day * DAY_MS, &text))
        })
        .collect();
    store.insert(&batch).unwrap();
    assert_eq!(store.prune(Retention::default(), now).unwrap(), 0);
    let thirty_days = Retention {
        max_age_days: Some(30),
        max_bytes: None,
    };
    // Days 0..70 are older than 30 days, in both rooms.
    assert_eq!(store.prune(thirty_days, now).unwrap(), 140);
    assert_eq!(store.count(None).unwrap(), 60);
    assert_eq!(store.recent("general", 1000).unwrap()[0].id, "70");
    assert!(store
        .search("day", None, 1000)
        .unwrap()
        .iter()
        .all(|m| m.ts_ms >= 70 * DAY_MS));
    assert_eq!(store.prune(thirty_days, now).unwrap(), 0);
}

#[test]
fn prune_by_size_drops_the_oldest_of_all_rooms_and_shrinks_the_file() {
    let dir = temp();
    let path = dir.path().join("h.db");
    let mut store = Store::open(&path).unwrap();
    // Two rooms interleaved in time, with texts of some length.
    for chunk in 0..10 {
        let batch: Vec<Stored> = (0..2000)
            .map(|i| {
                let n: i64 = chunk * 2000 + i;
                let room = if n % 2 == 0 { "general" } else { "random" };
                let words = "words ".repeat(usize::try_from(n % 20).unwrap());
                message(room, &format!("{n:08}"), n, &format!("message {n} says {words}"))
            })
            .collect();
        store.insert(&batch).unwrap();
    }
    // Closing the last connection checkpoints and removes the WAL.
    drop(store);
    let before = disk_bytes(&path);
    let mut store = Store::open(&path).unwrap();
    let bound = before / 2;
    let gone = store
        .prune(
            Retention {
                max_age_days: None,
                max_bytes: Some(bound),
            },
            0,
        )
        .unwrap();
    assert!(gone > 0);
    let after = disk_bytes(&path);
    assert!(
        after <= bound,
        "{after} bytes on disk, more than the bound {bound} (from {before})"
    );
    let left = store.count(None).unwrap();
    assert_eq!(left + u64::try_from(gone).unwrap(), 20_000);
    // Half the file, not much more than half the messages (41% stay as of writing).
    assert!(left >= 6_000, "only {left} of 20 000 left");
    // What is left is the newest, of both rooms.
    let oldest = ["general", "random"].map(|room| store.recent(room, 100_000).unwrap()[0].ts_ms);
    let expected = 20_000 - i64::try_from(left).unwrap();
    assert_eq!(oldest.iter().min(), Some(&expected));
    assert!(oldest.iter().all(|&ts| ts <= expected + 1), "{oldest:?} vs {expected}");
    // Within bounds already: nothing more goes.
    assert_eq!(
        store
            .prune(
                Retention {
                    max_age_days: None,
                    max_bytes: Some(bound)
                },
                0
            )
            .unwrap(),
        0
    );
}

/// The file as the user sees it: the database and its WAL.
pub(crate) fn disk_bytes(path: &std::path::Path) -> u64 {
    let wal = std::fs::metadata(format!("{}-wal", path.display())).map_or(0, |m| m.len());
    std::fs::metadata(path).unwrap().len() + wal
}

#[test]
fn a_message_stored_first_as_it_came_back_becomes_ours_when_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("h.sqlite3")).unwrap();
    let mut echo = Stored {
        room: "general".into(),
        id: "m1".into(),
        user: Some("alice".into()),
        text: "hello".into(),
        action: false,
        ts_ms: 1_700_000_000_000,
        own: false,
        mark: None,
        sealed: false,
    };
    assert_eq!(store.insert(std::slice::from_ref(&echo)).unwrap(), 1);
    echo.own = true;
    assert_eq!(
        store.insert(std::slice::from_ref(&echo)).unwrap(),
        0,
        "not stored twice"
    );
    assert!(store.recent("general", 10).unwrap()[0].own);
    echo.own = false;
    store.insert(std::slice::from_ref(&echo)).unwrap();
    assert!(store.recent("general", 10).unwrap()[0].own, "never made not ours again");
}
