//! A room's topic in line mode: `HH:MM:SS #general * bob set the topic: …`,
//! or `{"event":"topic",…}`.

use std::io::{self, Write};

use chrono::Utc;

use super::format::{verdict_json, Clock};
use crate::app::room_topic::RoomTopic;
use crate::protocol::json::write_str;
use crate::protocol::sanitize;
use crate::protocol::timestamp::format_ts;

/// `said` is the notice the state made, sanitised already.
pub(super) fn text(out: &mut impl Write, clock: &mut Clock, room: &str, said: &str) -> io::Result<()> {
    out.write_all(&clock.hms(Utc::now()))?;
    writeln!(out, " #{} * {said}", sanitize::name(room))
}

/// `text` empty: cleared; `user` null: not said (a plain payload).
pub(super) fn json(out: &mut impl Write, room: &str, topic: &RoomTopic, retained: bool) -> io::Result<()> {
    out.write_all(b"{\"event\":\"topic\",\"room\":")?;
    write_str(out, room)?;
    out.write_all(b",\"text\":")?;
    write_str(out, &topic.text)?;
    out.write_all(b",\"user\":")?;
    match &topic.user {
        Some(user) => write_str(out, user)?,
        None => out.write_all(b"null")?,
    }
    if let Some(ts) = topic.ts {
        write!(out, ",\"ts\":\"{}\"", format_ts(ts))?;
    }
    if topic.cut > 0 {
        write!(out, ",\"cut\":{}", topic.cut)?;
    }
    write!(out, ",\"retained\":{retained}")?;
    verdict_json(out, &topic.verdict)?;
    out.write_all(b"}\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::keyring::Auth;
    use crate::app::room::Verdict;

    #[test]
    fn a_topic_as_a_line_and_as_json() {
        let topic = RoomTopic {
            text: "Release \"Friday\"".into(),
            cut: 0,
            user: None,
            ts: None,
            verdict: Verdict {
                auth: Auth::Forged,
                ..Verdict::default()
            },
        };
        let mut out = Vec::new();
        json(&mut out, "general", &topic, true).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(value["event"], "topic");
        assert_eq!(value["text"], "Release \"Friday\"");
        assert_eq!(value["user"], serde_json::Value::Null);
        assert_eq!(
            (value["retained"].as_bool(), value["auth"].as_str()),
            (Some(true), Some("forged"))
        );
        let mut out = Vec::new();
        text(&mut out, &mut Clock::new(), "gen\u{1b}[2Jeral", "? set the topic: x").unwrap();
        let line = String::from_utf8(out).unwrap();
        assert!(line.ends_with("eral * ? set the topic: x\n"), "{line}");
        assert!(!line.contains('\u{1b}'), "{line}");
    }
}
