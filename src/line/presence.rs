//! Presence in line mode: `HH:MM:SS * bob left (gotta go)`, or a JSON object
//! with the same facts as fields.

use std::io::{self, Write};

use chrono::{DateTime, Utc};

use super::format::Clock;
use crate::app::people::Departure;
use crate::app::{describe, PresenceEvent};
use crate::protocol::json::write_str;
use crate::protocol::sanitize;
use crate::protocol::timestamp::format_ts;

/// A text line; nothing for the offline people found on arrival (a list
/// of everyone who ever connected is no news).
pub(super) fn text(
    out: &mut impl Write,
    clock: &mut Clock,
    user: &str,
    event: &PresenceEvent,
    retained: bool,
) -> io::Result<()> {
    if retained && matches!(event, PresenceEvent::Offline(_)) {
        return Ok(());
    }
    out.write_all(&clock.hms(Utc::now()))?;
    writeln!(out, " * {}", describe(&sanitize::name(user), event))
}

pub(super) fn json(
    out: &mut impl Write,
    user: &str,
    event: &PresenceEvent,
    ts: DateTime<Utc>,
    retained: bool,
) -> io::Result<()> {
    out.write_all(b"{\"event\":\"presence\",\"user\":")?;
    write_str(out, user)?;
    let (status, reason, message, room) = match event {
        PresenceEvent::Online | PresenceEvent::Back => ("online", None, None, None),
        PresenceEvent::Away(m) => ("away", None, m.as_deref(), None),
        PresenceEvent::Offline(d) => match d {
            Departure::Quit(m) => ("offline", Some("quit"), m.as_deref(), None),
            Departure::Lost => ("offline", Some("lost"), None, None),
            Departure::Expired => ("offline", Some("expired"), None, None),
            Departure::Unsaid => ("offline", None, None, None),
        },
        PresenceEvent::Joined(r) => ("online", None, None, Some(("joined", r))),
        PresenceEvent::Parted(r) => ("online", None, None, Some(("parted", r))),
    };
    write!(out, ",\"status\":\"{status}\"")?;
    if let Some(reason) = reason {
        write!(out, ",\"reason\":\"{reason}\"")?;
    }
    if let Some(message) = message {
        out.write_all(b",\"message\":")?;
        write_str(out, message)?;
    }
    if let Some((what, room)) = room {
        write!(out, ",\"{what}\":")?;
        write_str(out, room)?;
    }
    if matches!(event, PresenceEvent::Back) {
        out.write_all(b",\"back\":true")?;
    }
    writeln!(out, ",\"ts\":\"{}\",\"retained\":{retained}}}", format_ts(ts))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(event: PresenceEvent, retained: bool) -> (String, serde_json::Value) {
        let mut text_out = Vec::new();
        text(&mut text_out, &mut Clock::new(), "bob", &event, retained).unwrap();
        let mut json_out = Vec::new();
        json(&mut json_out, "bob", &event, Utc::now(), retained).unwrap();
        (
            String::from_utf8(text_out).unwrap(),
            serde_json::from_slice(&json_out).unwrap(),
        )
    }

    #[test]
    fn quit_and_lost_read_differently_and_carry_fields() {
        let (text, v) = both(PresenceEvent::Offline(Departure::Quit(Some("gotta go".into()))), false);
        assert!(text.ends_with(" * bob left (gotta go)\n"), "{text}");
        assert_eq!(
            (&v["status"], &v["reason"], &v["message"]),
            (&"offline".into(), &"quit".into(), &"gotta go".into())
        );
        let (text, v) = both(PresenceEvent::Offline(Departure::Lost), false);
        assert!(text.ends_with(" * bob lost the connection\n"), "{text}");
        assert_eq!((&v["reason"], &v["retained"]), (&"lost".into(), &false.into()));
        let (_, v) = both(PresenceEvent::Offline(Departure::Expired), false);
        assert_eq!(v["reason"], "expired");
    }

    #[test]
    fn offline_people_found_on_arrival_are_json_only() {
        let (text, v) = both(PresenceEvent::Offline(Departure::Quit(None)), true);
        assert_eq!(text, "");
        assert_eq!((&v["status"], &v["retained"]), (&"offline".into(), &true.into()));
        let (text, _) = both(PresenceEvent::Online, true);
        assert!(text.ends_with(" * bob is online\n"));
    }

    #[test]
    fn away_back_join_part() {
        let (text, v) = both(PresenceEvent::Away(Some("lunch".into())), false);
        assert!(text.ends_with(" * bob is away (lunch)\n"));
        assert_eq!((&v["status"], &v["message"]), (&"away".into(), &"lunch".into()));
        let (text, v) = both(PresenceEvent::Back, false);
        assert!(text.ends_with(" * bob is back\n"));
        assert_eq!(v["back"], true);
        let (text, v) = both(PresenceEvent::Joined("rust".into()), false);
        assert!(text.ends_with(" * bob joined #rust\n"));
        assert_eq!(v["joined"], "rust");
        let (text, v) = both(PresenceEvent::Parted("rust".into()), false);
        assert!(text.ends_with(" * bob left #rust\n"));
        assert_eq!(v["parted"], "rust");
    }

    #[test]
    fn hostile_away_messages_are_neutralised() {
        let (text, v) = both(PresenceEvent::Away(Some("\u{1b}[2Jgone\u{202e}".into())), false);
        assert!(
            !text.chars().any(|c| (c.is_control() && c != '\n') || c == '\u{202e}'),
            "{text:?}"
        );
        assert_eq!(v["message"], "\u{1b}[2Jgone\u{202e}");
    }
}
