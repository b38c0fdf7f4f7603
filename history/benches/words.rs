//! Words and random numbers for the history benches: chat-like text drawn
//! with Zipf weights from a fixed seed.

/// Chat words by rough frequency, most common first; the text draws from them
/// with Zipf weights, so the first few are in most messages and the last in few.
pub(crate) const WORDS: &str = "the i you to a and is it that of in what for be so not this have on my no but \
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

/// splitmix64: the same history, and so the same figures, on every run.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// An index into `cumulative` (a running sum of weights) drawn by weight.
    pub(crate) fn weighted(&mut self, cumulative: &[f64]) -> usize {
        let total = cumulative.last().copied().unwrap_or(1.0);
        let x = (self.next() >> 11) as f64 / (1u64 << 53) as f64 * total;
        cumulative.partition_point(|&c| c <= x).min(cumulative.len() - 1)
    }
}

pub(crate) fn zipf(n: usize) -> Vec<f64> {
    (0..n)
        .scan(0.0, |sum, rank| {
            *sum += 1.0 / (rank as f64 + 1.0);
            Some(*sum)
        })
        .collect()
}
