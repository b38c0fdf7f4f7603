//! The history the client opens: a million messages in 50 rooms over the 90
//! days up to now, written with `Store::insert` as the client's writer would.

use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use komunikator_history::{Store, Stored};

#[path = "../../history/benches/words.rs"]
mod words;
use words::{zipf, Rng, WORDS};

pub(crate) const MESSAGES: usize = 1_000_000;
pub(crate) const ROOMS: usize = 50;
pub(crate) const BATCH: usize = 10_000;
const SPAN_MS: i64 = 90 * 24 * 60 * 60 * 1000;
/// In about one message in this many.
const NEEDLE_ODDS: u64 = 10_000;
pub(crate) const NEEDLE: &str = "quokka";
/// A common word, for the search of every room.
pub(crate) const COMMON: &str = "coffee";

pub(crate) fn room_name(i: usize) -> String {
    format!("room-{i:02}")
}

pub(crate) fn now_ms() -> i64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970");
    i64::try_from(since.as_millis()).expect("a time in range")
}

struct Corpus {
    words: Vec<&'static str>,
    word_weights: Vec<f64>,
    room_weights: Vec<f64>,
    rng: Rng,
    start_ms: i64,
    n: i64,
}

impl Corpus {
    /// Message `n` is in the `n`th of MESSAGES equal slices of the 90 days before now.
    fn message(&mut self) -> Stored {
        let step = SPAN_MS / MESSAGES as i64;
        let ts_ms = self.start_ms + self.n * step + self.rng.below(step.unsigned_abs()) as i64;
        self.n += 1;
        // Zipf over the rooms: room-00 the busiest.
        let room = room_name(self.rng.weighted(&self.room_weights));
        let length = 20 + self.rng.below(101) as usize;
        let mut text = String::new();
        while text.len() < length {
            let word = self.words[self.rng.weighted(&self.word_weights)];
            if text.len() + word.len() + 1 > 120 {
                break;
            }
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(word);
        }
        if self.rng.below(NEEDLE_ODDS) == 0 {
            text.push(' ');
            text.push_str(NEEDLE);
        }
        Stored {
            room,
            // ULID-like: time first, as the client makes them.
            id: format!("{ts_ms:012X}{:014X}", self.rng.next() >> 8),
            user: Some(format!("user{}", self.rng.below(200))),
            text,
            action: self.rng.below(50) == 0,
            ts_ms,
            own: self.rng.below(20) == 0,
            mark: None,
            sealed: false,
        }
    }
}

/// What building the history took and left.
pub(crate) struct Built {
    pub(crate) took: Duration,
    pub(crate) bytes: u64,
    /// How many messages carry the needle, in all rooms.
    pub(crate) needles: usize,
}

/// The size of the history file and its WAL.
pub(crate) fn file_bytes(path: &Path) -> u64 {
    let wal = std::fs::metadata(format!("{}-wal", path.display())).map_or(0, |m| m.len());
    std::fs::metadata(path).map_or(0, |m| m.len()) + wal
}

/// Writes the history at `path`, in batches of BATCH, one transaction each.
pub(crate) fn build(path: &Path) -> Built {
    let words: Vec<&str> = WORDS.split_whitespace().collect();
    let mut corpus = Corpus {
        word_weights: zipf(words.len()),
        words,
        room_weights: zipf(ROOMS),
        rng: Rng(7),
        start_ms: now_ms() - SPAN_MS,
        n: 0,
    };
    let started = Instant::now();
    let mut needles = 0;
    {
        let mut store = Store::open(path).expect("open the history");
        let mut left = MESSAGES;
        while left > 0 {
            let batch: Vec<Stored> = (0..BATCH.min(left)).map(|_| corpus.message()).collect();
            needles += batch.iter().filter(|m| m.text.ends_with(NEEDLE)).count();
            left -= batch.len();
            store.insert(&batch).expect("insert a batch");
            if left.is_multiple_of(100_000) {
                eprintln!("  {} messages stored", MESSAGES - left);
            }
        }
        assert_eq!(store.count(None).expect("count"), MESSAGES as u64, "ids collided");
        // Dropping the last connection checkpoints the WAL into the file.
    }
    Built {
        took: started.elapsed(),
        bytes: file_bytes(path),
        needles,
    }
}
