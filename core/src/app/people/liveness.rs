//! Liveness: heartbeats keep sessions alive (and tell a lost one's last
//! seen); sessions whose heartbeats stop are dropped, and come back if one
//! beats again.

use chrono::{DateTime, TimeDelta, Utc};

use super::{Departure, People, MAX_EARLY_HEARTBEATS, MAX_SESSIONS};
use crate::protocol::Status;

impl People {
    /// A heartbeat of `name`'s `session`, alive at `at`. Returns the rooms
    /// of someone it brought back (their session had expired), for a notice.
    pub fn heartbeat(&mut self, name: &str, session: &str, at: DateTime<Utc>) -> Option<Vec<String>> {
        let Some(person) = self.map.get_mut(name) else {
            if self.early_heartbeats.len() < MAX_EARLY_HEARTBEATS || self.early_heartbeats.contains_key(name) {
                self.early_heartbeats.insert(name.to_owned(), (session.to_owned(), at));
            }
            return None;
        };
        if let Some(s) = person.sessions.iter_mut().find(|s| s.id == session) {
            s.alive = s.alive.max(at);
        } else if let Some(i) = person.expired.iter().position(|s| s.id == session && at > s.alive) {
            let bytes_before = person.room_bytes();
            let mut revived = person.expired.remove(i);
            revived.alive = at;
            let was_offline = person.status == Status::Offline;
            if was_offline {
                self.offline.remove(&(person.since, name.to_owned()));
                person.since = at;
                person.departure = None;
            }
            person.sessions.push(revived);
            person.settle();
            self.room_bytes = self.room_bytes - bytes_before + person.room_bytes();
            return was_offline.then(|| person.notice_rooms());
        } else if person.status == Status::Offline
            && person.departure == Some(Departure::Lost)
            && person.ended_last.as_deref() == Some(session)
            && at > person.since
        {
            // The will was written at connect: the heartbeat knows better.
            self.offline.remove(&(person.since, name.to_owned()));
            person.since = at;
            self.offline.insert((at, name.to_owned()));
        }
        None
    }

    /// Ends the sessions whose heartbeats stopped (none for two and a half
    /// intervals); returns who went offline by it, with the rooms they were in.
    pub fn expire(&mut self, now: DateTime<Utc>) -> Vec<(String, Vec<String>)> {
        let mut gone = Vec::new();
        for person in self.map.values_mut() {
            let stale: Vec<(String, DateTime<Utc>)> = person
                .sessions
                .iter()
                .filter_map(|s| {
                    let refresh = TimeDelta::seconds(i64::from(s.refresh?));
                    (now - s.alive > refresh * 5 / 2).then(|| (s.id.clone(), s.alive))
                })
                .collect();
            if stale.is_empty() {
                continue;
            }
            let rooms = person.notice_rooms();
            let bytes_before = person.room_bytes();
            let mut last_alive = None;
            for (id, alive) in &stale {
                if let Some(i) = person.sessions.iter().position(|s| &s.id == id) {
                    let session = person.sessions.remove(i);
                    if person.expired.len() == MAX_SESSIONS {
                        person.expired.remove(0);
                    }
                    person.expired.push(session);
                }
                person.ended_last = Some(id.clone());
                last_alive = last_alive.max(Some(*alive));
            }
            person.settle();
            self.room_bytes = self.room_bytes - bytes_before + person.room_bytes();
            if person.status == Status::Offline {
                person.since = last_alive.unwrap_or(now);
                person.departure = Some(Departure::Expired);
                self.offline.insert((person.since, person.name.clone()));
                gone.push((person.name.clone(), rooms));
            }
        }
        gone
    }
}
