//! What the keeper does with each message, without the network: keeps chat
//! messages of the rooms it keeps, answers history requests within the rate
//! limits, and forgets what is too old. Time comes in as a value.

use std::borrow::Cow;
use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use komunikator_history::Archive;
use serde::Serialize;

use super::rate::Limits;
use crate::protocol::history::{decode_request, encode_reply, MAX_REPLY_BYTES};
use crate::protocol::ids::Entropy;
use crate::protocol::payload::{decode_chat, Form, Kind, PROTOCOL_VERSION};
use crate::protocol::timestamp::format_ts;
use crate::protocol::{validate_room, validate_username, TopicRef, Topics};

/// Most messages kept per room: a late joiner's catching up, not an archive.
pub const KEPT_PER_ROOM: usize = 1_000;
/// Messages older than this are forgotten.
pub const KEPT_FOR: TimeDelta = TimeDelta::days(7);
/// How often the limits above are applied (and once at start).
pub const PRUNE_EVERY: Duration = Duration::from_secs(10 * 60);
/// A sender's clock further off than this is not believed (as live
/// receivers do, app::arrival): the message is ordered by its arrival.
const MAX_CLOCK_SKEW: TimeDelta = TimeDelta::minutes(5);
/// An id longer than this is not kept as the message's key (a new one is made).
const MAX_ID_BYTES: usize = 128;

/// A keeper: the archive, which rooms it keeps and the answering budget.
pub struct Keeper {
    archive: Archive,
    topics: Topics,
    /// `None`: every room.
    rooms: Option<HashSet<String>>,
    /// How it names itself in replies.
    name: String,
    entropy: Entropy,
    limits: Limits,
}

/// What is stored for one chat message.
struct ToKeep<'a> {
    id: String,
    ts_ms: i64,
    payload: Cow<'a, [u8]>,
}

/// The payload kept for a message that came without an id or a time of its
/// own (or not as a chat object at all), so that it can be told apart and
/// ordered; docs/protocol.md, "History keeper".
#[derive(Serialize)]
struct Synthesised<'a> {
    v: u64,
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<&'a str>,
    text: &'a str,
    ts: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<Kind>,
}

impl Keeper {
    /// `rooms`: the rooms to keep (invalid names are left out), or `None`
    /// for every room. `seed`: random bits for the ids it makes up.
    pub fn new(
        archive: Archive,
        topics: Topics,
        rooms: Option<Vec<String>>,
        name: String,
        seed: u64,
        now: DateTime<Utc>,
    ) -> Keeper {
        let rooms = rooms.map(|rooms| rooms.into_iter().filter(|r| validate_room(r).is_ok()).collect());
        Keeper {
            archive,
            topics,
            rooms,
            name,
            entropy: Entropy::from_seed(seed),
            limits: Limits::new(now.timestamp_millis()),
        }
    }

    /// What to subscribe (at QoS 1) on every connect: chat and requests of
    /// the rooms kept. Never `dm/...`: direct messages are not kept.
    pub fn subscriptions(&self) -> Vec<String> {
        match &self.rooms {
            None => vec![self.topics.chat("+"), self.topics.history_requests_all()],
            Some(rooms) => {
                let mut rooms: Vec<&String> = rooms.iter().collect();
                rooms.sort();
                let chats = rooms.iter().map(|r| self.topics.chat(r));
                let requests = rooms.iter().map(|r| self.topics.history_request(r));
                chats.chain(requests).collect()
            }
        }
    }

    /// One incoming message; `Some((topic, payload))` is a reply to publish.
    pub fn on_message(
        &mut self,
        topic: &str,
        payload: &[u8],
        retained: bool,
        now: DateTime<Utc>,
    ) -> Option<(String, Vec<u8>)> {
        match self.topics.parse(topic) {
            TopicRef::Chat(room) => {
                self.on_chat(room, payload, retained, now);
                None
            }
            TopicRef::HistoryRequest(room) => self.on_request(room, payload, now),
            _ => None,
        }
    }

    fn configured(&self, room: &str) -> bool {
        validate_room(room).is_ok() && self.rooms.as_ref().is_none_or(|rooms| rooms.contains(room))
    }

    /// Keeps a chat message of `room`; true when it was not kept before.
    pub fn on_chat(&mut self, room: &str, payload: &[u8], retained: bool, now: DateTime<Utc>) -> bool {
        if !self.configured(room) {
            return false;
        }
        let Some(keep) = self.what_to_keep(payload, retained, now) else {
            return false;
        };
        match self.archive.keep(room, &keep.id, keep.ts_ms, &keep.payload) {
            Ok(new) => new,
            Err(e) => {
                tracing::warn!("keeper: cannot keep a message of {room}: {e}");
                false
            }
        }
    }

    fn what_to_keep<'a>(&mut self, payload: &'a [u8], retained: bool, now: DateTime<Utc>) -> Option<ToKeep<'a>> {
        if payload.len() > MAX_REPLY_BYTES {
            // It could never be sent in a reply.
            tracing::debug!("keeper: a chat message of {} bytes is not kept", payload.len());
            return None;
        }
        let chat = decode_chat(payload);
        let believed = |ts: DateTime<Utc>| if (ts - now).abs() > MAX_CLOCK_SKEW { now } else { ts };
        let id = chat.id.clone().filter(|id| !id.is_empty() && id.len() <= MAX_ID_BYTES);
        let is_object = matches!(chat.form, Form::Proper | Form::Malformed(_));
        match (is_object, id, chat.ts) {
            // Not UTF-8: there is nothing a reader could be shown.
            _ if matches!(chat.form, Form::Binary { .. }) => None,
            (true, Some(id), Some(ts)) => Some(ToKeep {
                id,
                ts_ms: believed(ts).timestamp_millis(),
                payload: Cow::Borrowed(payload),
            }),
            // A retained message comes again with every subscription: without
            // an id of its own it would be kept again each time.
            (_, None, _) if retained => None,
            (_, id, ts) => {
                let id = id.unwrap_or_else(|| self.entropy.message_id(now));
                let ts = ts.map_or(now, believed);
                // Plain text whole (decode_chat cuts it for display).
                let text = match chat.form {
                    Form::PlainText => std::str::from_utf8(payload).unwrap_or_default(),
                    _ => &chat.text,
                };
                let user = chat.user.as_deref().filter(|u| validate_username(u).is_ok());
                let synthesised = Synthesised {
                    v: PROTOCOL_VERSION,
                    id: &id,
                    user,
                    text,
                    ts: format_ts(ts),
                    kind: (chat.kind == Kind::Action).then_some(Kind::Action),
                };
                let payload = serde_json::to_vec(&synthesised).ok()?;
                Some(ToKeep {
                    id,
                    ts_ms: ts.timestamp_millis(),
                    payload: Cow::Owned(payload),
                })
            }
        }
    }

    /// Does this keeper keep `room`? With every room kept: when it holds
    /// messages of it (so that a request for a room it never saw is left to
    /// other keepers).
    fn keeps(&self, room: &str) -> bool {
        if !self.configured(room) {
            return false;
        }
        if self.rooms.is_some() {
            return true;
        }
        self.archive.keeps(room).unwrap_or_else(|e| {
            tracing::warn!("keeper: cannot look {room} up: {e}");
            false
        })
    }

    /// A request for `room`'s history: the reply's topic and payload, or
    /// `None` (unreadable, a room not kept, over the rate limits).
    pub fn on_request(&mut self, room: &str, payload: &[u8], now: DateTime<Utc>) -> Option<(String, Vec<u8>)> {
        let request = match decode_request(payload) {
            Ok(request) => request,
            Err(why) => {
                tracing::debug!("keeper: a history request for {room} is not read: {why}");
                return None;
            }
        };
        // The cheap refusal first: a room not configured costs no budget.
        if !self.configured(room) {
            return None;
        }
        if !self.limits.allow(&request.user, now.timestamp_millis()) {
            tracing::debug!(
                "keeper: {}'s history request for {room} is over the rate limit: not answered",
                request.user
            );
            return None;
        }
        if !self.keeps(room) {
            return None;
        }
        let after_ms = request.after.map(|t| t.timestamp_millis());
        // One more than asked for tells whether there is more.
        let mut payloads = match self.archive.recent(room, after_ms, request.limit + 1) {
            Ok(payloads) => payloads,
            Err(e) => {
                tracing::warn!("keeper: cannot read {room}'s history: {e}");
                return None;
            }
        };
        let more = payloads.len() > request.limit;
        if more {
            payloads.drain(..payloads.len() - request.limit);
        }
        let payloads: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
        let reply = encode_reply(room, &request.nonce, &self.name, &payloads, more);
        Some((self.topics.history_reply(&request.user), reply))
    }

    /// Forgets what is past [`KEPT_PER_ROOM`] or [`KEPT_FOR`]; how many were forgotten.
    pub fn prune(&mut self, now: DateTime<Utc>) -> usize {
        match self
            .archive
            .prune(KEPT_PER_ROOM, KEPT_FOR.num_milliseconds(), now.timestamp_millis())
        {
            Ok(forgotten) => forgotten,
            Err(e) => {
                tracing::warn!("keeper: cannot forget old messages: {e}");
                0
            }
        }
    }
}
