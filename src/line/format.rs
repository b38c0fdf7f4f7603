//! One output line per event: `HH:MM:SS #room <user> text`, or JSON.

use std::io::{self, Write};

use chrono::{DateTime, Local, Offset, Utc};

use crate::app::room::{Lookalike, Message, Origin, Verdict};
use crate::app::Kept;
use crate::app::{is_direct, Record};
use crate::protocol::json::write_str;
use crate::protocol::sanitize::{self, Newlines};
use crate::protocol::timestamp::{format_ts, write_ts};
use crate::protocol::{Form, Kind};

/// Local time of day without asking the time zone database for every line.
pub struct Clock {
    offset_secs: i64,
    checked: Option<i64>,
}

impl Clock {
    pub fn new() -> Self {
        Clock {
            offset_secs: 0,
            checked: None,
        }
    }

    fn offset(&mut self, at: DateTime<Utc>) -> i64 {
        let secs = at.timestamp();
        // Re-read at most once a minute: catches DST changes within a minute.
        if self.checked.is_none_or(|checked| secs.abs_diff(checked) >= 60) {
            self.offset_secs = Local
                .offset_from_utc_datetime(&at.naive_utc())
                .fix()
                .local_minus_utc()
                .into();
            self.checked = Some(secs);
        }
        self.offset_secs
    }

    pub fn hms(&mut self, at: DateTime<Utc>) -> [u8; 8] {
        let local = (at.timestamp() + self.offset(at)).rem_euclid(86_400);
        let (h, m, s) = (local / 3600, local / 60 % 60, local % 60);
        let d = |v: i64| b'0' + v as u8;
        [
            d(h / 10),
            d(h % 10),
            b':',
            d(m / 10),
            d(m % 10),
            b':',
            d(s / 10),
            d(s % 10),
        ]
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::new()
    }
}

use chrono::TimeZone;

pub struct Formatter {
    json: bool,
    clock: Clock,
}

fn room_label(room: &str) -> String {
    if is_direct(room) {
        room.to_owned()
    } else {
        format!("#{room}")
    }
}

fn user_label(m: &Message) -> std::borrow::Cow<'_, str> {
    match &m.user {
        Some(user) => sanitize::name(user),
        None => "?".into(),
    }
}

impl Formatter {
    pub fn new(json: bool) -> Self {
        Formatter {
            json,
            clock: Clock::new(),
        }
    }

    pub fn write(&mut self, out: &mut impl Write, record: &Record) -> io::Result<()> {
        match (record, self.json) {
            (Record::Message { room, message }, false) => self.message_line(out, room, message),
            (Record::Message { room, message }, true) => message_json(out, room, message),
            (
                Record::Presence {
                    user, event, retained, ..
                },
                false,
            ) => super::presence::text(out, &mut self.clock, user, event, *retained),
            (
                Record::Presence {
                    user,
                    event,
                    ts,
                    retained,
                },
                true,
            ) => super::presence::json(out, user, event, *ts, *retained),
            (Record::Connected { server, version }, true) => super::delivery::connected_json(out, server, *version),
            (Record::NotSent { room, id, text, reason }, true) => {
                super::delivery::not_sent_json(out, room, id, text, reason)
            }
            // Text line mode says these on stderr, as notices; the state
            // makes them for `--json` only.
            (Record::Connected { .. } | Record::NotSent { .. }, false) => Ok(()),
            (Record::Found(hit), json) => found(out, hit, json),
            (Record::KeyChanged { user, old, new }, true) => {
                out.write_all(b"{\"event\":\"key_changed\",\"user\":")?;
                write_str(out, user)?;
                out.write_all(b",\"old\":")?;
                write_str(out, old)?;
                out.write_all(b",\"new\":")?;
                write_str(out, new)?;
                out.write_all(b"}\n")
            }
            // The warning is on stderr already.
            (Record::KeyChanged { .. }, false) => Ok(()),
            (Record::Topic { room, said, .. }, false) => super::topic::text(out, &mut self.clock, room, said),
            (
                Record::Topic {
                    room, topic, retained, ..
                },
                true,
            ) => super::topic::json(out, room, topic, *retained),
        }
    }

    fn message_line(&mut self, out: &mut impl Write, room: &str, m: &Message) -> io::Result<()> {
        out.write_all(&self.clock.hms(m.time))?;
        let room = sanitize::name(&room_label(room)).into_owned();
        let user = user_label(m);
        match m.kind {
            Kind::Action => write!(out, " {room} * {user} ")?,
            Kind::Text => write!(out, " {room} <{user}> ")?,
        }
        // Right after the name: a line that may not be from that person
        // never reads as `<bob> text`.
        if let Some(mark) = m.verdict.mark() {
            write!(out, "{mark} ")?;
        }
        if let Form::Malformed(why) = &m.form {
            write!(out, "[malformed: {}] ", sanitize::name(why))?;
        }
        if m.skewed {
            out.write_all(b"[clock off] ")?;
        }
        // Caught-up and history lines read as live ones (scripts match on
        // them); a notice on stderr says where they begin, `--json` marks each.
        let text = m.shown_text();
        out.write_all(sanitize::text(&text, Newlines::Mark).as_bytes())?;
        out.write_all(b"\n")
    }
}

/// Why output lines go missing: the reader took them slower than they came.
pub const GAP_REASON: &str = "output was not being read";

/// The line that stands where `missed` lines were dropped because stdout
/// was not being read.
pub fn gap_line(json: bool, missed: usize, at: DateTime<Utc>) -> Vec<u8> {
    if json {
        format!(
            "{{\"event\":\"gap\",\"missed\":{missed},\"ts\":\"{}\",\"reason\":\"{GAP_REASON}\"}}\n",
            format_ts(at)
        )
        .into_bytes()
    } else {
        let hms = Clock::new().hms(at);
        let mut line = hms.to_vec();
        line.extend_from_slice(format!(" -!- {missed} messages not shown: {GAP_REASON}\n").as_bytes());
        line
    }
}

fn message_json(out: &mut impl Write, room: &str, m: &Message) -> io::Result<()> {
    out.write_all(b"{\"event\":\"message\",\"room\":")?;
    write_str(out, room)?;
    out.write_all(b",\"user\":")?;
    write_str(out, m.user.as_deref().unwrap_or("?"))?;
    out.write_all(b",\"text\":")?;
    match m.form {
        Form::Binary { .. } => write_str(out, &m.shown_text())?,
        Form::Proper | Form::PlainText | Form::Malformed(_) => write_str(out, &m.text)?,
    }
    out.write_all(b",\"ts\":\"")?;
    write_ts(out, m.time)?;
    out.write_all(b"\",\"id\":")?;
    match &m.id {
        Some(id) => write_str(out, id)?,
        None => out.write_all(b"null")?,
    }
    out.write_all(match m.kind {
        Kind::Text => b",\"kind\":\"text\"",
        Kind::Action => b",\"kind\":\"action\"",
    })?;
    match &m.form {
        Form::Proper => {}
        Form::PlainText => out.write_all(b",\"form\":\"plain\"")?,
        Form::Malformed(why) => {
            out.write_all(b",\"form\":\"malformed\",\"problem\":")?;
            write_str(out, why)?;
        }
        Form::Binary { len } => write!(out, ",\"form\":\"binary\",\"size\":{len}")?,
    }
    if m.cut > 0 {
        write!(out, ",\"cut\":{}", m.cut)?;
    }
    if m.skewed {
        out.write_all(b",\"clock_off\":true")?;
    }
    out.write_all(match m.origin {
        Origin::Live => b"",
        Origin::CaughtUp => b",\"origin\":\"caught-up\"",
        Origin::History => b",\"origin\":\"history\"",
    })?;
    verdict_json(out, &m.verdict)?;
    out.write_all(b"}\n")
}

/// Who sent it, as far as can be told: `"auth"` always; `"warning"` (the
/// mark shown), `"lookalike"`, `"invalid_name"` and `"sealed"` when they apply.
pub(super) fn verdict_json(out: &mut impl Write, verdict: &Verdict) -> io::Result<()> {
    write!(out, ",\"auth\":\"{}\"", verdict.auth.as_str())?;
    if let Some(mark) = verdict.mark() {
        out.write_all(b",\"warning\":")?;
        write_str(out, &mark)?;
    }
    match &verdict.lookalike {
        Some(Lookalike::Of(name)) => {
            out.write_all(b",\"lookalike\":")?;
            write_str(out, name)?;
        }
        Some(Lookalike::Invalid(why)) => {
            out.write_all(b",\"invalid_name\":")?;
            write_str(out, why)?;
        }
        None => {}
    }
    if verdict.sealed {
        out.write_all(b",\"sealed\":true")?;
    }
    Ok(())
}

/// A search hit: with its date, as it may be from any day.
fn found(out: &mut impl Write, hit: &Kept, json: bool) -> io::Result<()> {
    let verdict = Verdict::from_stored(hit.mark.as_deref(), hit.sealed);
    if json {
        out.write_all(b"{\"event\":\"found\",\"room\":")?;
        write_str(out, &hit.room)?;
        out.write_all(b",\"user\":")?;
        write_str(out, hit.user.as_deref().unwrap_or("?"))?;
        out.write_all(b",\"text\":")?;
        write_str(out, &hit.text)?;
        out.write_all(b",\"ts\":\"")?;
        write_ts(out, hit.time)?;
        out.write_all(b"\",\"id\":")?;
        write_str(out, &hit.id)?;
        out.write_all(if hit.action {
            b",\"kind\":\"action\""
        } else {
            b",\"kind\":\"text\""
        })?;
        if let Some(mark) = verdict.mark() {
            out.write_all(b",\"warning\":")?;
            write_str(out, &mark)?;
        }
        if hit.sealed {
            out.write_all(b",\"sealed\":true")?;
        }
        out.write_all(b"}\n")
    } else {
        let when = hit.time.with_timezone(&Local).format("%Y-%m-%d %H:%M:%S");
        let room = sanitize::name(&room_label(&hit.room)).into_owned();
        let user = hit.user.as_deref().map_or("?".into(), sanitize::name);
        let text = sanitize::text(&hit.text, Newlines::Mark);
        let mark = verdict.mark().map(|m| format!("{m} ")).unwrap_or_default();
        if hit.action {
            writeln!(out, "{when} {room} * {user} {mark}{text}")
        } else {
            writeln!(out, "{when} {room} <{user}> {mark}{text}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(user: Option<&str>, text: &str, form: Form) -> Message {
        Message {
            id: Some("01ID".into()),
            user: user.map(str::to_owned),
            text: text.into(),
            cut: 0,
            kind: Kind::Text,
            form,
            time: DateTime::parse_from_rfc3339("2026-11-25T14:03:07Z")
                .unwrap()
                .with_timezone(&Utc),
            skewed: false,
            mention: false,
            own: None,
            tag: None,
            origin: crate::app::room::Origin::Live,
            verdict: Default::default(),
        }
    }

    fn line(json: bool, record: Record) -> String {
        let mut out = Vec::new();
        Formatter::new(json).write(&mut out, &record).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn plain_line_has_time_room_user_text() {
        let record = Record::Message {
            room: "general".into(),
            message: message(Some("bob"), "hi\nthere", Form::Proper),
        };
        let shown = line(false, record);
        assert_eq!(&shown[2..3], ":");
        assert_eq!(&shown[8..], " #general <bob> hi↵there\n");
    }

    #[test]
    fn hostile_text_and_names_are_neutralised_in_both_forms() {
        let record = Record::Message {
            room: "general".into(),
            message: message(
                Some("ev\u{1b}[31mil"),
                "\u{1b}]52;c;aGk=\u{7}\u{9b}2J\u{202e}",
                Form::Proper,
            ),
        };
        for json in [false, true] {
            let shown = line(json, record.clone());
            assert!(
                !shown.chars().any(|c| (c.is_control() && c != '\n') || c == '\u{202e}'),
                "{shown:?}"
            );
        }
        assert!(line(false, record).contains("<ev␛[31mil> ␛]52;c;aGk=␇\\u{9b}2J\\u{202e}"));
    }

    #[test]
    fn json_line_parses_with_the_promised_fields() {
        let record = Record::Message {
            room: "general".into(),
            message: message(None, "raw", Form::PlainText),
        };
        let v: serde_json::Value = serde_json::from_str(&line(true, record)).unwrap();
        assert_eq!(v["event"], "message");
        assert_eq!(v["room"], "general");
        assert_eq!(v["user"], "?");
        assert_eq!(v["text"], "raw");
        assert_eq!(v["ts"], "2026-11-25T14:03:07.000Z");
        assert_eq!(v["id"], "01ID");
        assert_eq!(v["form"], "plain");
    }

    #[test]
    fn gap_markers_say_how_many_lines_are_missing() {
        let at = DateTime::parse_from_rfc3339("2026-11-25T14:03:07Z")
            .unwrap()
            .with_timezone(&Utc);
        let text = String::from_utf8(gap_line(false, 312, at)).unwrap();
        assert!(
            text.ends_with(" -!- 312 messages not shown: output was not being read\n"),
            "{text}"
        );
        let v: serde_json::Value = serde_json::from_slice(&gap_line(true, 312, at)).unwrap();
        assert_eq!(v["event"], "gap");
        assert_eq!(v["missed"], 312);
        assert_eq!(v["ts"], "2026-11-25T14:03:07.000Z");
    }

    #[test]
    fn binary_and_cut_text_get_markers() {
        let mut m = message(None, "", Form::Binary { len: 2150 });
        assert_eq!(m.shown_text(), "<binary, 2.1 KiB>");
        m = message(Some("a"), "abc", Form::Proper);
        m.cut = 1_258_291;
        assert_eq!(m.shown_text(), "abc … 1.2 MiB more");
    }
}
