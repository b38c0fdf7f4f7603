//! The table of medians printed at the end.

use std::collections::BTreeMap;

use crate::run::{Outcome, Test};
use crate::subscriber::Sub;

pub(crate) type Results = BTreeMap<(Test, Sub), Vec<Outcome>>;

pub(crate) fn median(mut v: Vec<f64>) -> f64 {
    v.retain(|x| !x.is_nan());
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// One line per run, as it finishes.
pub(crate) fn print_run(round: usize, test: Test, name: &str, o: &Outcome) {
    println!(
        "round {} {:<14} {:<14} missing {:>6}  {:>9.0}/s  cpu {:>6.3} s/100k  rss {:>5.1} MiB  p50 {:>7.0} µs  p99 {:>7.0} µs  ready {:>5.0} ms",
        round + 1,
        test.label(),
        name,
        o.missing,
        o.throughput,
        o.cpu_per_100k,
        o.rss_mib,
        o.p50_us,
        o.p99_us,
        o.startup_ms
    );
}

/// The medians of every test for every subscriber, with the ratios to
/// mosquitto_sub (the last of `subs`).
pub(crate) struct Table<'a> {
    pub(crate) subs: &'a [Sub],
    pub(crate) builds: &'a [String],
    pub(crate) results: &'a Results,
}

impl Table<'_> {
    pub(crate) fn print(&self, tests: &[Test], rounds: usize) {
        println!();
        println!("medians of {rounds} round(s); ratio = komunikator / mosquitto_sub");
        self.header();
        let results = self.results;
        for &test in tests {
            let get = |f: fn(&Outcome) -> f64| move |sub: Sub| median(results[&(test, sub)].iter().map(f).collect());
            let label = test.label();
            let most_missing = |sub: Sub| {
                results[&(test, sub)]
                    .iter()
                    .map(|o| o.missing as f64)
                    .fold(0.0, f64::max)
            };
            self.row(&label, "missing (max)", &most_missing, 0);
            match test {
                Test::Flood(_) => {
                    self.row(&label, "throughput msgs/s", &get(|o| o.throughput), 0);
                    self.row(&label, "CPU s per 100k", &get(|o| o.cpu_per_100k), 3);
                    self.row(&label, " of which user (ticks)", &get(|o| o.user_per_100k), 2);
                    self.row(&label, " of which sys (ticks)", &get(|o| o.sys_per_100k), 2);
                    self.row(&label, "peak RSS MiB", &get(|o| o.rss_mib), 1);
                }
                Test::Latency(_) => {
                    self.row(&label, "p50 latency µs", &get(|o| o.p50_us), 0);
                    self.row(&label, "p99 latency µs", &get(|o| o.p99_us), 0);
                }
            }
        }
        let ready = |sub: Sub| {
            median(
                results
                    .iter()
                    .filter(|((_, s), _)| *s == sub)
                    .flat_map(|(_, v)| v.iter().map(|o| o.startup_ms))
                    .collect(),
            )
        };
        self.row("start-up", "launch→first msg ms", &ready, 0);
    }

    fn compared(&self) -> &[Sub] {
        &self.subs[..self.subs.len() - 1]
    }

    fn header(&self) {
        let mut header = format!("{:<15} {:<22}", "test", "metric");
        for &sub in self.subs {
            header.push_str(&format!(" {:>14}", sub.name(self.builds)));
        }
        for &sub in self.compared() {
            header.push_str(&format!(
                " {:>8}",
                if sub == Sub::Komunikator(0) {
                    "ratio".into()
                } else {
                    format!("ratio {}", sub.name(self.builds).trim_start_matches("k:"))
                }
            ));
        }
        println!("{header}");
    }

    fn row(&self, label: &str, metric: &str, value: &dyn Fn(Sub) -> f64, decimals: usize) {
        let mut line = format!("{label:<15} {metric:<22}");
        for &sub in self.subs {
            line.push_str(&format!(" {:>14.*}", decimals, value(sub)));
        }
        let reference = value(Sub::MosquittoSub);
        for &sub in self.compared() {
            let ratio = value(sub) / reference;
            if ratio.is_finite() {
                line.push_str(&format!(" {ratio:>8.2}"));
            } else {
                line.push_str(&format!(" {:>8}", "-"));
            }
        }
        println!("{line}");
    }
}
