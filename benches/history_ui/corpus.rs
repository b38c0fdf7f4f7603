//! The history the client opens: a million messages in 50 rooms over the 90
//! days up to now, written with `Store::insert` as the client's writer would.

use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use komunikator_history::{Store, Stored};

pub(crate) const MESSAGES: usize = 1_000_000;
pub(crate) const ROOMS: usize = 50;
pub(crate) const BATCH: usize = 10_000;
const SPAN_MS: i64 = 90 * 24 * 60 * 60 * 1000;
/// In about one message in this many.
const NEEDLE_ODDS: u64 = 10_000;
pub(crate) const NEEDLE: &str = "quokka";
/// A common word, for the search of every room.
pub(crate) const COMMON: &str = "coffee";

/// Chat words by rough frequency, most common first; the text draws from them
/// with Zipf weights (as in history/benches/history.rs).
const WORDS: &str = "the i you to a and is it that of in what for be so not this have on my no but \
    just do we are can with like me was it's if yeah ok at all get about know from up one out how \
    there now go they lol when will did then well think good or would time see your want right an \
    going really some people too more make work here need why because back also got thanks today \
    new still sure something yes maybe day way much any let's only could over first tomorrow thing \
    meeting lunch later week home code build test please look around again said last after working \
    coffee night morning already call fix broken deploy server release branch review merge issue \
    ticket update problem email weekend train office window rain music movie book dinner party \
    birthday holiday summer winter laptop phone screen battery keyboard mouse printer \
    password network router kernel compiler linker database schema index query backup restore \
    migration cluster container python rust golang javascript terminal editor vim emacs \
    żółw źdźbło gęśla jaźń łódź wiśnia chrząszcz pszczoła kłódka ćma \
    quarterly invoice espresso cappuccino croissant bicycle helmet umbrella volcano glacier \
    asteroid nebula quasar pulsar xylophone harpsichord bassoon oboe marimba zither";

/// splitmix64: the same history on every run (but for its times).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// An index into `cumulative` (a running sum of weights) drawn by weight.
    fn weighted(&mut self, cumulative: &[f64]) -> usize {
        let total = cumulative.last().copied().unwrap_or(1.0);
        let x = (self.next() >> 11) as f64 / (1u64 << 53) as f64 * total;
        cumulative.partition_point(|&c| c <= x).min(cumulative.len() - 1)
    }
}

fn zipf(n: usize) -> Vec<f64> {
    (0..n)
        .scan(0.0, |sum, rank| {
            *sum += 1.0 / (rank as f64 + 1.0);
            Some(*sum)
        })
        .collect()
}

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
