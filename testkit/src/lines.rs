//! Lines from one output stream of a child, read on their own thread, with
//! bounded waits for the line a test expects.

use std::io::{BufRead, BufReader, Read};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// Lines from one output stream of a child, read on their own thread.
pub struct Lines {
    label: String,
    rx: Receiver<String>,
    seen: Vec<String>,
    /// Lines before this index were passed by [`Lines::next_containing`].
    cursor: usize,
    closed: bool,
}

impl Lines {
    /// Reads `stream` line by line on a thread of its own (so the writer never blocks on it).
    pub fn spawn(label: String, stream: impl Read + Send + 'static) -> Lines {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Lines {
            label,
            rx,
            seen: Vec::new(),
            cursor: 0,
            closed: false,
        }
    }

    /// Takes in what has arrived, waiting at most until `deadline` for more.
    /// Returns false once the stream has ended.
    fn pull(&mut self, deadline: Instant) -> bool {
        if self.closed {
            return false;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match self.rx.recv_timeout(left) {
            Ok(line) => {
                self.seen.push(line);
                while let Ok(line) = self.rx.try_recv() {
                    self.seen.push(line);
                }
                true
            }
            Err(RecvTimeoutError::Timeout) => true,
            Err(RecvTimeoutError::Disconnected) => {
                self.closed = true;
                false
            }
        }
    }

    /// The first line so far (from the start) that matches; waits for it up to `timeout`.
    pub fn wait_for(&mut self, what: &str, timeout: Duration, pred: impl Fn(&str) -> bool) -> String {
        match self.try_wait_for(timeout, pred) {
            Some(line) => line,
            None => panic!(
                "{}: no line {what} within {timeout:?}; it printed:\n{}",
                self.label,
                self.seen.join("\n")
            ),
        }
    }

    pub fn try_wait_for(&mut self, timeout: Duration, pred: impl Fn(&str) -> bool) -> Option<String> {
        let deadline = Instant::now() + timeout;
        let mut checked = 0;
        loop {
            if let Some(line) = self.seen[checked..].iter().find(|l| pred(l)) {
                return Some(line.clone());
            }
            checked = self.seen.len();
            if Instant::now() >= deadline || !self.pull(deadline) {
                return None;
            }
        }
    }

    /// Waits until `n` lines so far (from the start) match; for events that repeat.
    pub fn wait_for_count(&mut self, what: &str, n: usize, timeout: Duration, pred: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + timeout;
        loop {
            let found = self.seen.iter().filter(|l| pred(l)).count();
            if found >= n {
                return;
            }
            if Instant::now() >= deadline || !self.pull(deadline) {
                panic!(
                    "{}: {found} of {n} lines {what} within {timeout:?}; it printed:\n{}",
                    self.label,
                    self.seen.join("\n")
                );
            }
        }
    }

    /// Everything until the stream ends (bounded by `timeout`).
    pub fn read_to_end(&mut self, timeout: Duration) -> Vec<String> {
        let deadline = Instant::now() + timeout;
        while self.pull(deadline) {
            if Instant::now() >= deadline {
                panic!("{}: output did not end within {timeout:?}", self.label);
            }
        }
        self.seen.clone()
    }

    pub fn seen(&mut self) -> &[String] {
        while let Ok(line) = self.rx.try_recv() {
            self.seen.push(line);
        }
        &self.seen
    }
}

impl Lines {
    /// The first line after the last one this returned that contains
    /// `needle`, waiting up to `timeout`; `None` when none came.
    pub fn next_containing(&mut self, needle: &str, timeout: Duration) -> Option<String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(at) = self.seen[self.cursor..].iter().position(|l| l.contains(needle)) {
                self.cursor += at + 1;
                return Some(self.seen[self.cursor - 1].clone());
            }
            if Instant::now() >= deadline || !self.pull(deadline) {
                self.cursor = self.seen.len();
                return None;
            }
        }
    }
}
