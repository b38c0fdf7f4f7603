//! Room topic payloads (docs/protocol.md, "Room topics"): retained on
//! `topic/<room>`, one per room; an empty payload or text clears it.

use serde::{Deserialize, Serialize};

use super::PROTOCOL_VERSION;
use crate::protocol::timestamp::{format_ts, parse_ts};
use chrono::{DateTime, Utc};

/// Longest topic text kept for display; the rest is counted, not stored.
pub const MAX_TOPIC_BYTES: usize = 300;

#[derive(Serialize)]
struct TopicOut<'a> {
    v: u64,
    room: &'a str,
    text: &'a str,
    user: &'a str,
    ts: String,
}

/// The topic `user` sets for `room` (`text` empty: cleared).
pub fn encode_topic(room: &str, user: &str, text: &str, ts: DateTime<Utc>) -> Vec<u8> {
    let out = TopicOut {
        v: PROTOCOL_VERSION,
        room,
        text,
        user,
        ts: format_ts(ts),
    };
    serde_json::to_vec(&out).expect("a struct of strings always serialises")
}

/// A topic as it arrived.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TopicIn {
    /// Empty: the topic was cleared.
    pub text: String,
    /// Bytes of text cut off for display.
    pub cut: usize,
    /// `None`: not said (a plain payload from a simple MQTT client).
    pub user: Option<String>,
    pub ts: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopicError {
    /// Not UTF-8: nothing can be shown of it.
    Binary,
    /// A JSON object without a string `text`.
    NoText,
}

#[derive(Deserialize)]
struct LooseTopic {
    #[serde(default)]
    text: Option<serde_json::Value>,
    #[serde(default)]
    user: Option<serde_json::Value>,
    #[serde(default)]
    ts: Option<serde_json::Value>,
}

/// Reads a topic payload. Plain UTF-8 that is not a JSON object (as
/// `mosquitto_pub -m 'hello'` sends) is the topic text itself, from an
/// unknown sender; an empty payload clears the topic.
pub fn decode_topic(bytes: &[u8]) -> Result<TopicIn, TopicError> {
    let raw = std::str::from_utf8(bytes).map_err(|_| TopicError::Binary)?;
    let looks_like_object = raw.trim_start().starts_with('{');
    let parsed = if looks_like_object {
        serde_json::from_str::<LooseTopic>(raw).ok()
    } else {
        None
    };
    let Some(topic) = parsed else {
        let (text, cut) = keep_shown(raw.trim());
        return Ok(TopicIn {
            text,
            cut,
            ..TopicIn::default()
        });
    };
    let text = topic
        .text
        .as_ref()
        .and_then(serde_json::Value::as_str)
        .ok_or(TopicError::NoText)?;
    let (text, cut) = keep_shown(text.trim());
    let user = topic
        .user
        .as_ref()
        .and_then(serde_json::Value::as_str)
        .filter(|u| !u.is_empty())
        // A name longer than any valid one is not kept whole.
        .map(|u| u.chars().take(64).collect());
    let ts = topic.ts.as_ref().and_then(serde_json::Value::as_str).and_then(parse_ts);
    Ok(TopicIn { text, cut, user, ts })
}

/// `text` cut to [`MAX_TOPIC_BYTES`] at a character boundary, and how much was cut.
fn keep_shown(text: &str) -> (String, usize) {
    if text.len() <= MAX_TOPIC_BYTES {
        return (text.to_owned(), 0);
    }
    let mut end = MAX_TOPIC_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (text[..end].to_owned(), text.len() - end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_topic_reads_back_as_written() {
        let ts = Utc.with_ymd_and_hms(2026, 11, 25, 14, 3, 7).unwrap();
        let bytes = encode_topic("general", "alice", "Release on Friday", ts);
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(
            text.starts_with(r#"{"v":1,"room":"general","text":"Release on Friday","user":"alice","ts":"#),
            "{text}"
        );
        let topic = decode_topic(&bytes).unwrap();
        assert_eq!(topic.text, "Release on Friday");
        assert_eq!(topic.user.as_deref(), Some("alice"));
        assert_eq!(topic.ts, Some(ts));
        assert_eq!(topic.cut, 0);
    }

    #[test]
    fn anything_a_broker_hands_over_is_read_or_refused_with_a_reason() {
        let plain = decode_topic(b"  hello from mosquitto_pub\n").unwrap();
        assert_eq!((plain.text.as_str(), plain.user), ("hello from mosquitto_pub", None));
        assert_eq!(decode_topic(b"").unwrap().text, "", "an empty payload clears");
        assert_eq!(decode_topic(br#"{"text":"","user":"bob"}"#).unwrap().text, "");
        assert_eq!(decode_topic(b"\xff\xfe"), Err(TopicError::Binary));
        assert_eq!(decode_topic(br#"{"text":5}"#), Err(TopicError::NoText));
        assert_eq!(decode_topic(br#"{"user":"bob"}"#), Err(TopicError::NoText));
        // A broken object is shown as the plain text it is.
        assert_eq!(decode_topic(br#"{"text":"#).unwrap().text, r#"{"text":"#);
        let odd = decode_topic(br#"{"text":"hi","user":7,"ts":"yesterday"}"#).unwrap();
        assert_eq!((odd.text.as_str(), odd.user, odd.ts), ("hi", None, None));
    }

    #[test]
    fn a_long_topic_is_cut_at_a_character_and_the_rest_counted() {
        let long = "ż".repeat(400);
        let topic = decode_topic(
            encode_topic(
                "general",
                "bob",
                &long,
                Utc.with_ymd_and_hms(2026, 11, 25, 14, 0, 0).unwrap(),
            )
            .as_slice(),
        )
        .unwrap();
        assert_eq!(topic.text.len(), MAX_TOPIC_BYTES);
        assert_eq!(topic.cut, 800 - MAX_TOPIC_BYTES);
        let plain = decode_topic("x".repeat(10_000).as_bytes()).unwrap();
        assert_eq!(
            (plain.text.len(), plain.cut),
            (MAX_TOPIC_BYTES, 10_000 - MAX_TOPIC_BYTES)
        );
    }
}
