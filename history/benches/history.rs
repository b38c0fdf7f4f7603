//! Figures of the history at the size of a long-used client: a million
//! messages in 50 rooms over 90 days. Run by name:
//! `cargo bench -p komunikator-history --bench history`. It prints a table;
//! the only checks are sanity (the flood must drop nothing).

use std::path::Path;
use std::time::{Duration, Instant};

use komunikator_history::{Retention, Store, Stored, Writer};

// The word list and the random numbers, shared with the full-screen UI's
// bench (benches/history_ui): the same kind of history in both.
mod words;
use words::{zipf, Rng, WORDS};

const MESSAGES: usize = 1_000_000;
const ROOMS: usize = 50;
const BATCH: usize = 10_000;
const SPAN_MS: i64 = 90 * 24 * 60 * 60 * 1000;
const START_MS: i64 = 1_780_000_000_000;

/// A ULID-like id: time first, as the client makes them.
fn ulid(rng: &mut Rng, ts_ms: i64) -> String {
    format!("{ts_ms:012X}{:014X}", rng.next() >> 8)
}

struct Corpus {
    words: Vec<&'static str>,
    word_weights: Vec<f64>,
    room_weights: Vec<f64>,
    rng: Rng,
    ts_ms: i64,
}

impl Corpus {
    fn new() -> Corpus {
        let words: Vec<&str> = WORDS.split_whitespace().collect();
        Corpus {
            word_weights: zipf(words.len()),
            words,
            room_weights: zipf(ROOMS),
            rng: Rng(7),
            ts_ms: START_MS,
        }
    }

    fn message(&mut self) -> Stored {
        let gap = 2 * SPAN_MS / MESSAGES as i64;
        self.ts_ms += i64::try_from(self.rng.below(gap.unsigned_abs())).unwrap_or(0);
        let room = room_name(self.rng.weighted(&self.room_weights));
        let length = 20 + self.rng.below(101) as usize;
        let mut text = String::new();
        loop {
            let word = self.words[self.rng.weighted(&self.word_weights)];
            if text.len() + word.len() + 1 > 120 || (text.len() >= length && !text.is_empty()) {
                break;
            }
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(word);
        }
        if self.rng.below(10_000) == 0 {
            text.push_str(" quokka");
        }
        Stored {
            room,
            id: ulid(&mut self.rng, self.ts_ms),
            user: Some(format!("user{}", self.rng.below(200))),
            text,
            action: self.rng.below(50) == 0,
            ts_ms: self.ts_ms,
            own: self.rng.below(20) == 0,
            mark: None,
            sealed: false,
        }
    }
}

fn room_name(i: usize) -> String {
    format!("room-{i:02}")
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The `p`th percentile (0–100) of `samples`, sorted here.
fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort_unstable();
    let i = ((samples.len() as f64 - 1.0) * p / 100.0).round() as usize;
    samples[i.min(samples.len() - 1)]
}

fn file_bytes(path: &Path) -> u64 {
    let wal = std::fs::metadata(format!("{}-wal", path.display())).map_or(0, |m| m.len());
    std::fs::metadata(path).map_or(0, |m| m.len()) + wal
}

fn row(what: &str, figure: String) {
    println!("| {what:<56} | {figure:>32} |");
}

fn main() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("history.db");
    println!("| {:<56} | {:>32} |", "what", "figure");
    println!("|{:-<58}|{:->34}|", "", "");

    // Build.
    let mut corpus = Corpus::new();
    let started = Instant::now();
    {
        let mut store = Store::open(&path).expect("open");
        let mut left = MESSAGES;
        while left > 0 {
            let batch: Vec<Stored> = (0..BATCH.min(left)).map(|_| corpus.message()).collect();
            left -= batch.len();
            store.insert(&batch).expect("insert");
        }
        assert_eq!(store.count(None).expect("count"), MESSAGES as u64);
    }
    let build = started.elapsed();
    row(
        &format!("build {MESSAGES} messages, batches of {BATCH}"),
        format!(
            "{:.1} s ({:.0} msg/s)",
            build.as_secs_f64(),
            MESSAGES as f64 / build.as_secs_f64()
        ),
    );
    // Dropping the last connection checkpointed and removed the WAL.
    let bytes = file_bytes(&path);
    row("file size", format!("{:.1} MiB", bytes as f64 / (1 << 20) as f64));
    row(
        "bytes on disk per message",
        format!("{:.0}", bytes as f64 / MESSAGES as f64),
    );

    // Open and show a room, each round a fresh connection.
    for room in [0, 9, 49] {
        let name = room_name(room);
        let mut samples: Vec<Duration> = (0..20)
            .map(|_| {
                let t = Instant::now();
                let store = Store::open(&path).expect("open");
                let shown = store.recent(&name, 200).expect("recent");
                assert!(!shown.is_empty());
                t.elapsed()
            })
            .collect();
        let count = Store::open(&path).and_then(|s| s.count(Some(&name))).expect("count");
        row(
            &format!("open + recent({name} [{count} msgs], 200): median/max"),
            format!(
                "{:.2} / {:.2} ms",
                ms(percentile(&mut samples, 50.0)),
                ms(percentile(&mut samples, 100.0))
            ),
        );
    }

    let store = Store::open(&path).expect("open");
    search_figures(&store);

    // Scrolling up through a busy room.
    let mut samples = Vec::new();
    let mut page = store.recent(&room_name(0), 200).expect("recent");
    while let (Some(oldest), true) = (page.first().cloned(), samples.len() < 500) {
        let t = Instant::now();
        page = store
            .before(&room_name(0), oldest.ts_ms, &oldest.id, 200)
            .expect("before");
        samples.push(t.elapsed());
    }
    row(
        &format!("before(200), {} pages up room-00: median/p99", samples.len()),
        format!(
            "{:.2} / {:.2} ms",
            ms(percentile(&mut samples, 50.0)),
            ms(percentile(&mut samples, 99.0))
        ),
    );
    drop(store);

    flood(&path, &mut corpus);
}

fn search_figures(store: &Store) {
    let words: Vec<&str> = WORDS.split_whitespace().collect();
    let common = &words[10..15];
    let rare = &words[words.len() - 30..words.len() - 25];
    // In one message of 10 000.
    let needle = ["quokka"];
    for (kind, list) in [("common", common), ("rare", rare), ("needle", &needle[..])] {
        for room in [Some("room-00"), None] {
            let mut samples = Vec::new();
            let mut found = 0;
            for round in 0..100 {
                let t = Instant::now();
                let hits = store.search(list[round % list.len()], room, 50).expect("search");
                samples.push(t.elapsed());
                found += hits.len();
            }
            let where_ = room.unwrap_or("all rooms");
            row(
                &format!("search {kind} ({}), {where_}: median/p99", list[0]),
                format!(
                    "{:.2} / {:.2} ms, {} hits",
                    ms(percentile(&mut samples, 50.0)),
                    ms(percentile(&mut samples, 99.0)),
                    found / 100
                ),
            );
        }
    }
}

/// 10 000 messages a second for 10 s, in 1 ms ticks of 10, into the big store.
fn flood(path: &Path, corpus: &mut Corpus) {
    const TICKS: u32 = 10_000;
    const PER_TICK: usize = 10;
    let writer = Writer::spawn(path, Retention::default()).expect("spawn");
    let mut calls = Vec::with_capacity(TICKS as usize * PER_TICK);
    let messages: Vec<Stored> = (0..TICKS as usize * PER_TICK).map(|_| corpus.message()).collect();
    let mut messages = messages.into_iter();
    let start = Instant::now();
    for tick in 0..TICKS {
        let due = start + Duration::from_millis(u64::from(tick));
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        for message in messages.by_ref().take(PER_TICK) {
            let t = Instant::now();
            writer.store(message);
            calls.push(t.elapsed());
        }
    }
    let sent = start.elapsed();
    let t = Instant::now();
    let flushed = writer.flush(Duration::from_secs(60));
    let lag = t.elapsed();
    let dropped = writer.take_dropped();
    let error = writer.take_error();
    drop(writer);
    let count = Store::open(path).and_then(|s| s.count(None)).expect("count");
    row(
        &format!("flood: {} msgs in", calls.len()),
        format!("{:.2} s", sent.as_secs_f64()),
    );
    row("flood: dropped (must be 0)", format!("{dropped}"));
    row(
        "flood: writer lag at the end (flush)",
        format!("{:.1} ms{}", ms(lag), if flushed { "" } else { " TIMEOUT" }),
    );
    row(
        "flood: store() on the caller's thread p50/p99/max",
        format!(
            "{:.2} / {:.2} / {:.1} µs",
            percentile(&mut calls, 50.0).as_secs_f64() * 1e6,
            percentile(&mut calls, 99.0).as_secs_f64() * 1e6,
            percentile(&mut calls, 100.0).as_secs_f64() * 1e6
        ),
    );
    assert_eq!(dropped, 0, "the flood dropped messages");
    assert!(error.is_none(), "{error:?}");
    assert_eq!(count, (MESSAGES + calls.len()) as u64);
}
