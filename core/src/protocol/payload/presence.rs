//! Presence payloads (docs/protocol.md, "Presence"): who is online, where,
//! and how they left; plus the small beacons beside them (heartbeat, roll call).

use std::borrow::Cow;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use super::PROTOCOL_VERSION;
use crate::protocol::signature::key_from_base64;
use crate::protocol::timestamp::parse_ts;
use crate::protocol::validate_room;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Online,
    Away,
    #[default]
    Offline,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Online => "online",
            Status::Away => "away",
            Status::Offline => "offline",
        }
    }
}

/// Why an `offline` was written (extension field `reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Reason {
    /// The user left on purpose (`/quit`, Ctrl-C, end of input, SIGTERM).
    Quit,
    /// The broker published the will: the connection was lost.
    Lost,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Quit => "quit",
            Reason::Lost => "lost",
        }
    }
}

/// Longest quit or away message kept, in characters.
pub const MAX_PRESENCE_MESSAGE_CHARS: usize = 200;
/// Rooms read from one presence at most; the rest are ignored.
pub(crate) const MAX_PRESENCE_ROOMS: usize = 100;
/// Bounds on an announced refresh interval, in seconds.
pub(crate) const REFRESH_BOUNDS: (u32, u32) = (10, 3600);

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PresenceIn {
    pub status: Status,
    pub ts: Option<DateTime<Utc>>,
    pub session: Option<String>,
    /// Per-session counter: higher is newer.
    pub seq: Option<u64>,
    pub reason: Option<Reason>,
    /// The quit or away message.
    pub message: Option<String>,
    /// The rooms the user is in; `None`: not said (a client without the extension).
    pub rooms: Option<Vec<String>>,
    /// Seconds between the sender's heartbeats; `None`: it sends none.
    pub refresh: Option<u32>,
    /// A repeat of the current status (an answer to a roll call), not a change.
    pub repeat: bool,
    /// The sender's Ed25519 key (docs/protocol.md, "Signatures and keys").
    pub key: Option<[u8; 32]>,
    /// The sender's X25519 key for sealed direct messages.
    pub boxing: Option<[u8; 32]>,
}

impl PresenceIn {
    /// A bare `online`, as a simple client sends it.
    pub fn default_online() -> Self {
        PresenceIn {
            status: Status::Online,
            ..PresenceIn::default()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PresenceError {
    /// An empty retained payload: the broker's way of deleting the status.
    Cleared,
    Unreadable,
    UnknownStatus,
}

/// A presence to publish (every extension field optional).
#[derive(Debug, Clone, Serialize)]
pub struct PresenceOut<'a> {
    pub v: u64,
    pub user: &'a str,
    pub status: Status,
    #[serde(serialize_with = "whole_seconds")]
    pub ts: DateTime<Utc>,
    pub session: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rooms: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh: Option<u32>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub repeat: bool,
    /// Our Ed25519 key and X25519 box key, in base64.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(rename = "box", skip_serializing_if = "Option::is_none")]
    pub boxing: Option<String>,
}

impl<'a> PresenceOut<'a> {
    /// The version-1 fields only; extensions are added by the caller.
    pub fn new(user: &'a str, status: Status, ts: DateTime<Utc>, session: &'a str) -> Self {
        PresenceOut {
            v: PROTOCOL_VERSION,
            user,
            status,
            ts,
            session,
            seq: None,
            reason: None,
            message: None,
            rooms: None,
            refresh: None,
            repeat: false,
            key: None,
            boxing: None,
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a struct of strings always serialises")
    }
}

fn whole_seconds<S: serde::Serializer>(ts: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&ts.to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// A presence with the version-1 fields only.
pub fn encode_presence(user: &str, status: Status, ts: DateTime<Utc>, session: &str) -> Vec<u8> {
    PresenceOut::new(user, status, ts, session).encode()
}

#[derive(Deserialize)]
struct LoosePresence<'a> {
    #[serde(borrow)]
    status: Cow<'a, str>,
    #[serde(default, borrow)]
    ts: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    session: Option<Cow<'a, str>>,
    #[serde(default)]
    seq: Option<serde_json::Value>,
    #[serde(default, borrow)]
    reason: Option<Cow<'a, str>>,
    #[serde(default)]
    message: Option<serde_json::Value>,
    #[serde(default)]
    rooms: Option<serde_json::Value>,
    #[serde(default)]
    refresh: Option<serde_json::Value>,
    #[serde(default)]
    repeat: Option<serde_json::Value>,
    #[serde(default)]
    key: Option<serde_json::Value>,
    #[serde(default, rename = "box")]
    boxing: Option<serde_json::Value>,
}

pub fn decode_presence(bytes: &[u8]) -> Result<PresenceIn, PresenceError> {
    if bytes.is_empty() {
        return Err(PresenceError::Cleared);
    }
    if let Some(status) = plain_status(bytes) {
        // Simple MQTT clients publish the bare word (PROTOCOL.md).
        return Ok(PresenceIn {
            status,
            ..PresenceIn::default()
        });
    }
    let p: LoosePresence = serde_json::from_slice(bytes).map_err(|_| PresenceError::Unreadable)?;
    let status = status_named(&p.status).ok_or(PresenceError::UnknownStatus)?;
    let reason = match p.reason.as_deref() {
        Some("quit") => Some(Reason::Quit),
        Some("lost") => Some(Reason::Lost),
        _ => None,
    };
    let message = p
        .message
        .as_ref()
        .and_then(serde_json::Value::as_str)
        .map(|m| m.chars().take(MAX_PRESENCE_MESSAGE_CHARS).collect::<String>())
        .filter(|m| !m.trim().is_empty());
    let rooms = p.rooms.as_ref().and_then(serde_json::Value::as_array).map(|list| {
        list.iter()
            .filter_map(serde_json::Value::as_str)
            .filter(|r| validate_room(r).is_ok())
            .take(MAX_PRESENCE_ROOMS)
            .map(str::to_owned)
            .collect()
    });
    let refresh = p
        .refresh
        .as_ref()
        .and_then(serde_json::Value::as_u64)
        .map(|r| r.clamp(u64::from(REFRESH_BOUNDS.0), u64::from(REFRESH_BOUNDS.1)) as u32);
    Ok(PresenceIn {
        status,
        ts: p.ts.as_deref().and_then(parse_ts),
        session: p
            .session
            .map(Cow::into_owned)
            .filter(|s| !s.is_empty() && s.len() <= 64),
        seq: p.seq.as_ref().and_then(serde_json::Value::as_u64),
        reason,
        message,
        rooms,
        refresh,
        repeat: p.repeat.as_ref().and_then(serde_json::Value::as_bool).unwrap_or(false),
        key: p
            .key
            .as_ref()
            .and_then(serde_json::Value::as_str)
            .and_then(key_from_base64),
        boxing: p
            .boxing
            .as_ref()
            .and_then(serde_json::Value::as_str)
            .and_then(key_from_base64),
    })
}

fn status_named(word: &str) -> Option<Status> {
    match word {
        "online" => Some(Status::Online),
        "away" => Some(Status::Away),
        "offline" => Some(Status::Offline),
        _ => None,
    }
}

fn plain_status(bytes: &[u8]) -> Option<Status> {
    if bytes.len() > 16 {
        return None;
    }
    let word = std::str::from_utf8(bytes).ok()?.trim().to_ascii_lowercase();
    status_named(&word)
}

/// A heartbeat (`presence/<user>/alive`) or a roll call
/// (`presence/<user>/rollcall`): who, which connection, when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Beacon {
    pub session: String,
    pub ts: Option<DateTime<Utc>>,
}

#[derive(Serialize, Deserialize)]
struct BeaconWire<'a> {
    v: u64,
    #[serde(borrow)]
    user: Cow<'a, str>,
    #[serde(borrow)]
    session: Cow<'a, str>,
    #[serde(borrow)]
    ts: Cow<'a, str>,
}

pub fn encode_beacon(user: &str, session: &str, ts: DateTime<Utc>) -> Vec<u8> {
    let wire = BeaconWire {
        v: PROTOCOL_VERSION,
        user: user.into(),
        session: session.into(),
        ts: ts.to_rfc3339_opts(SecondsFormat::Secs, true).into(),
    };
    serde_json::to_vec(&wire).expect("a struct of strings always serialises")
}

/// `None` for an empty (cleared) or unreadable beacon.
pub fn decode_beacon(bytes: &[u8]) -> Option<Beacon> {
    let wire: BeaconWire = serde_json::from_slice(bytes).ok()?;
    if wire.session.is_empty() || wire.session.len() > 64 {
        return None;
    }
    Some(Beacon {
        session: wire.session.into_owned(),
        ts: parse_ts(&wire.ts),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 14, 3, 7).unwrap() + chrono::Duration::milliseconds(123)
    }

    #[test]
    fn presence_round_trip_and_broken_presence() {
        let bytes = encode_presence("alice", Status::Online, at(), "7f3a9c");
        assert_eq!(
            std::str::from_utf8(&bytes).unwrap(),
            r#"{"v":1,"user":"alice","status":"online","ts":"2026-11-25T14:03:07Z","session":"7f3a9c"}"#
        );
        let p = decode_presence(&bytes).unwrap();
        assert_eq!(p.status, Status::Online);
        assert_eq!(p.session.as_deref(), Some("7f3a9c"));
        assert_eq!(decode_presence(b""), Err(PresenceError::Cleared));
        assert_eq!(decode_presence(b"hello"), Err(PresenceError::Unreadable));
        assert_eq!(
            decode_presence(br#"{"status":"asleep"}"#),
            Err(PresenceError::UnknownStatus)
        );
        assert_eq!(decode_presence(br#"{"status":"away"}"#).unwrap().status, Status::Away);
    }

    #[test]
    fn extension_fields_round_trip() {
        let rooms = vec!["general".to_owned(), "łódź".to_owned()];
        let mut out = PresenceOut::new("bob", Status::Offline, at(), "s1");
        out.seq = Some(7);
        out.reason = Some(Reason::Quit);
        out.message = Some("gotta go");
        out.rooms = Some(&rooms);
        out.refresh = Some(60);
        let bytes = out.encode();
        assert_eq!(
            std::str::from_utf8(&bytes).unwrap(),
            r#"{"v":1,"user":"bob","status":"offline","ts":"2026-11-25T14:03:07Z","session":"s1","seq":7,"reason":"quit","message":"gotta go","rooms":["general","łódź"],"refresh":60}"#
        );
        let p = decode_presence(&bytes).unwrap();
        assert_eq!(p.seq, Some(7));
        assert_eq!(p.reason, Some(Reason::Quit));
        assert_eq!(p.message.as_deref(), Some("gotta go"));
        assert_eq!(p.rooms, Some(rooms));
        assert_eq!(p.refresh, Some(60));
    }

    #[test]
    fn plain_words_from_simple_clients_are_statuses() {
        for (bytes, status) in [
            (&b"online"[..], Status::Online),
            (b"offline", Status::Offline),
            (b"Online\n", Status::Online),
            (b"away", Status::Away),
        ] {
            let p = decode_presence(bytes).unwrap();
            assert_eq!(p.status, status);
            assert_eq!((p.session, p.seq, p.rooms), (None, None, None));
        }
    }

    #[test]
    fn hostile_extension_fields_are_bounded_or_dropped() {
        let long = "x".repeat(5000);
        let json = format!(
            r##"{{"status":"away","message":"{long}","rooms":["ok","a/b","#","",{}],"seq":-1,"refresh":1,"reason":"eaten"}}"##,
            (0..500).map(|i| format!("\"r{i}\"")).collect::<Vec<_>>().join(",")
        );
        let p = decode_presence(json.as_bytes()).unwrap();
        assert_eq!(p.message.unwrap().chars().count(), MAX_PRESENCE_MESSAGE_CHARS);
        let rooms = p.rooms.unwrap();
        assert_eq!(rooms.len(), MAX_PRESENCE_ROOMS);
        assert_eq!(rooms[0], "ok");
        assert_eq!(p.seq, None);
        assert_eq!(p.refresh, Some(REFRESH_BOUNDS.0));
        assert_eq!(p.reason, None);
    }

    #[test]
    fn beacons_round_trip() {
        let bytes = encode_beacon("bob", "s1", at());
        assert_eq!(
            std::str::from_utf8(&bytes).unwrap(),
            r#"{"v":1,"user":"bob","session":"s1","ts":"2026-11-25T14:03:07Z"}"#
        );
        let b = decode_beacon(&bytes).unwrap();
        assert_eq!(b.session, "s1");
        assert_eq!(b.ts, Some(at() - chrono::Duration::milliseconds(123)));
        assert_eq!(decode_beacon(b""), None);
        assert_eq!(decode_beacon(b"{}"), None);
    }
}
