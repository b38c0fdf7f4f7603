//! The subscribers under test, and the reader that times what they print.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::now_us;

/// A subscriber under test: komunikator builds (0: this one, then `--also`), or mosquitto_sub.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub(crate) enum Sub {
    Komunikator(usize),
    MosquittoSub,
}

impl Sub {
    pub(crate) fn name(self, builds: &[String]) -> String {
        match self {
            Sub::Komunikator(0) => "komunikator".into(),
            Sub::Komunikator(i) => {
                let path = Path::new(&builds[i]);
                format!(
                    "k:{}",
                    path.file_name()
                        .map_or(builds[i].clone(), |f| f.to_string_lossy().into())
                )
            }
            Sub::MosquittoSub => "mosquitto_sub".into(),
        }
    }
}

#[derive(Default)]
pub(crate) struct Seen {
    pub(crate) probes: u64,
    /// Per test message: arrival − embedded publish time, in µs.
    pub(crate) latency: Vec<Option<u64>>,
    pub(crate) received: usize,
    pub(crate) first_sent: Option<u64>,
    pub(crate) last_arrival: u64,
}

/// Reads the subscriber's stdout: one line per message, in both programs the
/// payload's `"text":"label seq time"` is found the same way.
pub(crate) fn read_lines(stdout: impl Read, seen: Arc<Mutex<Seen>>, label: String) {
    let mut reader = BufReader::with_capacity(64 * 1024, stdout);
    let mut line = Vec::with_capacity(512);
    let key = b"\"text\":\"";
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let arrival = now_us();
        let Some(at) = line.windows(key.len()).position(|w| w == key) else {
            continue;
        };
        let text = &line[at + key.len()..];
        let end = text.iter().position(|&b| b == b'"').unwrap_or(text.len());
        let Ok(text) = std::str::from_utf8(&text[..end]) else {
            continue;
        };
        let mut parts = text.split(' ');
        let (Some(kind), Some(seq), Some(sent)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let mut seen = seen.lock().expect("seen");
        if kind == "probe" {
            seen.probes += 1;
            continue;
        }
        if kind != label {
            continue;
        }
        let (Ok(seq), Ok(sent)) = (seq.parse::<usize>(), sent.parse::<u64>()) else {
            continue;
        };
        if seq >= seen.latency.len() || seen.latency[seq].is_some() {
            continue;
        }
        seen.latency[seq] = Some(arrival.saturating_sub(sent));
        seen.received += 1;
        if seq == 0 {
            seen.first_sent = Some(sent);
        }
        seen.last_arrival = seen.last_arrival.max(arrival);
    }
}
