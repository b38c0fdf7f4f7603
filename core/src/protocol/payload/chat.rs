//! Chat payloads (docs/protocol.md, "Messages"): encoding, and decoding
//! that copes with anything a broker may hand us.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

use super::strict::StrictChat;
use super::{fast_strict, type_name, MAX_SHOWN_TEXT_BYTES, PROTOCOL_VERSION};
use crate::protocol::sealed::{Sealed, SEALED_PLACEHOLDER};
use crate::protocol::timestamp::{format_ts, parse_ts};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    #[default]
    Text,
    Action,
}

impl Kind {
    fn parse(s: &str) -> Option<Kind> {
        match s {
            "text" => Some(Kind::Text),
            "action" => Some(Kind::Action),
            _ => None,
        }
    }
}

/// How well a chat payload followed the protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Form {
    Proper,
    /// Valid UTF-8 that is not a chat object, shown as plain text from `?`.
    PlainText,
    /// A JSON object with missing or wrongly typed fields; says which.
    Malformed(String),
    /// Not UTF-8: only its size is shown.
    Binary {
        len: usize,
    },
}

/// What a receiver could read from one chat payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatIn {
    pub id: Option<String>,
    pub user: Option<String>,
    pub text: String,
    pub kind: Kind,
    pub ts: Option<DateTime<Utc>>,
    pub form: Form,
    /// Bytes of text cut off for display.
    pub cut: usize,
    /// A sealed direct message: the raw JSON of its `enc` member.
    pub enc: Option<String>,
}

#[derive(Serialize)]
struct ChatOut<'a> {
    v: u64,
    id: &'a str,
    user: &'a str,
    text: &'a str,
    ts: String,
    #[serde(skip_serializing_if = "is_text")]
    kind: Kind,
    #[serde(skip_serializing_if = "Option::is_none")]
    enc: Option<&'a Sealed>,
}

fn is_text(kind: &Kind) -> bool {
    *kind == Kind::Text
}

pub fn encode_chat(id: &str, user: &str, text: &str, ts: DateTime<Utc>, kind: Kind) -> Vec<u8> {
    let out = ChatOut {
        v: PROTOCOL_VERSION,
        id,
        user,
        text,
        ts: format_ts(ts),
        kind,
        enc: None,
    };
    serde_json::to_vec(&out).expect("a struct of strings always serialises")
}

/// A direct message sealed end to end: `text` says so to clients that
/// cannot open it, `enc` holds the boxes (protocol::sealed).
pub fn encode_sealed_chat(id: &str, user: &str, sealed: &Sealed, ts: DateTime<Utc>, kind: Kind) -> Vec<u8> {
    let out = ChatOut {
        v: PROTOCOL_VERSION,
        id,
        user,
        text: SEALED_PLACEHOLDER,
        ts: format_ts(ts),
        kind,
        enc: Some(sealed),
    };
    serde_json::to_vec(&out).expect("a struct of strings always serialises")
}

/// Cuts `text` to the display limit at a character boundary.
fn keep_shown(text: Cow<'_, str>) -> (String, usize) {
    if text.len() <= MAX_SHOWN_TEXT_BYTES {
        return (text.into_owned(), 0);
    }
    let mut end = MAX_SHOWN_TEXT_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (text[..end].to_owned(), text.len() - end)
}

pub fn decode_chat(bytes: &[u8]) -> ChatIn {
    decode_chat_with(bytes, fast_strict::read)
}

/// [`decode_chat`] with serde reading every payload: the reference the fast
/// reader is checked against (by the tests, the fuzz target and the decode
/// benchmark); not for other use.
#[doc(hidden)]
pub fn decode_chat_without_fast_path(bytes: &[u8]) -> ChatIn {
    decode_chat_with(bytes, |_| None)
}

/// `fast_read` may read the strict shape first; where it gives up, serde does.
fn decode_chat_with(bytes: &[u8], fast_read: fn(&str) -> Option<StrictChat<'_>>) -> ChatIn {
    let Ok(raw) = std::str::from_utf8(bytes) else {
        return ChatIn {
            id: None,
            user: None,
            text: String::new(),
            kind: Kind::Text,
            ts: None,
            form: Form::Binary { len: bytes.len() },
            cut: 0,
            enc: None,
        };
    };
    if let Some(strict) = fast_read(raw).or_else(|| serde_json::from_str::<StrictChat>(raw).ok()) {
        let kind = strict.kind.as_deref().map(Kind::parse);
        let ts = parse_ts(&strict.ts);
        if strict.v == PROTOCOL_VERSION && kind != Some(None) && ts.is_some() {
            let (text, cut) = keep_shown(strict.text);
            return ChatIn {
                id: Some(strict.id.into_owned()),
                user: Some(strict.user.into_owned()),
                text,
                kind: kind.flatten().unwrap_or_default(),
                ts,
                form: Form::Proper,
                cut,
                enc: strict.enc.map(|raw| raw.0.get().to_owned()),
            };
        }
    }
    match serde_json::from_str::<Value>(raw) {
        Ok(Value::Object(map)) => decode_loose(map),
        _ => plain_text(raw),
    }
}

fn plain_text(raw: &str) -> ChatIn {
    let (text, cut) = keep_shown(Cow::Borrowed(raw));
    ChatIn {
        id: None,
        user: None,
        text,
        kind: Kind::Text,
        ts: None,
        form: Form::PlainText,
        cut,
        enc: None,
    }
}

/// Reads what it can from an object that failed the strict shape.
fn decode_loose(mut map: Map<String, Value>) -> ChatIn {
    let mut problems: Vec<String> = Vec::new();
    let mut take_str = |map: &mut Map<String, Value>, key: &str, required: bool| match map.remove(key) {
        Some(Value::String(s)) => Some(s),
        Some(other) => {
            problems.push(format!("{key} is {}", type_name(&other)));
            None
        }
        None => {
            if required {
                problems.push(format!("no {key}"));
            }
            None
        }
    };
    let id = take_str(&mut map, "id", true);
    let user = take_str(&mut map, "user", true);
    let text = take_str(&mut map, "text", true);
    let ts_raw = take_str(&mut map, "ts", true);
    let kind_raw = take_str(&mut map, "kind", false);
    let enc = map.remove("enc").map(|v| v.to_string());
    let ts = ts_raw.as_deref().and_then(parse_ts);
    if ts_raw.is_some() && ts.is_none() {
        problems.push("ts is not RFC 3339".into());
    }
    let kind = match kind_raw.as_deref().map(Kind::parse) {
        Some(Some(kind)) => kind,
        Some(None) => {
            problems.push("unknown kind".into());
            Kind::Text
        }
        None => Kind::Text,
    };
    match map.get("v") {
        Some(Value::Number(n)) if n.as_u64() == Some(PROTOCOL_VERSION) => {}
        Some(Value::Number(n)) => problems.push(format!("version {n}")),
        Some(other) => problems.push(format!("v is {}", type_name(other))),
        None => problems.push("no v".into()),
    }
    let (text, cut) = keep_shown(Cow::Owned(text.unwrap_or_default()));
    ChatIn {
        id,
        user,
        text,
        kind,
        ts,
        form: Form::Malformed(problems.join(", ")),
        cut,
        enc,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 14, 3, 7).unwrap() + chrono::Duration::milliseconds(123)
    }

    #[test]
    fn chat_round_trip() {
        let bytes = encode_chat("01ID", "alice", "hello\nworld", at(), Kind::Text);
        let text = std::str::from_utf8(&bytes).unwrap();
        assert_eq!(
            text,
            r#"{"v":1,"id":"01ID","user":"alice","text":"hello\nworld","ts":"2026-11-25T14:03:07.123Z"}"#
        );
        let back = decode_chat(&bytes);
        assert_eq!(back.form, Form::Proper);
        assert_eq!(back.id.as_deref(), Some("01ID"));
        assert_eq!(back.user.as_deref(), Some("alice"));
        assert_eq!(back.text, "hello\nworld");
        assert_eq!(back.ts, Some(at()));
        assert_eq!(back.kind, Kind::Text);
        let action = decode_chat(&encode_chat("2", "bob", "waves", at(), Kind::Action));
        assert_eq!(action.kind, Kind::Action);
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let m = decode_chat(
            br#"{"v":1,"id":"x","user":"a","text":"t","ts":"2026-11-25T14:03:07Z","extra":{"deep":[1,2]}}"#,
        );
        assert_eq!(m.form, Form::Proper);
    }

    #[test]
    fn plain_text_is_shown_from_an_unknown_sender() {
        for raw in [&b"hi"[..], b"42", b"\"quoted\"", b"[1,2]", b"{broken", b""] {
            let m = decode_chat(raw);
            assert_eq!(m.form, Form::PlainText, "{raw:?}");
            assert_eq!(m.user, None);
            assert_eq!(m.text.as_bytes(), raw);
        }
    }

    #[test]
    fn missing_and_wrongly_typed_fields_keep_what_can_be_read() {
        let m = decode_chat(br#"{"v":1,"user":"bob","text":5,"ts":"yesterday"}"#);
        assert_eq!(m.user.as_deref(), Some("bob"));
        assert_eq!(m.text, "");
        let Form::Malformed(why) = &m.form else {
            panic!("{:?}", m.form)
        };
        assert!(
            why.contains("no id") && why.contains("text is a number") && why.contains("ts is not RFC 3339"),
            "{why}"
        );

        let m = decode_chat(br#"{"text":"only text"}"#);
        assert_eq!(m.text, "only text");
        assert!(matches!(m.form, Form::Malformed(ref w) if w.contains("no user") && w.contains("no v")));

        let m = decode_chat(br#"{"v":2,"id":"i","user":"u","text":"t","ts":"2026-11-25T14:03:07Z"}"#);
        assert!(matches!(m.form, Form::Malformed(ref w) if w == "version 2"));
        let m = decode_chat(br#"{"v":1,"id":"i","user":"u","text":"t","ts":"2026-11-25T14:03:07Z","kind":"shout"}"#);
        assert!(matches!(m.form, Form::Malformed(ref w) if w == "unknown kind"));
    }

    #[test]
    fn invalid_utf8_is_binary_with_its_size() {
        let blob = vec![0xff; 2150];
        let m = decode_chat(&blob);
        assert_eq!(m.form, Form::Binary { len: 2150 });
    }

    #[test]
    fn deep_nesting_does_not_overflow_the_stack() {
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        let m = decode_chat(deep.as_bytes());
        assert_eq!(m.form, Form::PlainText);
        let obj = format!(
            r#"{{"v":1,"id":"i","user":"u","text":"t","ts":"2026-11-25T14:03:07Z","x":{}1{}}}"#,
            "[".repeat(10_000),
            "]".repeat(10_000)
        );
        // An unknown field may nest deeply: it is skipped, the message stands.
        let m = decode_chat(obj.as_bytes());
        assert_eq!(m.form, Form::Proper);
    }

    #[test]
    fn long_text_is_cut_for_display_and_counted() {
        let long = "ż".repeat(MAX_SHOWN_TEXT_BYTES); // two bytes each
        let bytes = encode_chat("i", "u", &long, at(), Kind::Text);
        let m = decode_chat(&bytes);
        assert_eq!(m.text.len(), MAX_SHOWN_TEXT_BYTES);
        assert_eq!(m.cut, MAX_SHOWN_TEXT_BYTES);
        let odd = format!("a{long}");
        let m = decode_chat(odd.as_bytes());
        assert!(m.text.len() < MAX_SHOWN_TEXT_BYTES && m.text.is_char_boundary(m.text.len()));
        assert_eq!(m.text.len() + m.cut, odd.len());
    }
}
