//! Chat and presence payloads (PROTOCOL.md): encoding, and decoding that
//! copes with anything a broker may hand us.

use std::borrow::Cow;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub const PROTOCOL_VERSION: u64 = 1;
/// Longest text kept for display; the rest is counted, not stored.
pub const MAX_SHOWN_TEXT_BYTES: usize = 32 * 1024;
/// Longest text a user may send (the outgoing packet limit leaves room for the envelope).
pub const MAX_OUTGOING_TEXT_BYTES: usize = 256 * 1024;

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
}

fn is_text(kind: &Kind) -> bool {
    *kind == Kind::Text
}

/// `2026-11-25T14:03:07.123Z`: RFC 3339 in UTC with milliseconds.
pub fn format_ts(ts: DateTime<Utc>) -> String {
    match ts_bytes(ts) {
        Some(bytes) => bytes.iter().map(|&b| char::from(b)).collect(),
        None => ts.to_rfc3339_opts(SecondsFormat::Millis, true),
    }
}

/// Writes [`format_ts`]'s text without building a `String`.
pub fn write_ts(out: &mut impl std::io::Write, ts: DateTime<Utc>) -> std::io::Result<()> {
    match ts_bytes(ts) {
        Some(bytes) => out.write_all(&bytes),
        None => out.write_all(ts.to_rfc3339_opts(SecondsFormat::Millis, true).as_bytes()),
    }
}

/// The common case by hand (chrono's formatter is general and slow): years
/// 0 to 9999 and no leap second; `None` leaves the rest to chrono.
fn ts_bytes(ts: DateTime<Utc>) -> Option<[u8; 24]> {
    use chrono::{Datelike, Timelike};
    // On the naive value: each accessor of a `DateTime` converts it afresh.
    let ts = ts.naive_utc();
    let year = ts.year();
    let nanos = ts.nanosecond();
    if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 {
        return None;
    }
    let digits = |out: &mut [u8], mut v: u32| {
        for slot in out.iter_mut().rev() {
            *slot = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    let mut b = *b"0000-00-00T00:00:00.000Z";
    digits(&mut b[0..4], year as u32);
    digits(&mut b[5..7], ts.month());
    digits(&mut b[8..10], ts.day());
    digits(&mut b[11..13], ts.hour());
    digits(&mut b[14..16], ts.minute());
    digits(&mut b[17..19], ts.second());
    digits(&mut b[20..23], nanos / 1_000_000);
    Some(b)
}

pub fn encode_chat(id: &str, user: &str, text: &str, ts: DateTime<Utc>, kind: Kind) -> Vec<u8> {
    let out = ChatOut {
        v: PROTOCOL_VERSION,
        id,
        user,
        text,
        ts: format_ts(ts),
        kind,
    };
    serde_json::to_vec(&out).expect("a struct of strings always serialises")
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
struct StrictChat<'a> {
    v: u64,
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    user: Cow<'a, str>,
    #[serde(borrow)]
    text: Cow<'a, str>,
    #[serde(borrow)]
    ts: Cow<'a, str>,
    #[serde(default, borrow)]
    kind: Option<Cow<'a, str>>,
}

fn parse_ts(s: &str) -> Option<DateTime<Utc>> {
    parse_ts_fast(s).or_else(|| DateTime::parse_from_rfc3339(s).ok().map(|d| d.with_timezone(&Utc)))
}

/// `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z`, the form every client sends, read by
/// hand; anything else (offsets, leap seconds, odd separators) is left to chrono.
fn parse_ts_fast(s: &str) -> Option<DateTime<Utc>> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (&last, body) = b.split_last()?;
    if last != b'Z' {
        return None;
    }
    let number = |digits: &[u8]| {
        digits
            .iter()
            .try_fold(0u32, |n, &d| d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0')))
    };
    let nanos = match &body[19..] {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => number(digits)? * 10u32.pow(9 - digits.len() as u32),
        _ => return None,
    };
    let second = number(&b[17..19])?;
    if second >= 60 {
        return None;
    }
    let date = chrono::NaiveDate::from_ymd_opt(number(&b[0..4])? as i32, number(&b[5..7])?, number(&b[8..10])?)?;
    let time = chrono::NaiveTime::from_hms_nano_opt(number(&b[11..13])?, number(&b[14..16])?, second, nanos)?;
    Some(DateTime::from_naive_utc_and_offset(date.and_time(time), Utc))
}

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
    let end = start + super::scan::json_special(&b[start..]);
    (b.get(end) == Some(&b'"')).then(|| (&raw[start..end], end + 1))
}

/// The strict chat object read without serde, for the common shape: known
/// keys once each, strings without escapes, `v` a plain integer. Anything
/// else gives `None` and is left to serde, so the outcome never differs.
fn fast_strict(raw: &str) -> Option<StrictChat<'_>> {
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
    })
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
    let Ok(raw) = std::str::from_utf8(bytes) else {
        return ChatIn {
            id: None,
            user: None,
            text: String::new(),
            kind: Kind::Text,
            ts: None,
            form: Form::Binary { len: bytes.len() },
            cut: 0,
        };
    };
    if let Some(strict) = fast_strict(raw).or_else(|| serde_json::from_str::<StrictChat>(raw).ok()) {
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
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `2.1 KiB`, `1.2 MiB`: sizes for people.
pub fn human_size(bytes: usize) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

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

/// A ULID: 48 bits of milliseconds then 80 random bits, Crockford base32.
pub fn new_message_id(now: DateTime<Utc>) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let millis = now.timestamp_millis().max(0) as u128 & ((1 << 48) - 1);
    let random = fastrand::u128(..) & ((1 << 80) - 1);
    let value = (millis << 80) | random;
    (0..26)
        .rev()
        .map(|i| ALPHABET[((value >> (i * 5)) & 31) as usize] as char)
        .collect()
}

/// A short random id for one connection (PROTOCOL.md `session`).
pub fn new_session_id() -> String {
    format!("{:012x}", fastrand::u64(..) & 0xffff_ffff_ffff)
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
    fn timestamps_format_like_chrono() {
        let chrono_way = |ts: DateTime<Utc>| ts.to_rfc3339_opts(SecondsFormat::Millis, true);
        let mut ts = Utc.with_ymd_and_hms(1999, 12, 31, 23, 59, 58).unwrap();
        for _ in 0..5_000 {
            assert_eq!(format_ts(ts), chrono_way(ts));
            let mut written = Vec::new();
            write_ts(&mut written, ts).unwrap();
            assert_eq!(written, chrono_way(ts).into_bytes());
            ts += chrono::Duration::milliseconds(fastrand::i64(1..400_000_000_000));
        }
        for ts in [
            DateTime::<Utc>::UNIX_EPOCH,
            Utc.with_ymd_and_hms(0, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap() + chrono::Duration::nanoseconds(999_999_999),
            Utc.with_ymd_and_hms(10000, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(-1, 1, 1, 0, 0, 0).unwrap(),
            // A leap second: chrono's own text, whatever it is.
            Utc.from_utc_datetime(
                &chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
                    .unwrap()
                    .and_hms_milli_opt(23, 59, 59, 1_500)
                    .unwrap(),
            ),
            at(),
        ] {
            assert_eq!(format_ts(ts), chrono_way(ts), "{ts:?}");
        }
    }

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
            if let Some(fast) = fast_strict(&raw) {
                let serde: Result<StrictChat, _> = serde_json::from_str(&raw);
                assert_eq!(Some(&fast), serde.as_ref().ok(), "{raw}");
            }
        }
        assert!(fast_strict(r#"{"v":1,"id":"a","user":"b","text":"c","ts":"x"}"#).is_some());
    }

    #[test]
    fn fast_timestamps_agree_with_chrono() {
        let chrono_way = |s: &str| DateTime::parse_from_rfc3339(s).ok().map(|d| d.with_timezone(&Utc));
        let mut cases: Vec<String> = [
            "2026-11-25T14:03:07Z",
            "2026-11-25T14:03:07.1Z",
            "2026-11-25T14:03:07.123Z",
            "2026-11-25T14:03:07.123456789Z",
            "2026-11-25T14:03:07.1234567891Z",
            "2026-11-25T14:03:07.Z",
            "2026-11-25T14:03:60Z",
            "2016-12-31T23:59:60.5Z",
            "2026-02-29T14:03:07Z",
            "2024-02-29T14:03:07Z",
            "2026-13-01T00:00:00Z",
            "2026-11-25T24:00:00Z",
            "2026-11-25t14:03:07z",
            "2026-11-25 14:03:07Z",
            "2026-11-25T14:03:07+01:00",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999Z",
            "+2026-11-25T14:03:07Z",
            "2026-11-2514:03:07Z",
            "２026-11-25T14:03:07Z",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let mut ts = Utc.with_ymd_and_hms(1970, 1, 1, 0, 0, 0).unwrap();
        for _ in 0..2_000 {
            cases.push(format_ts(ts));
            cases.push(ts.to_rfc3339_opts(SecondsFormat::Secs, true));
            cases.push(ts.to_rfc3339_opts(SecondsFormat::Nanos, true));
            ts += chrono::Duration::nanoseconds(fastrand::i64(1..2_000_000_000_000_000));
        }
        for case in cases {
            if let Some(fast) = parse_ts_fast(&case) {
                assert_eq!(Some(fast), chrono_way(&case), "{case}");
            }
            assert_eq!(parse_ts(&case), chrono_way(&case), "{case}");
        }
        assert!(parse_ts_fast("2026-11-25T14:03:07.123Z").is_some());
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
        assert_eq!(human_size(2150), "2.1 KiB");
        assert_eq!(human_size(1_258_291), "1.2 MiB");
        assert_eq!(human_size(12), "12 B");
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

    #[test]
    fn ids_are_unique_ulids() {
        let a = new_message_id(at());
        let b = new_message_id(at());
        assert_eq!(a.len(), 26);
        assert_ne!(a, b);
        assert_eq!(a[..10], b[..10], "same millisecond, same time prefix");
        assert_eq!(new_session_id().len(), 12);
    }
}
