//! `/who`: who is in a room (or everyone), one line per person, and "last
//! seen" in words people use ("5 min ago", "yesterday 14:02").

use chrono::{DateTime, Datelike, FixedOffset, Utc};

use super::layout::fitted;
use super::people::{Departure, Person};
use super::{is_direct, Effect, State};
use crate::protocol::{sanitize, validate_room, Status};

/// People listed by one `/who` at most; the side panel shows everyone.
const MAX_LISTED: usize = 50;

impl State {
    pub(super) fn who(&mut self, scope: Option<&str>, fx: &mut Vec<Effect>) {
        if !self.presence_known() {
            self.notice("who is here is unknown while disconnected", fx);
            return;
        }
        let (title, people): (String, Vec<&Person>) = match scope {
            Some("*") | Some("all") => ("everyone seen".into(), self.people.sorted()),
            Some(room) => {
                let room = room.trim_start_matches('#');
                if let Err(err) = validate_room(room) {
                    self.notice(format!("{err}"), fx);
                    return;
                }
                (format!("#{}", sanitize::name(room)), self.people.in_room(room))
            }
            None => match self.active_room() {
                Some(room) if !is_direct(&room.name) => (
                    format!("#{}", sanitize::name(&room.name)),
                    self.people.in_room(&room.name),
                ),
                _ => ("everyone seen".into(), self.people.sorted()),
            },
        };
        let here = people.iter().filter(|p| p.status != Status::Offline).count();
        let away = people.iter().filter(|p| p.status == Status::Away).count();
        let mut lines = vec![format!("{title}: {here} here ({away} away)")];
        if people.is_empty() {
            lines[0] = format!("{title}: nobody here (/who * lists everyone seen)");
        }
        // One person per line: an entry too wide for the pane loses its
        // details (then the end of its name) rather than wrapping.
        let columns = self.notice_columns();
        for person in people.iter().take(MAX_LISTED) {
            let full = entry(person, self.now, self.zone);
            let shown = match columns {
                Some(columns) => {
                    let forms = [full, short_entry(person, self.now, self.zone)];
                    fitted(&forms, columns.saturating_sub(2))
                }
                None => full,
            };
            lines.push(format!("  {shown}"));
        }
        if people.len() > MAX_LISTED {
            lines.push(format!("  … and {} more", people.len() - MAX_LISTED));
        }
        for line in lines {
            self.notice(line, fx);
        }
    }
}

/// The mark for a status: ● online, ◐ away, ○ offline.
pub fn mark(status: Status) -> &'static str {
    match status {
        Status::Online => "●",
        Status::Away => "◐",
        Status::Offline => "○",
    }
}

/// One person in words: `● bob`, `◐ carol, away: lunch`, `○ dave, left 5 min ago (bye)`.
pub fn entry(person: &Person, now: DateTime<Utc>, zone: FixedOffset) -> String {
    let name = sanitize::name(&person.name);
    let mut text = format!("{} {name}", mark(person.status));
    match person.status {
        Status::Online => {}
        Status::Away => {
            text.push_str(", away");
            if let Some(m) = &person.away {
                text.push_str(&format!(": {}", sanitize::name(m)));
            }
        }
        Status::Offline => {
            let when = last_seen(person.since, now, zone);
            let how = match &person.departure {
                Some(Departure::Quit(Some(m))) => format!("left {when} ({})", sanitize::name(m)),
                Some(Departure::Quit(None)) => format!("left {when}"),
                Some(Departure::Lost) => format!("lost the connection, last seen {when}"),
                Some(Departure::Expired) => format!("stopped answering, last seen {when}"),
                _ => format!("offline, last seen {when}"),
            };
            text.push_str(&format!(", {how}"));
        }
    }
    if person.status != Status::Offline && !person.rooms_known() {
        text.push_str(" (rooms unknown)");
    }
    text
}

/// One person in a few words, for a narrow pane: `● bob`, `◐ carol, away`, `○ dave, 5 min ago`.
pub fn short_entry(person: &Person, now: DateTime<Utc>, zone: FixedOffset) -> String {
    let name = sanitize::name(&person.name);
    let mark = mark(person.status);
    match person.status {
        Status::Online => format!("{mark} {name}"),
        Status::Away => format!("{mark} {name}, away"),
        Status::Offline => format!("{mark} {name}, {}", last_seen(person.since, now, zone)),
    }
}

/// "just now", "5 min ago", "at 14:02" (today), "yesterday 14:02", "Mon 14:02", "2026-11-20".
pub fn last_seen(then: DateTime<Utc>, now: DateTime<Utc>, zone: FixedOffset) -> String {
    let ago = now - then;
    if ago < chrono::TimeDelta::minutes(1) {
        return "just now".into();
    }
    if ago < chrono::TimeDelta::hours(1) {
        return format!("{} min ago", ago.num_minutes());
    }
    let (then, now) = (then.with_timezone(&zone), now.with_timezone(&zone));
    let days = now.date_naive().num_days_from_ce() - then.date_naive().num_days_from_ce();
    let hm = then.format("%H:%M");
    match days {
        0 => format!("at {hm}"),
        1 => format!("yesterday {hm}"),
        2..=6 => format!("{} {hm}", then.format("%a")),
        _ => then.format("%Y-%m-%d").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    #[test]
    fn last_seen_in_words() {
        let now = crate::app::testing::t0(); // 2026-11-25 (a Wednesday) 14:00 UTC
        let utc = FixedOffset::east_opt(0).unwrap();
        let cases = [
            (TimeDelta::seconds(20), "just now"),
            (TimeDelta::minutes(5), "5 min ago"),
            (TimeDelta::minutes(59), "59 min ago"),
            (TimeDelta::minutes(118), "at 12:02"),
            (TimeDelta::hours(24) - TimeDelta::minutes(2), "yesterday 14:02"),
            (TimeDelta::days(3), "Sun 14:00"),
            (TimeDelta::days(10), "2026-11-15"),
        ];
        for (ago, want) in cases {
            assert_eq!(last_seen(now - ago, now, utc), want, "{ago}");
        }
        // The day turns at local midnight: 23:30 UTC is the next day in Warsaw.
        let warsaw = FixedOffset::east_opt(3600).unwrap();
        let late = now + TimeDelta::hours(9) + TimeDelta::minutes(30);
        assert_eq!(last_seen(now, late, warsaw), "yesterday 15:00");
    }
}
