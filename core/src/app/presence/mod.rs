//! Our own presence (online, away, the rooms we are in, heartbeats, answering
//! roll calls) and what others' presence means on screen: notices in the
//! rooms concerned only, lines in line mode. Timers come back through
//! [`State::wake_at`] and [`Event::Wake`](super::Event::Wake).

use std::collections::BTreeSet;

use chrono::{DateTime, TimeDelta, Utc};

use super::people::Departure;

mod incoming;
use super::{is_direct, Conn, Effect, Publish, State};
use crate::protocol::payload::{self, PresenceOut};
use crate::protocol::signature::key_to_base64;
use crate::protocol::{sanitize, Reason, Status};
use crate::settings::Spoken;
pub use incoming::describe;

/// Seconds between our heartbeats (`presence/<me>/alive`) unless
/// `--heartbeat` says otherwise: the bound on how early "last seen" may be
/// for someone whose connection was lost.
pub const REFRESH_SECS: u32 = 60;
/// Seconds a broker keeps our retained "offline" (MQTT 5): a week, so it does
/// not keep every name that ever connected, for ever.
pub const OFFLINE_EXPIRY_SECS: u32 = 7 * 24 * 3600;
/// How long after subscribing our own retained presence must come back
/// through `presence/+` before we decide the broker does not deliver retained
/// messages to wildcard subscriptions, and ask who is online instead. A
/// broker that does sends them right behind the SUBACK on the same
/// connection; an echo that comes later costs only a roll call not needed.
const ECHO_WAIT: TimeDelta = TimeDelta::milliseconds(300);
/// Answers to a roll call are spread over this much time.
const ANSWER_JITTER_MS: u64 = 300;
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
    /// When our retained presence was last published (MQTT 5 refreshes it).
    presence_at: Option<DateTime<Utc>>,
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
    /// Connections made this run.
    connections: u32,
    /// Who was online when our connection dropped: seeing them online again
    /// after our reconnect is no news.
    was_here: BTreeSet<String>,
    /// Names whose broken presence (unreadable, or a bad name) was pointed out.
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
            self.held.wake_at(),
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
        if due(self.held.wake_at()) {
            self.release_held(false, fx);
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
        let topic = self.topics.answer(self.me(), asker);
        self.publish_presence_topic(topic, bytes, false, None, fx);
    }

    /// Publishes on one of our presence topics at QoS 1; returns the tag.
    /// `expiry`: how long a broker may keep it (MQTT 5).
    fn publish_presence_topic(
        &mut self,
        topic: String,
        payload: Vec<u8>,
        retain: bool,
        expiry: Option<u32>,
        fx: &mut Vec<Effect>,
    ) -> u64 {
        let tag = self.tag();
        let payload = self.signed(&topic, payload);
        fx.push(Effect::Publish(Publish {
            tag,
            topic,
            payload,
            qos: 1,
            retain,
            expiry,
        }));
        tag
    }

    /// How long a broker keeps what we publish retained about being here:
    /// as long as others believe it without a heartbeat, so the `online` of
    /// a client that died while the broker was down goes with it. (MQTT 5
    /// only: a 3.1.1 broker keeps it until replaced.)
    fn alive_expiry(&self) -> Option<u32> {
        self.speaks_5().then(|| self.refresh_secs().saturating_mul(5) / 2 + 1)
    }

    fn speaks_5(&self) -> bool {
        self.link.as_ref().is_some_and(|l| l.version == Spoken::V5)
    }

    /// A heartbeat or roll-call payload for this connection, now.
    fn beacon(&self) -> Vec<u8> {
        payload::encode_beacon(self.me(), self.session.as_deref().unwrap_or_default(), self.now)
    }

    /// Publishes a presence with our rooms, the next counter and the extension fields.
    pub(super) fn publish_presence(
        &mut self,
        status: Status,
        reason: Option<Reason>,
        message: Option<&str>,
        fx: &mut Vec<Effect>,
    ) -> u64 {
        self.own.seq += 1;
        let bytes = self.presence_bytes(status, reason, message, false);
        // What we publish is what others see: our own entry follows at once
        // (a broker may never echo it back).
        if let Ok(p) = payload::decode_presence(&bytes) {
            let me = self.me().to_owned();
            self.people.apply(&me, &p, self.now);
        }
        let topic = self.topics.presence(self.me());
        self.own.presence_at = Some(self.now);
        let expiry = match status {
            Status::Offline => self.speaks_5().then_some(OFFLINE_EXPIRY_SECS),
            _ => self.alive_expiry(),
        };
        self.publish_presence_topic(topic, bytes, true, expiry, fx)
    }

    /// MQTT 5: our retained presence again, unchanged (a repeat), before
    /// the broker lets it expire.
    fn refresh_presence(&mut self, fx: &mut Vec<Effect>) {
        let half = TimeDelta::seconds(i64::from(self.refresh_secs() / 2));
        let fresh = self.own.presence_at.is_some_and(|at| self.now - at < half);
        if !self.speaks_5() || fresh {
            return;
        }
        self.own.presence_at = Some(self.now);
        let message = self.own.away.as_ref().and_then(|a| a.message.clone());
        let bytes = self.presence_bytes(self.own_status(), None, message.as_deref(), true);
        let (topic, expiry) = (self.topics.presence(self.me()), self.alive_expiry());
        self.publish_presence_topic(topic, bytes, true, expiry, fx);
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
        let public = self.public_keys();
        let (key, boxing) = (
            public.map(|p| key_to_base64(&p.sign)),
            public.map(|p| key_to_base64(&p.boxing)),
        );
        out.key = key.as_deref().map(str::to_owned);
        out.boxing = boxing;
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
        let (topic, beacon) = (self.topics.alive(self.me()), self.beacon());
        let expiry = self.alive_expiry();
        self.publish_presence_topic(topic, beacon, true, expiry, fx);
        self.refresh_presence(fx);
    }

    /// On leaving: the heartbeat is cleared, so only a lost connection leaves one behind.
    pub(super) fn clear_heartbeat(&mut self, fx: &mut Vec<Effect>) {
        let topic = self.topics.alive(self.me());
        self.publish_presence_topic(topic, Vec::new(), true, None, fx);
    }

    fn roll_call(&mut self, fx: &mut Vec<Effect>) {
        let (topic, beacon) = (self.topics.roll_call(self.me()), self.beacon());
        self.publish_presence_topic(topic, beacon, false, None, fx);
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
}
