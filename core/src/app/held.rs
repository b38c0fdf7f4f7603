//! Direct messages typed before the keys of others could be known.
//!
//! Right after connecting, everyone's retained presence (and with it their
//! keys) is still on its way: a script that pipes `/msg bob …` at start
//! would otherwise send it in clear a moment before bob's key arrives. In
//! line mode such a message waits, in order, until the peer's key comes or
//! the keys have had [`KEYS_SETTLE`] to arrive; then it is sealed, or sent in
//! clear after saying so, as any other. (The UI asks before sending in
//! clear, and by the second Enter the key has come.)

use std::collections::VecDeque;

use chrono::{DateTime, TimeDelta, Utc};

use super::{is_direct, Effect, State, OUTBOX_CAP};
use crate::protocol::Kind;

/// How long after the first subscription the keys of others are waited for.
pub(super) const KEYS_SETTLE: TimeDelta = TimeDelta::seconds(1);

#[derive(Debug, Default)]
pub(super) struct Held {
    messages: VecDeque<(String, String, Kind)>,
    /// When the wait ends; `None` before the first subscription.
    settle_at: Option<DateTime<Utc>>,
    settled: bool,
    /// Letting them go: a released message is not held again.
    releasing: bool,
}

impl Held {
    pub(super) fn len(&self) -> usize {
        self.messages.len()
    }

    /// When the state should wake to let them go (only while some wait).
    pub(super) fn wake_at(&self) -> Option<DateTime<Utc>> {
        self.settle_at.filter(|_| !self.settled && !self.messages.is_empty())
    }

    /// The wait for keys is over (or was never needed).
    fn settled(&self, now: DateTime<Utc>) -> bool {
        self.settled || self.settle_at.is_some_and(|at| now >= at)
    }
}

impl State {
    /// Whether a direct message to `room` must wait for keys (and, if so,
    /// it is held): only before the keys settled, for a peer without one,
    /// or behind another held message.
    pub(super) fn hold_direct(&mut self, room: &str, text: &str, kind: Kind, fx: &mut Vec<Effect>) -> Option<bool> {
        let peer = room.strip_prefix('@')?;
        let waits = self.line_mode()
            && self.public_keys().is_some()
            && !self.held.releasing
            && !self.held.settled(self.now)
            && (self.keyring.box_key(peer).is_none() || !self.held.messages.is_empty());
        if !waits {
            return None;
        }
        if self.held.messages.len() >= OUTBOX_CAP {
            self.notice(
                format!("{OUTBOX_CAP} messages are waiting to be sent already; nothing sent"),
                fx,
            );
            return Some(false);
        }
        self.held.messages.push_back((room.to_owned(), text.to_owned(), kind));
        Some(true)
    }

    /// The first subscription: the keys of others are on their way.
    pub(super) fn keys_on_their_way(&mut self) {
        self.held.settle_at.get_or_insert(self.now + KEYS_SETTLE);
    }

    /// Lets held messages go: all once the wait is over (or when leaving),
    /// otherwise those at the front whose peer's key has come.
    pub(super) fn release_held(&mut self, all: bool, fx: &mut Vec<Effect>) {
        if all || self.held.settled(self.now) {
            self.held.settled = true;
        }
        let mut released = 0;
        while let Some((room, _, _)) = self.held.messages.front() {
            let peer = room.trim_start_matches('@');
            if !self.held.settled && self.keyring.box_key(peer).is_none() {
                break;
            }
            let Some((room, text, kind)) = self.held.messages.pop_front() else {
                break;
            };
            debug_assert!(is_direct(&room));
            let index = self.open_room(&room, fx);
            self.held.releasing = true;
            self.send(index, &text, kind, fx);
            self.held.releasing = false;
            released += 1;
        }
        // A quit may have been waiting for these (when leaving anyway, the
        // quit is what called).
        if released > 0 && !all {
            self.quit_step(fx);
        }
    }
}
