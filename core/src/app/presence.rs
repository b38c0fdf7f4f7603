//! Our own presence (online, away, the rooms we are in, heartbeats, answering
//! roll calls) and what others' presence means on screen: notices in the
//! rooms concerned only, lines in line mode. Timers come back through
//! [`State::wake_at`] and [`Event::Wake`](super::Event::Wake).

use std::collections::BTreeSet;

use chrono::{DateTime, TimeDelta, Utc};

use super::people::{Applied, Change, Departure};
use super::{is_direct, Conn, Effect, Publish, Record, State};
use crate::protocol::payload::{self, PresenceError, PresenceOut};
use crate::protocol::{sanitize, validate_username, Reason, Status};

/// Seconds between our heartbeats (`presence/<me>/alive`) unless
/// `--heartbeat` says otherwise: the bound on how early "last seen" may be
/// for someone whose connection was lost.
pub const REFRESH_SECS: u32 = 60;
/// How long after subscribing our own retained presence must come back
/// through `presence/+` before we decide the broker does not deliver retained
/// messages to wildcard subscriptions, and ask who is online instead.
const ECHO_WAIT: TimeDelta = TimeDelta::milliseconds(1500);
/// Answers to a roll call are spread over this much time.
const ANSWER_JITTER_MS: u64 = 500;
/// A connection that asked again within this long is not answered again.
const ANSWER_SUPPRESS: TimeDelta = TimeDelta::seconds(5);
/// Names whose unreadable presence is pointed out, at most.
const MAX_UNREADABLE_NOTICED: usize = 16;
/// Roll calls waiting for our answer, and recent askers remembered, at most.
const MAX_ASKERS: usize = 256;
/// Someone else's `offline` for our name is corrected at most this often.
const REPAIR_INTERVAL: TimeDelta = TimeDelta::seconds(10);
/// How often sessions whose heartbeats stopped are looked for, at most.
const SWEEP_INTERVAL: TimeDelta = TimeDelta::seconds(15);

/// What we say about ourselves, and the timers that keep it true.
#[derive(Debug, Default)]
pub struct Own {
    /// Counter of our presence messages in this session (`seq`).
    seq: u64,
    pub away: Option<Away>,
    last_input: Option<DateTime<Utc>>,
    heartbeat_at: Option<DateTime<Utc>>,
    /// Until when our own retained presence is awaited (see [`ECHO_WAIT`]).
    echo_until: Option<DateTime<Utc>>,
    answer_at: Option<DateTime<Utc>>,
    /// Who asked (name, session) since we last answered.
    askers: Vec<(String, String)>,
    /// Connections answered lately (session, when), oldest first.
    answered: std::collections::VecDeque<(String, DateTime<Utc>)>,
    repair_at: Option<DateTime<Utc>>,
    repaired_at: Option<DateTime<Utc>>,
    sweep_at: Option<DateTime<Utc>>,
    /// Roll calls we sent this run (for tests and the log).
    pub roll_calls: u32,
    /// Connections made this run.
    connections: u32,
    /// Who was online when our connection dropped: seeing them online again
    /// after our reconnect is no news.
    was_here: BTreeSet<String>,
    /// Names whose unreadable presence was already pointed out.
    unreadable: BTreeSet<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Away {
    pub message: Option<String>,
    /// Set by `--auto-away`, so the next key brings us back.
    pub auto: bool,
}

/// A change of someone's presence, as line mode prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PresenceEvent {
    Online,
    Away(Option<String>),
    Back,
    Offline(Departure),
    Joined(String),
    Parted(String),
}

impl State {
    /// The earliest moment a presence timer is due.
    pub fn wake_at(&self) -> Option<DateTime<Utc>> {
        let own = &self.own;
        let auto_away = self.auto_away_at();
        [
            own.heartbeat_at,
            own.echo_until,
            own.answer_at,
            own.repair_at,
            own.sweep_at,
            auto_away,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    fn auto_away_at(&self) -> Option<DateTime<Utc>> {
        let idle = self.settings.auto_away?;
        if self.own.away.is_some() || !matches!(self.conn, Conn::Connected { .. }) {
            return None;
        }
        let since = self.own.last_input.unwrap_or(self.now);
        Some(since + TimeDelta::from_std(idle).unwrap_or(TimeDelta::MAX))
    }

    /// Runs the presence timers that are due.
    pub(super) fn wake(&mut self, fx: &mut Vec<Effect>) {
        let now = self.now;
        let due = |at: Option<DateTime<Utc>>| at.is_some_and(|at| at <= now);
        let connected = matches!(self.conn, Conn::Connected { .. }) && !self.is_quitting();
        if due(self.own.heartbeat_at) {
            self.own.heartbeat_at = Some(now + TimeDelta::seconds(i64::from(self.refresh_secs())));
            if connected {
                self.publish_heartbeat(fx);
            }
        }
        if due(self.own.echo_until) {
            self.own.echo_until = None;
            if connected {
                self.roll_call(fx);
            }
        }
        if due(self.own.answer_at) {
            self.own.answer_at = None;
            let askers = std::mem::take(&mut self.own.askers);
            if connected {
                for (name, session) in askers {
                    self.answer(&name, fx);
                    if self.own.answered.len() == MAX_ASKERS {
                        self.own.answered.pop_front();
                    }
                    self.own.answered.push_back((session, now));
                }
            }
        }
        if due(self.own.repair_at) {
            self.own.repair_at = None;
            if connected {
                self.own.repaired_at = Some(now);
                self.publish_own_presence(fx);
            }
        }
        if due(self.own.sweep_at) {
            self.own.sweep_at = Some(now + self.sweep_interval());
            self.sweep(fx);
        }
        if due(self.auto_away_at()) {
            self.set_away(None, true, fx);
        }
    }

    /// A key or a typed line: not idle (and back, if away by itself).
    pub(super) fn touched_input(&mut self, fx: &mut Vec<Effect>) {
        self.own.last_input = Some(self.now);
        if self.own.away.as_ref().is_some_and(|a| a.auto) {
            self.set_back(fx);
        }
    }

    /// `/away [message]` (and auto-away).
    pub(super) fn set_away(&mut self, message: Option<String>, auto: bool, fx: &mut Vec<Effect>) {
        let shown = message
            .as_deref()
            .map(|m| format!(" ({})", sanitize::name(m)))
            .unwrap_or_default();
        self.own.away = Some(Away { message, auto });
        let how = if auto { "idle: " } else { "" };
        self.notice(format!("{how}you are marked away{shown}; /back to return"), fx);
        self.presence_changed(fx);
    }

    /// `/back`.
    pub(super) fn set_back(&mut self, fx: &mut Vec<Effect>) {
        if self.own.away.take().is_none() {
            self.notice("you are not away", fx);
            return;
        }
        self.notice("you are back", fx);
        self.presence_changed(fx);
    }

    /// Our status or rooms changed: say so (when connected; connecting says it anyway).
    pub(super) fn presence_changed(&mut self, fx: &mut Vec<Effect>) {
        if matches!(self.conn, Conn::Connected { .. }) && !self.is_quitting() {
            self.publish_own_presence(fx);
        }
    }

    /// Our heartbeat interval in seconds.
    pub fn refresh_secs(&self) -> u32 {
        match self.settings.heartbeat.as_secs() {
            0 => REFRESH_SECS,
            secs => secs.min(u64::from(u32::MAX)) as u32,
        }
    }

    /// Sweeps come often enough for the shortest expiry we announce, and at
    /// most every [`SWEEP_INTERVAL`].
    fn sweep_interval(&self) -> TimeDelta {
        TimeDelta::seconds(i64::from(self.refresh_secs() / 2).clamp(5, SWEEP_INTERVAL.num_seconds()))
    }

    fn own_status(&self) -> Status {
        if self.own.away.is_some() {
            Status::Away
        } else {
            Status::Online
        }
    }

    /// Publishes our current presence (online or away, our rooms).
    pub(super) fn publish_own_presence(&mut self, fx: &mut Vec<Effect>) -> u64 {
        let status = self.own_status();
        let message = self.own.away.as_ref().and_then(|a| a.message.clone());
        self.publish_presence(status, None, message.as_deref(), fx)
    }

    /// Our current presence, as a repeat, to the one who asked (not retained).
    fn answer(&mut self, asker: &str, fx: &mut Vec<Effect>) {
        let message = self.own.away.as_ref().and_then(|a| a.message.clone());
        let bytes = self.presence_bytes(self.own_status(), None, message.as_deref(), true);
        let tag = self.tag();
        fx.push(Effect::Publish(Publish {
            tag,
            topic: self.topics.answer(self.me(), asker),
            payload: bytes,
            qos: 1,
            retain: false,
        }));
    }

    /// Publishes a presence with our rooms, the next counter and the extension fields.
    pub(super) fn publish_presence(
        &mut self,
        status: Status,
        reason: Option<Reason>,
        message: Option<&str>,
        fx: &mut Vec<Effect>,
    ) -> u64 {
        let tag = self.tag();
        self.own.seq += 1;
        let bytes = self.presence_bytes(status, reason, message, false);
        // What we publish is what others see: our own entry follows at once
        // (a broker may never echo it back).
        if let Ok(p) = payload::decode_presence(&bytes) {
            let me = self.me().to_owned();
            self.people.apply(&me, &p, self.now);
        }
        fx.push(Effect::Publish(Publish {
            tag,
            topic: self.topics.presence(self.me()),
            payload: bytes,
            qos: 1,
            retain: true,
        }));
        tag
    }

    /// Our presence as it goes on the wire, with the current counter.
    /// `repeat`: an answer to a roll call, not a change.
    fn presence_bytes(&self, status: Status, reason: Option<Reason>, message: Option<&str>, repeat: bool) -> Vec<u8> {
        let session = self.session.clone().unwrap_or_default();
        let rooms = self.joined_rooms();
        let mut out = PresenceOut::new(self.me(), status, self.now, &session);
        out.seq = Some(self.own.seq);
        out.reason = reason;
        out.message = message;
        out.rooms = Some(&rooms);
        out.refresh = (status != Status::Offline).then_some(self.refresh_secs());
        out.repeat = repeat;
        out.encode()
    }

    /// The rooms we are in (not direct conversations), for our presence.
    fn joined_rooms(&self) -> Vec<String> {
        self.rooms
            .iter()
            .filter(|r| !is_direct(&r.name))
            .map(|r| r.name.clone())
            .collect()
    }

    fn publish_heartbeat(&mut self, fx: &mut Vec<Effect>) {
        let session = self.session.clone().unwrap_or_default();
        let tag = self.tag();
        fx.push(Effect::Publish(Publish {
            tag,
            topic: self.topics.alive(self.me()),
            payload: payload::encode_beacon(self.me(), &session, self.now),
            qos: 1,
            retain: true,
        }));
    }

    /// On leaving: the heartbeat is cleared, so only a lost connection leaves one behind.
    pub(super) fn clear_heartbeat(&mut self, fx: &mut Vec<Effect>) {
        let tag = self.tag();
        fx.push(Effect::Publish(Publish {
            tag,
            topic: self.topics.alive(self.me()),
            payload: Vec::new(),
            qos: 1,
            retain: true,
        }));
    }

    fn roll_call(&mut self, fx: &mut Vec<Effect>) {
        self.own.roll_calls += 1;
        let session = self.session.clone().unwrap_or_default();
        let tag = self.tag();
        fx.push(Effect::Publish(Publish {
            tag,
            topic: self.topics.roll_call(self.me()),
            payload: payload::encode_beacon(self.me(), &session, self.now),
            qos: 1,
            retain: false,
        }));
    }

    /// Connected (a clean session): the list is rebuilt from what the broker
    /// says now; we say who we are, then listen.
    pub(super) fn presence_connected(&mut self) {
        self.own.connections += 1;
        if self.own.connections > 1 {
            self.own.was_here = self
                .people
                .sorted()
                .iter()
                .take_while(|p| p.status != Status::Offline)
                .map(|p| p.name.clone())
                .collect();
        }
        self.people.clear();
        self.own.seq = 0;
        self.own.last_input.get_or_insert(self.now);
        self.own.heartbeat_at = Some(self.now);
        self.own.sweep_at = Some(self.now + self.sweep_interval());
        self.own.answer_at = None;
        self.own.askers.clear();
        self.own.repair_at = None;
    }

    /// The subscriptions are in place: our own retained presence should come back now.
    pub(super) fn presence_subscribed(&mut self) {
        self.own.echo_until = Some(self.now + ECHO_WAIT);
    }

    /// The connection is gone: who is here is unknown until we are back.
    pub(super) fn presence_lost(&mut self) {
        self.own.heartbeat_at = None;
        self.own.echo_until = None;
        self.own.answer_at = None;
        self.own.repair_at = None;
        self.own.sweep_at = None;
    }

    /// Whether the people list reflects the broker now (connected and listening).
    pub fn presence_known(&self) -> bool {
        self.conn == (Conn::Connected { ready: true })
    }

    pub(super) fn presence_arrived(&mut self, user: &str, bytes: &[u8], retained: bool, fx: &mut Vec<Effect>) {
        if let Err(err) = validate_username(user) {
            let shown = sanitize::name(user).chars().take(80).collect::<String>();
            self.notice(format!("ignored presence for \"{shown}\": {err}"), fx);
            return;
        }
        let presence = match payload::decode_presence(bytes) {
            Ok(p) => p,
            Err(PresenceError::Cleared) => return,
            Err(_) => {
                // Said once per name (and for a few names): a client that
                // does not follow the protocol must not flood the chat.
                if self.own.unreadable.len() < MAX_UNREADABLE_NOTICED && self.own.unreadable.insert(user.to_owned()) {
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
        let applied = self.people.apply(user, &presence, self.now);
        let changes = match applied {
            Applied::Changes(changes) => changes,
            Applied::Ignored => return,
            Applied::Full => {
                if !std::mem::replace(&mut self.people_full_noticed, true) {
                    let text = format!(
                        "the people list is full ({} people); newcomers are not listed",
                        super::MAX_PEOPLE
                    );
                    self.notice(text, fx);
                }
                return;
            }
        };
        // The state the broker kept, or a repeat for a roll call: learnt, not
        // news; nor is someone online again whom we saw online before our reconnect.
        let back_again = self.own.was_here.remove(user);
        let news = !retained && !presence.repeat && !back_again;
        let ts = presence.ts.map_or(self.now, |t| t.min(self.now));
        for change in changes {
            self.tell(user, change, ts, retained, news, fx);
        }
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

    pub(super) fn heartbeat_arrived(&mut self, user: &str, bytes: &[u8], retained: bool, fx: &mut Vec<Effect>) {
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
            self.tell(user, Change::Came { rooms }, at, false, !retained, fx);
        }
    }

    /// Someone asks who is online: answer them (only them), after a random
    /// moment that spreads the answers, once per connection.
    pub(super) fn roll_call_arrived(&mut self, user: &str, bytes: &[u8]) {
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

    fn sweep(&mut self, fx: &mut Vec<Effect>) {
        for (name, rooms) in self.people.expire(self.now) {
            let since = self.people.get(&name).map_or(self.now, |p| p.since);
            let change = Change::Left {
                departure: Departure::Expired,
                rooms,
            };
            self.tell(&name, change, since, false, true, fx);
        }
    }

    /// Shows one change: a line in line mode, notices in the rooms concerned in the UI.
    fn tell(
        &mut self,
        user: &str,
        change: Change,
        ts: DateTime<Utc>,
        retained: bool,
        news: bool,
        fx: &mut Vec<Effect>,
    ) {
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
        let _ = retained;
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
