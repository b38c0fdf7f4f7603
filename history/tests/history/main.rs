//! The history's tests, in one binary: the crash test runs this binary again
//! as the process it kills.

mod archive;
mod files;
mod marks;
mod search;
mod store;
mod writer;

use komunikator_history::Stored;

/// A message of `room` by alice.
fn message(room: &str, id: &str, ts_ms: i64, text: &str) -> Stored {
    Stored {
        room: room.to_owned(),
        id: id.to_owned(),
        user: Some("alice".to_owned()),
        text: text.to_owned(),
        action: false,
        ts_ms,
        own: false,
        mark: None,
        sealed: false,
    }
}

/// `n` messages of `room`, ids `{room}-{i}`, one a second from `start_ms`.
fn messages(room: &str, n: usize, start_ms: i64) -> Vec<Stored> {
    (0..n)
        .map(|i| {
            let i64_i = i64::try_from(i).expect("small");
            message(
                room,
                &format!("{room}-{i:06}"),
                start_ms + i64_i * 1000,
                &format!("message number {i} of {room}"),
            )
        })
        .collect()
}

fn ids(messages: &[Stored]) -> Vec<&str> {
    messages.iter().map(|m| m.id.as_str()).collect()
}

fn temp() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}
