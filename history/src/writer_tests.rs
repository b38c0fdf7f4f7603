//! The writer's queue bound, with a queue small enough to fill.

use std::time::Duration;

use super::Writer;
use crate::{Retention, Store, Stored};

fn message(i: usize) -> Stored {
    Stored {
        room: "general".into(),
        id: i.to_string(),
        user: None,
        text: "x".into(),
        action: false,
        ts_ms: 0,
        own: false,
        mark: None,
        sealed: false,
    }
}

#[test]
fn a_full_queue_drops_and_counts_instead_of_waiting() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    // Another connection holds the write lock, so the writer's thread stalls
    // on its first batch and the queue (4) fills.
    let mut other = Store::open(&path).unwrap();
    let lock = other
        .conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Exclusive)
        .unwrap();
    let writer = Writer::with_capacity(&path, Retention::default(), 4).unwrap();
    let accepted = (0..100).filter(|&i| writer.store(message(i))).count();
    // At most what the queue holds plus the batch the thread took.
    assert!((4..=9).contains(&accepted), "{accepted}");
    assert_eq!(writer.take_dropped(), 100 - u64::try_from(accepted).unwrap());
    assert_eq!(writer.take_dropped(), 0);
    // A forget that finds the queue full is an error, not a wait.
    writer.forget("general");
    assert!(writer.take_error().is_some_and(|e| e.contains("general")));

    lock.rollback().unwrap();
    assert!(writer.flush(Duration::from_secs(60)));
    assert_eq!(writer.take_error(), None);
    assert_eq!(writer.take_dropped(), 0);
    assert_eq!(other.count(None).unwrap(), u64::try_from(accepted).unwrap());
}
