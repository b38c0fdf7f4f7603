//! History requests and replies (docs/protocol.md, "History keeper"): a
//! client that was not in a room asks a keeper for the room's recent
//! messages, and the keeper answers with the chat payloads it kept.
//!
//! A reply is trusted no more than live messages: anyone may publish one, so
//! every message in it is read by the same [`decode_chat`] as a live message,
//! and the reply as a whole is bounded before anything is kept of it.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::de::{Deserializer, IgnoredAny, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::payload::{decode_chat, type_name, ChatIn, PROTOCOL_VERSION};
use super::timestamp::{format_ts, parse_ts};
use super::{validate_room, validate_username};

/// Most messages in one reply, and the default and highest `limit`.
pub const MAX_REPLY_MESSAGES: usize = 200;
/// Largest reply, envelope included: a late joiner's first screen, not an
/// archive download (and well under every broker's packet limit).
pub const MAX_REPLY_BYTES: usize = 256 * 1024;
/// A nonce is 1 to this many of `A-Z a-z 0-9 _ -`.
pub const MAX_NONCE_CHARS: usize = 32;
/// Longest `keeper` name read from a reply.
pub const MAX_KEEPER_CHARS: usize = 128;
/// A request is a few short fields; anything larger is not read.
pub const MAX_REQUEST_BYTES: usize = 4 * 1024;

/// A request for a room's history (the room is in the topic).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRequest {
    /// Who asks: the reply goes to `history/reply/<user>`.
    pub user: String,
    /// Echoed in the reply, so the asker can tell its answer from others.
    pub nonce: String,
    /// Only messages sent after this time.
    pub after: Option<DateTime<Utc>>,
    /// At most this many messages (at most [`MAX_REPLY_MESSAGES`]).
    pub limit: usize,
}

/// What a receiver could read from a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryReply {
    pub room: String,
    pub nonce: String,
    /// The keeper's name, as it gives it (untrusted, sanitise before showing).
    pub keeper: String,
    /// Oldest first, each read as a live message would be.
    pub messages: Vec<ChatIn>,
    /// Each message's payload as it was sent (its signature covers these bytes).
    pub payloads: Vec<Vec<u8>>,
    /// The keeper holds older messages than these that it did not send.
    pub more: bool,
}

/// True for a valid nonce: 1 to 32 of `A-Z a-z 0-9 _ -`.
pub fn is_nonce(s: &str) -> bool {
    (1..=MAX_NONCE_CHARS).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A nonce from the caller's random bits (the core has no randomness of its own).
pub fn nonce(random: u64) -> String {
    format!("{random:016x}")
}

#[derive(Serialize)]
struct RequestOut<'a> {
    v: u64,
    user: &'a str,
    nonce: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    after: Option<String>,
    limit: usize,
}

pub fn encode_request(request: &HistoryRequest) -> Vec<u8> {
    let out = RequestOut {
        v: PROTOCOL_VERSION,
        user: &request.user,
        nonce: &request.nonce,
        after: request.after.map(format_ts),
        limit: request.limit.min(MAX_REPLY_MESSAGES),
    };
    serde_json::to_vec(&out).expect("a struct of strings and numbers always serialises")
}

fn string_field<'m>(map: &'m Map<String, Value>, key: &str) -> Result<&'m str, String> {
    match map.get(key) {
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(format!("{key} is {}", type_name(other))),
        None => Err(format!("no {key}")),
    }
}

fn check_version(v: u64) -> Result<(), String> {
    if v == PROTOCOL_VERSION {
        Ok(())
    } else {
        Err(format!("version {v} is not understood"))
    }
}

fn check_nonce(nonce: &str) -> Result<(), String> {
    if is_nonce(nonce) {
        Ok(())
    } else {
        Err(format!(
            "the nonce is not 1 to {MAX_NONCE_CHARS} of letters A-Z, digits, '_' and '-'"
        ))
    }
}

pub fn decode_request(bytes: &[u8]) -> Result<HistoryRequest, String> {
    if bytes.len() > MAX_REQUEST_BYTES {
        return Err(format!(
            "{} bytes is too long for a request (at most {MAX_REQUEST_BYTES})",
            bytes.len()
        ));
    }
    let map = match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => map,
        Ok(other) => return Err(format!("the request is {}, not an object", type_name(&other))),
        Err(e) => return Err(format!("the request is not JSON ({e})")),
    };
    match map.get("v") {
        Some(Value::Number(n)) => check_version(n.as_u64().unwrap_or(0))?,
        Some(other) => return Err(format!("v is {}", type_name(other))),
        None => return Err("no v".into()),
    }
    let user = string_field(&map, "user")?;
    validate_username(user).map_err(|e| e.to_string())?;
    let nonce = string_field(&map, "nonce")?;
    check_nonce(nonce)?;
    let after = match map.get("after") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(parse_ts(s).ok_or("after is not an RFC 3339 time")?),
        Some(other) => return Err(format!("after is {}", type_name(other))),
    };
    let limit = match map.get("limit") {
        None | Some(Value::Null) => MAX_REPLY_MESSAGES,
        Some(Value::Number(n)) => match n.as_u64() {
            Some(n) => usize::try_from(n).unwrap_or(usize::MAX).min(MAX_REPLY_MESSAGES),
            None => return Err("limit is not a whole number of 0 or more".into()),
        },
        Some(other) => return Err(format!("limit is {}", type_name(other))),
    };
    Ok(HistoryRequest {
        user: user.to_owned(),
        nonce: nonce.to_owned(),
        after,
        limit,
    })
}

#[derive(Serialize)]
struct ReplyOut<'a> {
    v: u64,
    room: &'a str,
    nonce: &'a str,
    keeper: &'a str,
    messages: Vec<&'a RawValue>,
    more: bool,
}

/// The payload as the JSON object it is, byte for byte; `None` when it is not one.
fn as_object(payload: &[u8]) -> Option<&RawValue> {
    serde_json::from_slice::<&RawValue>(payload)
        .ok()
        .filter(|raw| raw.get().starts_with('{'))
}

/// A reply with the newest of `payloads` (given oldest first) that fit in
/// [`MAX_REPLY_MESSAGES`] and [`MAX_REPLY_BYTES`]; `more` is set when older
/// ones were left out. Each is embedded as the object its sender published
/// (unknown fields survive); payloads that are not a JSON object are
/// skipped, and so is one too large to fit any reply on its own. Otherwise
/// the messages sent are the newest in an unbroken run: a reader sees no
/// gap in the middle.
pub fn encode_reply(room: &str, nonce: &str, keeper: &str, payloads: &[&[u8]], more: bool) -> Vec<u8> {
    fn envelope<'a>(
        room: &'a str,
        nonce: &'a str,
        keeper: &'a str,
        messages: Vec<&'a RawValue>,
        more: bool,
    ) -> Vec<u8> {
        let out = ReplyOut {
            v: PROTOCOL_VERSION,
            room,
            nonce,
            keeper,
            messages,
            more,
        };
        serde_json::to_vec(&out).expect("strings and raw JSON always serialise")
    }
    let empty = envelope(room, nonce, keeper, Vec::new(), false);
    // Each message costs its bytes and a comma (one too many: a byte of slack).
    let room_for_messages = MAX_REPLY_BYTES.saturating_sub(empty.len());
    let mut left = room_for_messages;
    let mut more = more;
    let mut kept: Vec<&RawValue> = Vec::new();
    for raw in payloads.iter().rev().filter_map(|p| as_object(p)) {
        let cost = raw.get().len() + 1;
        if kept.len() == MAX_REPLY_MESSAGES {
            more = true;
            break;
        }
        if cost > room_for_messages {
            more = true;
            continue;
        }
        if cost > left {
            more = true;
            break;
        }
        left -= cost;
        kept.push(raw);
    }
    kept.reverse();
    envelope(room, nonce, keeper, kept, more)
}

/// The first [`MAX_REPLY_MESSAGES`] elements of an array, unparsed; the
/// rest are skipped without being kept.
struct Capped<'a>(Vec<&'a RawValue>);

impl<'de: 'a, 'a> Deserialize<'de> for Capped<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CappedVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for CappedVisitor<'a> {
            type Value = Capped<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of chat messages")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Capped<'a>, A::Error> {
                let mut kept = Vec::new();
                loop {
                    if kept.len() < MAX_REPLY_MESSAGES {
                        match seq.next_element::<&'a RawValue>()? {
                            Some(raw) => kept.push(raw),
                            None => break,
                        }
                    } else if seq.next_element::<IgnoredAny>()?.is_none() {
                        break;
                    }
                }
                Ok(Capped(kept))
            }
        }
        deserializer.deserialize_seq(CappedVisitor(std::marker::PhantomData))
    }
}

#[derive(Deserialize)]
struct ReplyIn<'a> {
    v: u64,
    room: String,
    nonce: String,
    keeper: String,
    #[serde(borrow)]
    messages: Capped<'a>,
    #[serde(default)]
    more: bool,
}

pub fn decode_reply(bytes: &[u8]) -> Result<HistoryReply, String> {
    if bytes.len() > MAX_REPLY_BYTES {
        return Err(format!(
            "{} bytes is too long for a reply (at most {MAX_REPLY_BYTES})",
            bytes.len()
        ));
    }
    let reply: ReplyIn<'_> = serde_json::from_slice(bytes).map_err(|e| format!("not a history reply ({e})"))?;
    check_version(reply.v)?;
    validate_room(&reply.room).map_err(|e| e.to_string())?;
    check_nonce(&reply.nonce)?;
    if reply.keeper.chars().count() > MAX_KEEPER_CHARS {
        return Err(format!(
            "the keeper's name is longer than {MAX_KEEPER_CHARS} characters"
        ));
    }
    let messages = reply
        .messages
        .0
        .iter()
        .map(|raw| decode_chat(raw.get().as_bytes()))
        .collect();
    let payloads = reply
        .messages
        .0
        .iter()
        .map(|raw| raw.get().as_bytes().to_vec())
        .collect();
    Ok(HistoryReply {
        room: reply.room,
        nonce: reply.nonce,
        keeper: reply.keeper,
        messages,
        payloads,
        more: reply.more,
    })
}

#[cfg(test)]
mod tests;
