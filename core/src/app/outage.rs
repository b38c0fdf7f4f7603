//! An outage said once: one notice when the link drops, one when it is
//! back, and in between a single live line (the status bar) that failed
//! retries update instead of adding a notice each.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{Conn, Effect, State};
use crate::protocol::sanitize;

impl State {
    /// The link is down (again) for `text`; the next attempt in `retry_in`.
    /// The full-screen chat hears of it once per outage; line mode writes
    /// each attempt to stderr, where a log of the delays is what one reads.
    pub(super) fn say_outage(&mut self, text: &str, retry_in: Duration, fx: &mut Vec<Effect>) {
        let first = self.down_since.is_none();
        if first {
            self.down_since = Some(self.now);
        }
        if self.line_mode() {
            self.notice(format!("{text}; reconnecting in {}", seconds(retry_in)), fx);
        } else if first {
            self.notice(format!("{text}; reconnecting…"), fx);
        }
    }

    /// The link is back: how long it was down, as said after "reconnected"
    /// (nothing when it was never down).
    pub(super) fn outage_over(&mut self) -> String {
        match self.down_since.take() {
            Some(since) => format!(" after {} down", downtime(since, self.now)),
            None => String::new(),
        }
    }

    /// The live line while reconnecting, for the status bar: what waits to
    /// be sent first (so it shows however narrow the bar), then why the
    /// link is down and when the next attempt comes.
    pub fn outage_line(&self) -> Option<String> {
        let Conn::Reconnecting { at, reason } = &self.conn else {
            return None;
        };
        let waiting = self.outbox.len();
        let mut parts = Vec::with_capacity(3);
        // Quitting, the count leads the bar already.
        if waiting > 0 && self.draining().is_none() {
            parts.push(format!("{waiting} waiting"));
        }
        parts.push(sanitize::name(reason).into_owned());
        let secs = ((*at - self.now).num_milliseconds().max(0) + 999) / 1000;
        parts.push(if secs > 0 {
            format!("retry in {secs}s")
        } else {
            "retrying…".to_owned()
        });
        Some(parts.join(" · "))
    }
}

fn seconds(d: Duration) -> String {
    format!("{}s", d.as_secs_f64().ceil() as u64)
}

/// `42s`, `3m 05s`, `2h 10m`: how long the link was down.
fn downtime(since: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - since).num_seconds().max(0);
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m {:02}s", secs / 60, secs % 60),
        _ => format!("{}h {:02}m", secs / 3600, secs % 3600 / 60),
    }
}
