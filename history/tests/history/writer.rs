use std::time::Duration;

use komunikator_history::{Retention, Store, Writer};

use crate::{message, messages, temp};

#[test]
fn a_hundred_thousand_messages_through_the_writer() {
    let dir = temp();
    let path = dir.path().join("h.db");
    let writer = Writer::spawn(&path, Retention::default()).unwrap();
    // In seconds of a 10 000 msg/s flood: the queue (4 MiB) holds one easily.
    for i in 0..100_000_i64 {
        let room = ["general", "random", "@bob"][usize::try_from(i % 3).unwrap()];
        assert!(writer.store(message(room, &i.to_string(), i, "flooding the writer")));
        if i % 10_000 == 9_999 {
            assert!(writer.flush(Duration::from_secs(60)));
        }
    }
    assert!(writer.flush(Duration::from_secs(120)));
    assert_eq!(writer.take_dropped(), 0);
    assert_eq!(writer.take_error(), None);
    let store = Store::open(&path).unwrap();
    assert_eq!(store.count(None).unwrap(), 100_000);
    assert_eq!(store.count(Some("@bob")).unwrap(), 33_333);
}

#[test]
fn forget_is_ordered_after_what_was_queued_before() {
    let dir = temp();
    let path = dir.path().join("h.db");
    let writer = Writer::spawn(&path, Retention::default()).unwrap();
    for m in messages("@bob", 50, 0) {
        assert!(writer.store(m));
    }
    writer.forget("@bob");
    assert!(writer.store(message("@bob", "after", 1, "a new conversation")));
    assert!(writer.flush(Duration::from_secs(60)));
    let store = Store::open(&path).unwrap();
    let left = store.recent("@bob", 100).unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, "after");
}

#[test]
fn the_retention_is_applied_at_start() {
    let dir = temp();
    let path = dir.path().join("h.db");
    let day = 24 * 60 * 60 * 1000;
    let mut store = Store::open(&path).unwrap();
    store
        .insert(&[
            message("general", "ancient", day, "from 1970"),
            message("general", "new", i64::MAX / 2, ""),
        ])
        .unwrap();
    let writer = Writer::spawn(
        &path,
        Retention {
            max_age_days: Some(30),
            max_bytes: None,
        },
    )
    .unwrap();
    // The prune runs before the queue is taken: once this is written, it has run.
    assert!(writer.store(message("general", "marker", 0, "")));
    assert!(writer.flush(Duration::from_secs(60)));
    assert_eq!(writer.take_error(), None);
    let ids: Vec<String> = store.recent("general", 10).unwrap().into_iter().map(|m| m.id).collect();
    assert_eq!(ids, ["marker", "new"]);
}

#[test]
fn dropping_the_writer_writes_what_is_queued() {
    let dir = temp();
    let path = dir.path().join("h.db");
    let writer = Writer::spawn(&path, Retention::default()).unwrap();
    for m in messages("general", 1000, 0) {
        assert!(writer.store(m));
    }
    drop(writer);
    assert_eq!(Store::open(&path).unwrap().count(None).unwrap(), 1000);
}

#[test]
fn a_burst_beyond_the_queue_is_dropped_and_counted_not_waited_for() {
    let dir = temp();
    let path = dir.path().join("h.db");
    let writer = Writer::spawn(&path, Retention::default()).unwrap();
    // 64 MiB at once, sixteen times the queue's bytes.
    let long = "x".repeat(32 * 1024);
    let taken = (0..2_048_i64)
        .filter(|&i| writer.store(message("general", &i.to_string(), i, &long)))
        .count() as u64;
    let dropped = writer.take_dropped();
    assert!(dropped > 0, "nothing dropped: the queue is not bounded in bytes");
    assert_eq!(taken + dropped, 2_048);
    assert!(writer.flush(Duration::from_secs(60)));
    assert_eq!(Store::open(&path).unwrap().count(None).unwrap(), taken);
}
