//! `/msg bob text` typed in another room: the line says where it went, and
//! whether bob can get it now.

use super::State;
use crate::protocol::Status;

/// Characters of the text repeated in the echo (the whole is in `@bob`).
const ECHO_CHARS: usize = 200;

/// Whether someone a direct message goes to can receive it now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    Online,
    /// Known, and offline (or gone since we connected).
    Offline,
    /// Never seen on this broker, nor a key of theirs remembered.
    Unknown,
}

impl State {
    /// How `user` can be reached, as far as this client knows (`None`:
    /// unknown while presence is not known, disconnected).
    pub fn reach(&self, user: &str) -> Option<Reach> {
        if !self.presence_known() {
            return None;
        }
        Some(match self.people.get(user) {
            Some(person) if person.status != Status::Offline => Reach::Online,
            Some(_) => Reach::Offline,
            None if self.keyring.get(user).is_some() => Reach::Offline,
            None => Reach::Unknown,
        })
    }

    /// After `/msg user text` went to conversation `to` from room `from`: the
    /// echo in the room it was typed in, and a word when `user` cannot get it now.
    pub(super) fn echo_direct(&mut self, from: usize, to: usize, user: &str, text: &str, fx: &mut Vec<super::Effect>) {
        if from != to && !self.line_mode() {
            let mut shown: String = text.chars().take(ECHO_CHARS).collect();
            if shown.len() < text.len() {
                shown.push('…');
            }
            self.notice_in(from, format!("→ {user}: {shown}"));
        }
        // A direct message goes at QoS 1 to `dm/<user>`: the broker keeps it
        // only for a session that is kept (MQTT 5: its expiry, an hour by default).
        match self.reach(user) {
            Some(Reach::Offline) => self.notice(
                format!(
                    "{user} is offline: they get it on their return only if the broker still keeps their session \
                     (an hour by default)"
                ),
                fx,
            ),
            Some(Reach::Unknown) => self.notice(format!("nobody called {user} has been seen here; sent anyway"), fx),
            Some(Reach::Online) | None => {}
        }
    }
}
