//! Leaving: send what waits, publish `offline`, DISCONNECT, exit. When the
//! broker cannot be reached for `--drain-timeout`, or the user gives up, what
//! is still unsent is named and the exit status says so.
//!
//! Every phase has a deadline kept here, in the state, so the front ends only
//! sleep until [`State::quit_deadline`] and report [`Event::QuitTimeout`].

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{Conn, Effect, State};
use crate::protocol::payload;
use crate::protocol::sanitize::{self, Newlines};
use crate::protocol::{Reason, Status, TopicRef};

/// Exit status of a clean quit.
pub const EXIT_OK: i32 = 0;
/// Exit status when the first connection failed (also `Effect::Fail`).
pub const EXIT_FAILED: i32 = 1;
/// Exit status of a quit that left messages unsent.
pub const EXIT_UNSENT: i32 = 3;

/// How long the broker may take to acknowledge our `offline`.
const OFFLINE_ACK_WAIT: Duration = Duration::from_secs(3);
/// After DISCONNECT, how long to wait for the broker to close the socket:
/// leaving earlier can make the kernel reset the connection, and the broker
/// then publishes the will although the exit was clean.
const CLOSE_WAIT: Duration = Duration::from_millis(1500);
/// Characters of each unsent message named at exit.
const UNSENT_PREVIEW: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    /// Waiting for the outbox to drain (and for a connection to send it on).
    Draining,
    /// Offline published with this tag; waiting for its ack.
    Offline(u64),
    /// DISCONNECT sent; waiting for the broker to close.
    Closing,
}

#[derive(Debug, Clone)]
pub(super) struct Quitting {
    pub(super) phase: Phase,
    /// When the current phase stops waiting.
    deadline: DateTime<Utc>,
    /// The exit status once the quit completes.
    status: i32,
    /// The quit message, for our `offline`.
    message: Option<String>,
}

/// What the status bar shows while quitting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Draining {
    pub waiting: usize,
    /// Whole seconds until the client gives up on them.
    pub seconds_left: u64,
}

fn after(now: DateTime<Utc>, wait: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX)
}

impl State {
    pub fn is_quitting(&self) -> bool {
        self.quitting.is_some()
    }

    /// When the front end must send [`Event::QuitTimeout`](super::Event::QuitTimeout).
    pub fn quit_deadline(&self) -> Option<DateTime<Utc>> {
        self.quitting.as_ref().map(|q| q.deadline)
    }

    /// While quitting with messages still waiting: how many, and for how long.
    pub fn draining(&self) -> Option<Draining> {
        let q = self.quitting.as_ref()?;
        if q.phase != Phase::Draining || self.outbox.is_empty() {
            return None;
        }
        let left = (q.deadline - self.now).num_milliseconds().max(0) as u64;
        Some(Draining {
            waiting: self.outbox.len(),
            seconds_left: left.div_ceil(1000),
        })
    }

    /// `/quit`, end of input, Ctrl-D, SIGTERM, SIGHUP: leave once what waits
    /// is sent. Asked again while quitting, it changes nothing: only
    /// [`State::interrupt`] gives up early.
    pub(super) fn quit(&mut self, message: Option<String>, fx: &mut Vec<Effect>) {
        if self.quitting.is_some() {
            return;
        }
        if let Some(listen) = self.settings.hosting {
            self.notice(
                format!("the broker on {listen} stops with you: everyone else connected to it is disconnected"),
                fx,
            );
        }
        let drain = self.settings.drain_timeout;
        self.quitting = Some(Quitting {
            phase: Phase::Draining,
            deadline: after(self.now, drain),
            status: if self.undelivered > 0 { EXIT_UNSENT } else { EXIT_OK },
            message,
        });
        let connected = matches!(self.conn, Conn::Connected { .. });
        if !connected && !self.outbox.is_empty() && self.connected_once {
            self.notice(
                format!(
                    "quitting: waiting up to {}s for {} message(s) to be sent (--drain-timeout)",
                    drain.as_secs(),
                    self.outbox.len()
                ),
                fx,
            );
        }
        if !connected {
            // The backoff may be many seconds long: try again now, and often.
            fx.push(Effect::Hurry);
        }
        fx.push(Effect::Ticking(true));
        self.quit_step(fx);
    }

    /// SIGINT (Ctrl-C in line mode), Ctrl-C in the UI: quit, or, when already
    /// quitting, stop waiting for the outbox.
    pub(super) fn interrupt(&mut self, fx: &mut Vec<Effect>) {
        let now = self.now;
        match &mut self.quitting {
            None => self.quit(None, fx),
            Some(q) if q.phase == Phase::Draining => {
                q.deadline = now;
                self.quit_timeout(fx);
            }
            // Already leaving: nothing is left to wait for but the broker.
            Some(q) => fx.push(Effect::Exit(q.status)),
        }
    }

    /// Moves a quit forward: outbox drained, then offline, then DISCONNECT.
    pub(super) fn quit_step(&mut self, fx: &mut Vec<Effect>) {
        let Some(q) = &self.quitting else { return };
        if q.phase != Phase::Draining {
            return;
        }
        if self.settings.drain_timeout.is_zero() && !self.outbox.is_empty() {
            self.quit_timeout(fx);
            return;
        }
        if matches!(self.conn, Conn::Connected { .. }) && self.outbox.is_empty() && self.held.len() == 0 {
            self.leave(fx);
        }
        // Otherwise wait: for acks, for the (re)connection, for the keys of
        // those direct messages are for, or for the deadline.
    }

    /// The broker acknowledged one of our messages while draining: the wait
    /// is counted from the last progress, so a long outbox on a working link
    /// is never cut short.
    pub(super) fn quit_progress(&mut self) {
        let drain = self.settings.drain_timeout;
        if let Some(q) = &mut self.quitting {
            if q.phase == Phase::Draining {
                q.deadline = after(self.now, drain);
            }
        }
    }

    /// Publishes offline and waits for its ack.
    fn leave(&mut self, fx: &mut Vec<Effect>) {
        let message = self.quitting.as_ref().and_then(|q| q.message.clone());
        let tag = self.publish_presence(Status::Offline, Some(Reason::Quit), message.as_deref(), fx);
        self.clear_heartbeat(fx);
        let now = self.now;
        if let Some(q) = &mut self.quitting {
            q.phase = Phase::Offline(tag);
            q.deadline = after(now, OFFLINE_ACK_WAIT);
        }
        fx.push(Effect::Ticking(false));
    }

    fn disconnect(&mut self, fx: &mut Vec<Effect>) {
        let now = self.now;
        if let Some(q) = &mut self.quitting {
            q.phase = Phase::Closing;
            q.deadline = after(now, CLOSE_WAIT);
        }
        fx.push(Effect::Disconnect);
    }

    /// True when `tag` was our offline: the next step is DISCONNECT.
    pub(super) fn quit_acked(&mut self, tag: u64, fx: &mut Vec<Effect>) -> bool {
        let is_offline = self.quitting.as_ref().is_some_and(|q| q.phase == Phase::Offline(tag));
        if is_offline {
            self.disconnect(fx);
        }
        is_offline
    }

    /// The connection closed after our DISCONNECT.
    pub(super) fn quit_closed(&mut self, fx: &mut Vec<Effect>) {
        let status = self.quitting.as_ref().map_or(EXIT_OK, |q| q.status);
        fx.push(Effect::Exit(status));
    }

    /// The connection dropped while quitting: the offline (if sent) is lost
    /// with it, so it is sent again once the client is back.
    pub(super) fn quit_lost_connection(&mut self, was_connected: bool, fx: &mut Vec<Effect>) {
        let drain = self.settings.drain_timeout;
        let now = self.now;
        if let Some(q) = &mut self.quitting {
            if let Phase::Offline(_) = q.phase {
                q.phase = Phase::Draining;
                q.deadline = after(now, drain);
            }
            if was_connected {
                // A failed attempt needs no hurrying: the session keeps
                // its delays short once hurried.
                fx.push(Effect::Hurry);
            }
            fx.push(Effect::Ticking(true));
        }
    }

    /// The current phase's deadline passed (a front end's timer, which may
    /// be early: only the state knows whether the deadline moved).
    pub(super) fn quit_timeout(&mut self, fx: &mut Vec<Effect>) {
        let Some(q) = &self.quitting else { return };
        if self.now < q.deadline {
            return;
        }
        match q.phase {
            Phase::Draining => {
                if !self.outbox.is_empty() {
                    self.report_unsent(fx);
                }
                if matches!(self.conn, Conn::Connected { .. }) {
                    self.leave(fx);
                } else {
                    // Everything typed was sent; the broker announces us
                    // offline with the will of the connection it lost.
                    let status = self.quitting.as_ref().map_or(EXIT_OK, |q| q.status);
                    fx.push(Effect::Exit(status));
                }
            }
            Phase::Offline(_) => self.disconnect(fx),
            Phase::Closing => {
                let status = q.status;
                fx.push(Effect::Exit(status));
            }
        }
    }

    /// Names every message still in the outbox (stderr, after the screen is
    /// restored) and takes them out of it: the exit status becomes
    /// [`EXIT_UNSENT`].
    pub(super) fn report_unsent(&mut self, fx: &mut Vec<Effect>) {
        // What still waited for keys is unsent too: into the outbox, and said.
        self.release_held(true, fx);
        let unsent = self.outbox.take_all();
        if unsent.is_empty() {
            return;
        }
        if let Some(q) = &mut self.quitting {
            q.status = EXIT_UNSENT;
        }
        // Connected, they were handed to the broker but not acknowledged:
        // they may still arrive, and saying "not sent" would be false.
        let (what, why) = match &self.conn {
            Conn::Connected { .. } => (
                "not acknowledged",
                "the broker did not acknowledge them in time (they may still arrive)".to_owned(),
            ),
            Conn::Reconnecting { reason, .. } => ("not sent", sanitize::name(reason).into_owned()),
            Conn::Connecting => ("not sent", format!("could not connect to {}", self.settings.address())),
        };
        fx.push(Effect::Farewell(format!("{} message(s) {what}: {why}", unsent.len())));
        for publish in &unsent {
            let to = match self.topics.parse(&publish.topic) {
                TopicRef::Direct(user) => format!("@{user}"),
                TopicRef::Chat(room) => format!("#{room}"),
                _ => publish.topic.clone(),
            };
            let text = payload::decode_chat(&publish.payload).text;
            let first = text.lines().next().unwrap_or_default();
            let shown: String = sanitize::text(first, Newlines::Mark)
                .chars()
                .take(UNSENT_PREVIEW)
                .collect();
            fx.push(Effect::Farewell(format!("{what} to {to}: {shown}")));
            self.mark_failed(publish.tag, &format!("{what}: quit before the broker took it"));
        }
    }
}
