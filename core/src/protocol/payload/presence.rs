//! Presence payloads (docs/protocol.md, "Presence"): who is online.

use std::borrow::Cow;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use super::PROTOCOL_VERSION;
use crate::protocol::timestamp::parse_ts;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Online,
    Away,
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresenceIn {
    pub status: Status,
    pub ts: Option<DateTime<Utc>>,
    pub session: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PresenceError {
    /// An empty retained payload: the broker's way of deleting the status.
    Cleared,
    Unreadable,
    UnknownStatus,
}

#[derive(Serialize)]
struct PresenceOut<'a> {
    v: u64,
    user: &'a str,
    status: Status,
    ts: String,
    session: &'a str,
}

pub fn encode_presence(user: &str, status: Status, ts: DateTime<Utc>, session: &str) -> Vec<u8> {
    let out = PresenceOut {
        v: PROTOCOL_VERSION,
        user,
        status,
        ts: ts.to_rfc3339_opts(SecondsFormat::Secs, true),
        session,
    };
    serde_json::to_vec(&out).expect("a struct of strings always serialises")
}

#[derive(Deserialize)]
struct LoosePresence<'a> {
    #[serde(borrow)]
    status: Cow<'a, str>,
    #[serde(default, borrow)]
    ts: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    session: Option<Cow<'a, str>>,
}

pub fn decode_presence(bytes: &[u8]) -> Result<PresenceIn, PresenceError> {
    if bytes.is_empty() {
        return Err(PresenceError::Cleared);
    }
    let p: LoosePresence = serde_json::from_slice(bytes).map_err(|_| PresenceError::Unreadable)?;
    let status = match p.status.as_ref() {
        "online" => Status::Online,
        "away" => Status::Away,
        "offline" => Status::Offline,
        _ => return Err(PresenceError::UnknownStatus),
    };
    Ok(PresenceIn {
        status,
        ts: p.ts.as_deref().and_then(parse_ts),
        session: p.session.map(Cow::into_owned),
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
        assert_eq!(decode_presence(b"online"), Err(PresenceError::Unreadable));
        assert_eq!(
            decode_presence(br#"{"status":"asleep"}"#),
            Err(PresenceError::UnknownStatus)
        );
        assert_eq!(decode_presence(br#"{"status":"away"}"#).unwrap().status, Status::Away);
    }
}
