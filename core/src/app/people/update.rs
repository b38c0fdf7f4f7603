//! How one presence changes one person: sessions ended or updated in
//! order, and the changes that makes visible.

use chrono::{DateTime, Utc};

use super::{Change, Departure, Person, Session, View, MAX_SESSIONS};
use crate::protocol::{PresenceIn, Reason, Status};

/// An offline from a session: ends it, unless it is a replay of one already ended.
pub(super) fn offline_of_session(
    person: &mut Person,
    id: &str,
    p: &PresenceIn,
    ts: Option<DateTime<Utc>>,
    early: Option<(String, DateTime<Utc>)>,
    now: DateTime<Utc>,
) -> bool {
    if person.has_ended(id) {
        return false;
    }
    let live = person.sessions.iter().find(|s| s.id == id).cloned();
    if let (Some(s), Some(seq)) = (&live, p.seq) {
        if s.seq.is_some_and(|known| seq <= known) {
            return false;
        }
    }
    person.end_session(id);
    person.last_offline_ts = person.last_offline_ts.max(ts);
    if !person.sessions.is_empty() {
        // Another terminal of theirs is still here.
        return true;
    }
    let departure = match p.reason {
        Some(Reason::Quit) => Departure::Quit(p.message.clone()),
        Some(Reason::Lost) => Departure::Lost,
        None => Departure::Unsaid,
    };
    // Last seen: a will is stamped at connect, so the session's latest sign of life is better.
    let mut seen = ts.unwrap_or(now);
    if p.reason != Some(Reason::Quit) {
        if let Some(s) = &live {
            seen = seen.max(s.alive);
        }
        if let Some((_, at)) = early.filter(|(session, _)| session == id) {
            seen = seen.max(at);
        }
    }
    person.departure = Some(departure);
    person.ended_last = Some(id.to_owned());
    person.since = seen;
    true
}

/// An online or away from a session: ordered by its counter; a session not
/// seen before that is older than the person's last offline is a replay.
pub(super) fn online_of_session(
    person: &mut Person,
    id: &str,
    p: &PresenceIn,
    ts: Option<DateTime<Utc>>,
    early: Option<(String, DateTime<Utc>)>,
    now: DateTime<Utc>,
) -> bool {
    if person.has_ended(id) {
        return false;
    }
    let alive = match early {
        Some((session, at)) if session == id => at.max(ts.unwrap_or(now)),
        _ => ts.unwrap_or(now),
    };
    match person.sessions.iter_mut().find(|s| s.id == id) {
        Some(s) => {
            if let (Some(known), Some(seq)) = (s.seq, p.seq) {
                if seq <= known {
                    return false;
                }
            }
            s.seq = p.seq.or(s.seq);
            s.status = p.status;
            s.away = p.message.clone();
            s.rooms = p.rooms.clone();
            s.refresh = p.refresh;
            s.alive = s.alive.max(alive);
        }
        None => {
            if let (Some(t), Some(off)) = (ts, person.last_offline_ts) {
                if t < off && !id.is_empty() {
                    return false;
                }
            }
            if person.sessions.len() == MAX_SESSIONS {
                person.sessions.remove(0);
            }
            person.sessions.push(Session {
                id: id.to_owned(),
                seq: p.seq,
                status: p.status,
                away: p.message.clone(),
                rooms: p.rooms.clone(),
                refresh: p.refresh,
                alive,
            });
            if person.status == Status::Offline {
                person.since = ts.unwrap_or(now);
                person.departure = None;
            }
        }
    }
    true
}

/// The changes between two views of one person.
pub(super) fn diff(before: Option<&View>, after: &View, person: &Person) -> Vec<Change> {
    let rooms_of = |v: &View| v.rooms.iter().flatten().cloned().collect::<Vec<_>>();
    let Some(before) = before else {
        return vec![match after.status {
            Status::Offline => Change::Known,
            _ => Change::Came {
                rooms: person.notice_rooms(),
            },
        }];
    };
    let was_here = before.status != Status::Offline;
    let is_here = after.status != Status::Offline;
    let mut changes = Vec::new();
    match (was_here, is_here) {
        (false, true) => changes.push(Change::Came {
            rooms: person.notice_rooms(),
        }),
        (true, false) => changes.push(Change::Left {
            departure: person.departure.clone().unwrap_or(Departure::Unsaid),
            rooms: match &before.rooms {
                Some(_) => rooms_of(before),
                None => person.spoke_in.iter().cloned().collect(),
            },
        }),
        (true, true) => {
            if let (Some(old), Some(new)) = (&before.rooms, &after.rooms) {
                changes.extend(new.difference(old).cloned().map(Change::Joined));
                changes.extend(old.difference(new).cloned().map(Change::Parted));
            }
            match (before.status, after.status) {
                (Status::Online, Status::Away) => changes.push(Change::Away(after.away.clone())),
                (Status::Away, Status::Online) => changes.push(Change::Back),
                (Status::Away, Status::Away) if before.away != after.away => {
                    changes.push(Change::Away(after.away.clone()))
                }
                _ => {}
            }
        }
        (false, false) => {}
    }
    changes
}
