//! The strict chat object read without serde: most arrivals take this path.
//! It is a second JSON reader on untrusted input, so it must read exactly
//! what serde reads or give up; the tests below and the fuzz target check that.

use std::borrow::Cow;

use super::strict::StrictChat;

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// A JSON string without escapes at `i`: its text and the index after it.
fn plain_string(raw: &str, i: usize) -> Option<(&str, usize)> {
    let b = raw.as_bytes();
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let start = i + 1;
    let end = start + crate::protocol::special_bytes::json_special(&b[start..]);
    (b.get(end) == Some(&b'"')).then(|| (&raw[start..end], end + 1))
}

/// The strict chat object read without serde, for the common shape: known
/// keys once each, strings without escapes, `v` a plain integer. Anything
/// else gives `None` and is left to serde, so the outcome never differs.
pub(super) fn read(raw: &str) -> Option<StrictChat<'_>> {
    let b = raw.as_bytes();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i += 1;
    let (mut v, mut id, mut user, mut text, mut ts, mut kind) = (None, None, None, None, None, None);
    loop {
        let (key, next) = plain_string(raw, skip_ws(b, i))?;
        i = skip_ws(b, next);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(b, i + 1);
        if key == "v" {
            let digits = b[i..].iter().take_while(|d| d.is_ascii_digit()).count();
            if digits == 0 || digits > 19 || (digits > 1 && b[i] == b'0') {
                return None;
            }
            let n = raw[i..i + digits].parse::<u64>().ok()?;
            if v.replace(n).is_some() {
                return None;
            }
            i += digits;
        } else if key == "sig" {
            // The signature is read from the raw bytes (protocol::signature);
            // serde ignores it as an unknown field, and so does this.
            let (_, next) = plain_string(raw, i)?;
            i = next;
        } else {
            let slot = match key {
                "id" => &mut id,
                "user" => &mut user,
                "text" => &mut text,
                "ts" => &mut ts,
                "kind" => &mut kind,
                _ => return None,
            };
            let (value, next) = plain_string(raw, i)?;
            if slot.replace(value).is_some() {
                return None;
            }
            i = next;
        }
        i = skip_ws(b, i);
        match b.get(i) {
            Some(b',') => i += 1,
            Some(b'}') => break,
            _ => return None,
        }
    }
    if skip_ws(b, i + 1) != b.len() {
        return None;
    }
    Some(StrictChat {
        v: v?,
        id: Cow::Borrowed(id?),
        user: Cow::Borrowed(user?),
        text: Cow::Borrowed(text?),
        ts: Cow::Borrowed(ts?),
        kind: kind.map(Cow::Borrowed),
        enc: None,
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::protocol::payload::{decode_chat, decode_chat_without_fast_path, encode_chat, Kind};

    /// Payloads near the fast path's edges: it must read them exactly as
    /// serde does, or leave them to serde.
    fn tricky_payloads() -> Vec<String> {
        let mut out: Vec<String> = [
            r#"{"v":1,"id":"a","user":"b","text":"c","ts":"2026-11-25T14:03:07Z"}"#,
            r#" { "ts" : "2026-11-25T14:03:07.1Z" , "text":"c","user":"b","id":"a","v":1 } "#,
            r#"{"v":1,"id":"a","user":"b","text":"c\nd","ts":"2026-11-25T14:03:07Z"}"#,
            r#"{"v":1,"id":"a","user":"b","text":"c","ts":"2026-11-25T14:03:07Z","kind":"action"}"#,
            r#"{"v":1,"id":"a","user":"b","text":"c","ts":"2026-11-25T14:03:07Z","kind":null}"#,
            r#"{"v":1,"id":"a","user":"b","text":"c","ts":"2026-11-25T14:03:07Z","extra":1}"#,
            r#"{"v":1,"id":"a","user":"b","text":"c","ts":"2026-11-25T14:03:07Z","sig":"AAAA"}"#,
            r#"{"v":1,"id":"a","user":"b","text":"c","ts":"2026-11-25T14:03:07Z","sig":1}"#,
            r#"{"v":1,"id":"a","user":"b","text":"c","ts":"2026-11-25T14:03:07Z","enc":{"alg":"x","to":{}}}"#,
            r#"{"v":1,"v":1,"id":"a","user":"b","text":"c","ts":"2026-11-25T14:03:07Z"}"#,
            r#"{"v":1,"id":"a","id":"z","user":"b","text":"c","ts":"x"}"#,
            r#"{"v":01,"id":"a","user":"b","text":"c","ts":"x"}"#,
            r#"{"v":1.0,"id":"a","user":"b","text":"c","ts":"x"}"#,
            r#"{"v":1e0,"id":"a","user":"b","text":"c","ts":"x"}"#,
            r#"{"v":-1,"id":"a","user":"b","text":"c","ts":"x"}"#,
            r#"{"v":18446744073709551616,"id":"a","user":"b","text":"c","ts":"x"}"#,
            r#"{"v":18446744073709551615,"id":"a","user":"b","text":"c","ts":"x"}"#,
            r#"{"v":0,"id":"a","user":"b","text":"c","ts":"x"}"#,
            r#"{"v":1,"id":"a","user":"b","text":"c","ts":"x",}"#,
            r#"{"v":1,"id":"a","user":"b","text":"c","ts":"x"}x"#,
            r#"{"v":1,"id":"a","user":"b","text":"c","ts":"x"}}"#,
            r#"{"v":1,"id":"a","user":"b","text":"c"}"#,
            r#"{"v":1,"id":"a","user":"b","text":"tab	in","ts":"x"}"#,
            r#"{"\u0076":1,"id":"a","user":"b","text":"c","ts":"x"}"#,
            r#"{"v":1,"id":"a","user":"b","text":"zażółć 日本 😀","ts":"x"}"#,
            r#"{"v":1,"id":"a","user":"b","text":"c","ts":"x""#,
            r#"{"v":1,"id":"a","user":"b","text":"c","ts":"#,
            r#"{"v":"1","id":"a","user":"b","text":"c","ts":"x"}"#,
            r#"{"v":1,"id":5,"user":"b","text":"c","ts":"x"}"#,
            "{}",
            "{",
            "",
            "[]",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let base = r#"{"v":1,"id":"a","user":"b","text":"c d","ts":"2026-11-25T14:03:07.123Z"}"#;
        for cut in 0..base.len() {
            out.push(base[..cut].to_string());
            let mut bent = base.as_bytes().to_vec();
            for junk in [b' ', b'"', b'\\', b'}', b',', b':', b'0', 0x01] {
                bent[cut] = junk;
                out.push(String::from_utf8_lossy(&bent).into_owned());
            }
        }
        out
    }

    #[test]
    fn fast_path_reads_exactly_what_serde_reads() {
        for raw in tricky_payloads() {
            if let Some(fast) = read(&raw) {
                let serde: Result<StrictChat, _> = serde_json::from_str(&raw);
                assert_eq!(Some(&fast), serde.as_ref().ok(), "{raw}");
            }
        }
        assert!(read(r#"{"v":1,"id":"a","user":"b","text":"c","ts":"x"}"#).is_some());
    }

    /// Whitespace JSON allows, and some it does not.
    fn space() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec!["", "", " ", "\n\t", "\r\n  ", "\u{a0}", "\x0c"])
    }

    /// A JSON string as a sender may write it: plain, unicode, valid and
    /// broken escapes (lone surrogates too), raw control characters, quotes.
    fn json_string() -> impl Strategy<Value = String> {
        let part = prop_oneof![
            4 => "[a-z0-9 ]{0,8}",
            1 => any::<String>(),
            1 => Just("2026-11-25T14:03:07.123Z".to_owned()),
            1 => prop::sample::select(vec!["text", "action", "zażółć 日本 😀", "\u{7f}\u{9b}\u{202e}"]).prop_map(String::from),
            2 => prop::sample::select(vec![
                r"\n", r#"\""#, r"\\", r"\/", r"\u0041", r"\u00e9", r"\ud83d\ude00", r"\ud800", r"\udc00",
                r"\x", r"\u12", "\t", "\u{1}", "\\", "\"",
            ])
            .prop_map(String::from),
        ];
        prop::collection::vec(part, 0..3).prop_map(|parts| format!("\"{}\"", parts.concat()))
    }

    fn key() -> impl Strategy<Value = String> {
        let known =
            prop::sample::select(vec!["v", "id", "user", "text", "ts", "kind"]).prop_map(|k| format!("\"{k}\""));
        let odd = prop::sample::select(vec![
            r#""extra""#,
            r#""\u0076""#,
            r#""V""#,
            r#""""#,
            r#""id ""#,
            "v",
            "'v'",
        ]);
        prop_oneof![4 => known, 1 => odd.prop_map(String::from)]
    }

    /// Any JSON value, nested a little, and some near misses.
    fn json_value() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            json_string(),
            any::<u64>().prop_map(|n| n.to_string()),
            prop::sample::select(vec![
                "1",
                "0",
                "01",
                "1.0",
                "1e0",
                "-1",
                "-0",
                "+1",
                "18446744073709551615",
                "18446744073709551616",
                "null",
                "true",
                "false",
                "[]",
                "{}",
                "1 2",
                "",
                "\"open",
            ])
            .prop_map(String::from),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(|items| format!("[{}]", items.join(","))),
                prop::collection::vec((key(), inner), 0..4).prop_map(|members| {
                    let members: Vec<String> = members.iter().map(|(k, v)| format!("{k}:{v}")).collect();
                    format!("{{{}}}", members.join(","))
                }),
            ]
        })
    }

    /// A chat object: mostly the right members in any order, sometimes one
    /// missing, repeated or of the wrong type, with unknown members and odd
    /// spacing; then maybe cut short or with one byte changed or inserted
    /// (which may make it invalid UTF-8).
    fn payload() -> impl Strategy<Value = Vec<u8>> {
        let version = prop_oneof![4 => Just("1".to_owned()), 1 => json_value()];
        let text = || prop_oneof![4 => json_string(), 1 => json_value()];
        let ts = prop_oneof![
            4 => prop::sample::select(vec!["\"2026-11-25T14:03:07.123Z\"", "\"2026-11-25T14:03:07Z\"", "\"x\""]).prop_map(String::from),
            1 => json_value(),
        ];
        let kind = prop::option::weighted(0.3, prop_oneof![json_string(), json_value()]);
        let members = (version, text(), text(), text(), ts, kind).prop_map(|(v, id, user, text, ts, kind)| {
            let mut members = vec![
                ("\"v\"".to_owned(), v),
                ("\"id\"".into(), id),
                ("\"user\"".into(), user),
            ];
            members.extend([("\"text\"".into(), text), ("\"ts\"".into(), ts)]);
            members.extend(kind.map(|kind| ("\"kind\"".to_owned(), kind)));
            members
        });
        let extra = prop::collection::vec((key(), json_value()), 0..3);
        let object = (members, extra, any::<prop::sample::Index>(), any::<bool>())
            .prop_flat_map(|(mut members, extra, drop, drop_one)| {
                if drop_one {
                    members.remove(drop.index(members.len()));
                }
                members.extend(extra);
                Just(members).prop_shuffle()
            })
            .prop_flat_map(|members| {
                let spaces = prop::collection::vec(space(), members.len() * 4 + 3);
                let tail = prop::sample::select(vec!["", "", "", ",", "}", "x", "{}"]);
                (Just(members), spaces, tail)
            })
            .prop_map(|(members, spaces, tail)| {
                let mut out = format!("{}{{", spaces[0]);
                for (n, (key, value)) in members.iter().enumerate() {
                    let s = &spaces[4 * n + 1..4 * n + 5];
                    let comma = if n + 1 < members.len() { "," } else { "" };
                    out += &format!("{}{key}{}:{}{value}{}{comma}", s[0], s[1], s[2], s[3]);
                }
                out + &format!("{}}}{}{tail}", spaces[spaces.len() - 2], spaces[spaces.len() - 1])
            });
        let damage = prop_oneof![
            3 => Just(None),
            1 => (any::<prop::sample::Index>(), 0..3u8, any::<u8>()).prop_map(Some),
        ];
        (object, damage).prop_map(|(object, damage)| {
            let mut bytes = object.into_bytes();
            if let Some((at, how, byte)) = damage {
                let at = at.index(bytes.len() + 1);
                match how {
                    0 => bytes.truncate(at),
                    1 if at < bytes.len() => bytes[at] = byte,
                    _ => bytes.insert(at, byte),
                }
            }
            bytes
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

        /// The differential check: where the fast reader reads a payload at
        /// all, it reads what serde reads, and decoding gives the same
        /// message with or without it.
        #[test]
        fn the_fast_reader_agrees_with_serde(bytes in payload()) {
            if let Ok(raw) = std::str::from_utf8(&bytes) {
                if let Some(fast) = read(raw) {
                    let serde: Result<StrictChat, _> = serde_json::from_str(raw);
                    prop_assert_eq!(Some(&fast), serde.as_ref().ok(), "{}", raw);
                }
            }
            prop_assert_eq!(decode_chat(&bytes), decode_chat_without_fast_path(&bytes));
        }

        /// What clients send (no escapes needed) does take the fast path:
        /// otherwise the check above would pass by never using it.
        #[test]
        fn the_common_shape_takes_the_fast_path(
            id in "[0-9A-Z]{26}",
            user in "[^\"\\\\\\x00-\\x1f]{1,12}",
            text in "[^\"\\\\\\x00-\\x1f]{0,40}",
            action in any::<bool>(),
        ) {
            let kind = if action { Kind::Action } else { Kind::Text };
            let bytes = encode_chat(&id, &user, &text, chrono::DateTime::UNIX_EPOCH, kind);
            prop_assert!(read(std::str::from_utf8(&bytes).unwrap()).is_some());
        }
    }
}
