//! What others' presence means here: the list updated, notices in the rooms
//! concerned (a line in line mode), heartbeats, roll calls to answer, and
//! our name defended against stale or forged offlines.

use chrono::{DateTime, TimeDelta, Utc};

use super::{PresenceEvent, ANSWER_JITTER_MS, ANSWER_SUPPRESS, MAX_ASKERS, MAX_UNREADABLE_NOTICED, REPAIR_INTERVAL};
use crate::app::keyring::PresenceAuth;
use crate::app::people::{Applied, Change, Departure};
use crate::app::{is_direct, Conn, Effect, Record, State};
use crate::protocol::payload::{self, PresenceError};
use crate::protocol::signature::fingerprint;
use crate::protocol::{sanitize, validate_username, PresenceIn, Status};

impl State {
    pub(in crate::app) fn presence_arrived(
        &mut self,
        user: &str,
        topic: &str,
        bytes: &[u8],
        retained: bool,
        fx: &mut Vec<Effect>,
    ) {
        if let Err(err) = validate_username(user) {
            if self.first_complaint_about(user) {
                let shown = sanitize::name(user).chars().take(80).collect::<String>();
                self.notice(format!("ignored presence for \"{shown}\": {err}"), fx);
            }
            return;
        }
        let presence = match payload::decode_presence(bytes) {
            Ok(p) => p,
            Err(PresenceError::Cleared) => return,
            Err(_) => {
                if self.first_complaint_about(user) {
                    self.notice(format!("unreadable presence for {user} (not listed; said once)"), fx);
                }
                return;
            }
        };
        if user == self.me() {
            let ours = presence.session.is_some() && presence.session == self.session;
            if ours {
                // Our own retained presence came back: wildcard retained delivery works.
                self.own.echo_until = None;
                return;
            }
            if presence.status == Status::Offline {
                self.repair_own_presence();
                return;
            }
        }
        if !self.presence_signed(user, topic, bytes, &presence, fx) {
            return;
        }
        let applied = self.people.apply(user, &presence, self.now);
        let changes = match applied {
            Applied::Changes(changes) => changes,
            Applied::Ignored => return,
            Applied::Full => {
                if !std::mem::replace(&mut self.people_full_noticed, true) {
                    let text = format!(
                        "the people list is full ({} people); newcomers are not listed",
                        crate::app::MAX_PEOPLE
                    );
                    self.notice(text, fx);
                }
                return;
            }
        };
        // The state the broker kept, or a repeat for a roll call: learnt, not
        // news; nor is someone online again whom we saw online before our reconnect.
        let back_again = self.own.was_here.remove(user);
        // A change the broker kept for us while we were away (a resumed
        // session delivers it late): the state is learnt, the moment is past.
        let from_the_absence = match (presence.ts, self.caught_up_before) {
            (Some(ts), Some(cutoff)) => ts + TimeDelta::seconds(1) < cutoff,
            _ => false,
        };
        let news = !retained && !presence.repeat && !back_again && !from_the_absence;
        let ts = presence.ts.map_or(self.now, |t| t.min(self.now));
        for change in changes {
            self.tell(user, change, ts, news, fx);
        }
    }

    /// Checks a presence's signature against the key ring: false for one
    /// not to be believed (not signed by the name's key). A new key for a
    /// known name is warned about, loudly, once.
    fn presence_signed(
        &mut self,
        user: &str,
        topic: &str,
        bytes: &[u8],
        presence: &PresenceIn,
        fx: &mut Vec<Effect>,
    ) -> bool {
        self.lookalikes.see(user);
        match self
            .keyring
            .check_presence(user, topic, bytes, presence.key, presence.boxing)
        {
            PresenceAuth::Signed { first_use } => {
                if first_use && self.held.len() > 0 {
                    self.release_held(false, fx);
                }
                true
            }
            PresenceAuth::Unsigned | PresenceAuth::Untrusted => true,
            PresenceAuth::NewKey { first_warning } => {
                if first_warning {
                    self.warn_new_key(user, fx);
                }
                true
            }
            PresenceAuth::Forged => {
                if self.first_complaint_about(&format!("forged {user}")) {
                    let text = format!("⚠ forged? a presence for {user} not signed by {user}'s key was ignored");
                    self.notice(text, fx);
                }
                false
            }
        }
    }

    /// Says, in every room and once, that `user` announced a key other than
    /// the one remembered.
    fn warn_new_key(&mut self, user: &str, fx: &mut Vec<Effect>) {
        let old = self.keyring.get(user).map(|k| fingerprint(&k.key)).unwrap_or_default();
        let new = self
            .keyring
            .pending(user)
            .map(|k| fingerprint(&k.key))
            .unwrap_or_default();
        let text = format!(
            "⚠⚠ WARNING: {user}'s key has CHANGED. This may be someone else using the name {user} \
             (or {user} lost their key). Remembered: {old}; new: {new}. Messages signed by the \
             new key are marked \"⚠ new key\" until you compare fingerprints with {user} \
             (/whois {user}) and accept it with /trust {user}."
        );
        if self.line_mode() {
            fx.push(Effect::Report(text));
            let (user, old, new) = (user.to_owned(), old, new);
            fx.push(Effect::Print(crate::app::Record::KeyChanged { user, old, new }));
            return;
        }
        let now = self.now;
        for room in &mut self.rooms {
            room.push(crate::app::room::Entry::Notice {
                time: now,
                text: text.clone(),
            });
        }
        if self.rooms.is_empty() {
            self.roomless_notice = Some(text);
        }
    }

    /// Whether a presence that breaks the protocol under this name is to be
    /// pointed out: once per name, for a few names, so a client that does not
    /// follow the protocol never floods the chat.
    fn first_complaint_about(&mut self, name: &str) -> bool {
        self.own.unreadable.len() < MAX_UNREADABLE_NOTICED && self.own.unreadable.insert(name.to_owned())
    }

    /// Someone else said we are offline (a stale will, or a forgery): we are
    /// here, so say so again, at most once per [`REPAIR_INTERVAL`].
    fn repair_own_presence(&mut self) {
        if !matches!(self.conn, Conn::Connected { .. }) || self.is_quitting() || self.own.repair_at.is_some() {
            return;
        }
        let at = match self.own.repaired_at {
            Some(last) => (last + REPAIR_INTERVAL).max(self.now),
            None => self.now,
        };
        self.own.repair_at = Some(at);
    }

    pub(in crate::app) fn heartbeat_arrived(&mut self, user: &str, bytes: &[u8], retained: bool, fx: &mut Vec<Effect>) {
        if validate_username(user).is_err() {
            return;
        }
        let Some(beacon) = payload::decode_beacon(bytes) else {
            return;
        };
        // Live: it arrived now. Retained: believe its time, never later than now.
        let at = if retained {
            beacon.ts.unwrap_or(self.now).min(self.now)
        } else {
            self.now
        };
        if let Some(rooms) = self.people.heartbeat(user, &beacon.session, at) {
            // Given up for silent, but alive after all (the link survived a suspend).
            self.tell(user, Change::Came { rooms }, at, !retained, fx);
        }
    }

    /// Someone asks who is online: answer them (only them), after a random
    /// moment that spreads the answers, once per connection.
    pub(in crate::app) fn roll_call_arrived(&mut self, user: &str, bytes: &[u8]) {
        let Some(beacon) = payload::decode_beacon(bytes) else {
            return;
        };
        if validate_username(user).is_err()
            || (user == self.me() && beacon.session.as_str() == self.session.as_deref().unwrap_or(""))
        {
            return;
        }
        let now = self.now;
        let lately =
            |(session, at): &(String, DateTime<Utc>)| *session == beacon.session && now - *at < ANSWER_SUPPRESS;
        if self.own.answered.iter().any(lately)
            || self.own.askers.iter().any(|(_, s)| *s == beacon.session)
            || self.own.askers.len() >= MAX_ASKERS
        {
            return;
        }
        self.own.askers.push((user.to_owned(), beacon.session));
        if self.own.answer_at.is_none() {
            let jitter = self.entropy.below(ANSWER_JITTER_MS + 1);
            self.own.answer_at = Some(now + TimeDelta::milliseconds(jitter as i64));
        }
    }

    pub(super) fn sweep(&mut self, fx: &mut Vec<Effect>) {
        // Whoever was coming back after our reconnect has come back by now.
        self.own.was_here.clear();
        for (name, rooms) in self.people.expire(self.now) {
            let since = self.people.get(&name).map_or(self.now, |p| p.since);
            let change = Change::Left {
                departure: Departure::Expired,
                rooms,
            };
            self.tell(&name, change, since, true, fx);
        }
    }

    /// Shows one change: a line in line mode, notices in the rooms concerned in the UI.
    fn tell(&mut self, user: &str, change: Change, ts: DateTime<Utc>, news: bool, fx: &mut Vec<Effect>) {
        let (event, rooms) = match change {
            Change::Came { rooms } => (PresenceEvent::Online, rooms),
            Change::Known => {
                let departure = self.people.get(user).and_then(|p| p.departure.clone());
                (
                    PresenceEvent::Offline(departure.unwrap_or(Departure::Unsaid)),
                    Vec::new(),
                )
            }
            Change::Away(m) => (PresenceEvent::Away(m), self.rooms_of(user)),
            Change::Back => (PresenceEvent::Back, self.rooms_of(user)),
            Change::Left { departure, rooms } => (PresenceEvent::Offline(departure), rooms),
            Change::Joined(room) => (PresenceEvent::Joined(room.clone()), vec![room]),
            Change::Parted(room) => (PresenceEvent::Parted(room.clone()), vec![room]),
        };
        if let crate::settings::Mode::Line { json } = self.settings.mode {
            if !news && !json && self.own.connections > 1 {
                // Text lines for the list found on arrival: only at start, not after each reconnect.
                return;
            }
            let ts = match (&event, self.people.get(user)) {
                (PresenceEvent::Offline(_), Some(p)) => p.since,
                _ => ts,
            };
            fx.push(Effect::Print(Record::Presence {
                user: user.to_owned(),
                event,
                ts,
                retained: !news,
            }));
            return;
        }
        if !news || user == self.me() {
            return;
        }
        let text = describe(&sanitize::name(user), &event);
        let direct = format!("@{user}");
        let targets: Vec<usize> = self
            .rooms
            .iter()
            .enumerate()
            .filter(|(_, r)| r.name == direct || (!is_direct(&r.name) && rooms.contains(&r.name)))
            .map(|(i, _)| i)
            .collect();
        for index in targets {
            self.notice_in(index, text.clone());
        }
    }

    fn rooms_of(&self, user: &str) -> Vec<String> {
        self.people.get(user).map(|p| p.notice_rooms()).unwrap_or_default()
    }
}

/// A presence change in words: `bob left (gotta go)`, `bob lost the connection`.
pub fn describe(user: &str, event: &PresenceEvent) -> String {
    let said = |m: &Option<String>| {
        m.as_deref()
            .map(|m| format!(" ({})", sanitize::name(m)))
            .unwrap_or_default()
    };
    match event {
        PresenceEvent::Online => format!("{user} is online"),
        PresenceEvent::Away(m) => format!("{user} is away{}", said(m)),
        PresenceEvent::Back => format!("{user} is back"),
        PresenceEvent::Offline(Departure::Quit(m)) => format!("{user} left{}", said(m)),
        PresenceEvent::Offline(Departure::Lost) => format!("{user} lost the connection"),
        PresenceEvent::Offline(Departure::Expired) => format!("{user} stopped answering"),
        PresenceEvent::Offline(Departure::Unsaid) => format!("{user} went offline"),
        PresenceEvent::Joined(room) => format!("{user} joined #{}", sanitize::name(room)),
        PresenceEvent::Parted(room) => format!("{user} left #{}", sanitize::name(room)),
    }
}
