//! Everyone seen through presence, with the sessions that keep them online.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use crate::protocol::{PresenceIn, Status};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub status: Status,
    /// When the current status was set (for offline: last seen).
    pub since: DateTime<Utc>,
    /// Live sessions: the user is online while any is (two terminals, one name).
    sessions: Vec<String>,
}

/// Sessions remembered per person; older ones are dropped first.
const MAX_SESSIONS: usize = 8;

#[derive(Debug)]
pub struct People {
    map: BTreeMap<String, Person>,
    /// Offline people by when they were last seen, oldest first: the ones
    /// forgotten when the list is full, found without scanning everyone.
    offline: BTreeSet<(DateTime<Utc>, String)>,
    cap: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The shown status changed.
    Status(Status),
    Unchanged,
    /// Ignored: the list is full.
    Full,
}

impl People {
    pub fn new(cap: usize) -> Self {
        People {
            map: BTreeMap::new(),
            offline: BTreeSet::new(),
            cap,
        }
    }

    pub fn get(&self, name: &str) -> Option<&Person> {
        self.map.get(name)
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.map.keys().map(String::as_str)
    }

    pub fn apply(&mut self, name: &str, presence: &PresenceIn, now: DateTime<Utc>) -> Change {
        let since = presence.ts.unwrap_or(now);
        if !self.map.contains_key(name) && self.map.len() >= self.cap && !self.evict_one_offline() {
            return Change::Full;
        }
        let fresh = !self.map.contains_key(name);
        let person = self.map.entry(name.to_owned()).or_insert_with(|| Person {
            name: name.to_owned(),
            status: Status::Offline,
            since,
            sessions: Vec::new(),
        });
        let before = person.status;
        match (presence.status, presence.session.as_deref()) {
            (Status::Offline, Some(session)) => {
                let known = person.sessions.iter().position(|s| s == session);
                match known {
                    Some(i) => {
                        person.sessions.remove(i);
                    }
                    // A will from a session we never saw online, while another
                    // session is live: stale, it does not end the live one.
                    None if !person.sessions.is_empty() => return Change::Unchanged,
                    None => {}
                }
            }
            (Status::Offline, None) => person.sessions.clear(),
            (_, session) => {
                let session = session.unwrap_or("").to_owned();
                person.sessions.retain(|s| *s != session);
                if person.sessions.len() == MAX_SESSIONS {
                    person.sessions.remove(0);
                }
                person.sessions.push(session);
            }
        }
        let now_status = if person.sessions.is_empty() {
            Status::Offline
        } else if presence.status == Status::Offline {
            before
        } else {
            presence.status
        };
        if now_status != before || fresh {
            if before == Status::Offline && !fresh {
                self.offline.remove(&(person.since, person.name.clone()));
            }
            person.status = now_status;
            person.since = since;
            if now_status == Status::Offline {
                self.offline.insert((since, person.name.clone()));
            }
            Change::Status(now_status)
        } else {
            Change::Unchanged
        }
    }

    fn evict_one_offline(&mut self) -> bool {
        match self.offline.pop_first() {
            Some((_, name)) => self.map.remove(&name).is_some(),
            None => false,
        }
    }

    /// Online or away.
    pub fn online(&self) -> usize {
        self.map.len() - self.offline.len()
    }

    /// Online first, then away, then offline most recently seen first; by name within each.
    pub fn sorted(&self) -> Vec<&Person> {
        self.first(usize::MAX)
    }

    /// The first `n` of [`People::sorted`], without sorting everyone else:
    /// the panel shows a screenful of a list that may hold thousands.
    pub fn first(&self, n: usize) -> Vec<&Person> {
        let mut all: Vec<&Person> = self.map.values().collect();
        if n < all.len() {
            all.select_nth_unstable_by(n, |a, b| order(a, b));
            all.truncate(n);
        }
        all.sort_by(|a, b| order(a, b));
        all
    }
}

fn order(a: &Person, b: &Person) -> std::cmp::Ordering {
    let rank = |p: &Person| match p.status {
        Status::Online => 0,
        Status::Away => 1,
        Status::Offline => 2,
    };
    rank(a).cmp(&rank(b)).then_with(|| {
        if a.status == Status::Offline {
            b.since.cmp(&a.since).then_with(|| a.name.cmp(&b.name))
        } else {
            a.name.cmp(&b.name)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(status: Status, session: &str) -> PresenceIn {
        PresenceIn {
            status,
            ts: None,
            session: Some(session.into()),
        }
    }

    #[test]
    fn first_sighting_is_a_change_even_when_offline() {
        let mut people = People::new(10);
        let now = crate::app::testing::t0();
        assert_eq!(
            people.apply("bob", &p(Status::Offline, "s1"), now),
            Change::Status(Status::Offline)
        );
        assert_eq!(people.apply("bob", &p(Status::Offline, "s1"), now), Change::Unchanged);
        assert_eq!(
            people.apply("bob", &p(Status::Online, "s2"), now),
            Change::Status(Status::Online)
        );
    }

    #[test]
    fn online_while_any_session_is() {
        let mut people = People::new(10);
        let now = crate::app::testing::t0();
        people.apply("bob", &p(Status::Online, "a"), now);
        assert_eq!(people.apply("bob", &p(Status::Online, "b"), now), Change::Unchanged);
        assert_eq!(people.apply("bob", &p(Status::Offline, "a"), now), Change::Unchanged);
        assert_eq!(people.get("bob").unwrap().status, Status::Online);
        assert_eq!(
            people.apply("bob", &p(Status::Offline, "b"), now),
            Change::Status(Status::Offline)
        );
    }

    #[test]
    fn stale_will_of_an_unknown_session_does_not_end_a_live_one() {
        let mut people = People::new(10);
        let now = crate::app::testing::t0();
        people.apply("bob", &p(Status::Online, "new"), now);
        assert_eq!(people.apply("bob", &p(Status::Offline, "old"), now), Change::Unchanged);
        assert_eq!(people.get("bob").unwrap().status, Status::Online);
    }

    #[test]
    fn capped_list_evicts_offline_people_then_refuses() {
        let mut people = People::new(2);
        let now = crate::app::testing::t0();
        people.apply("a", &p(Status::Offline, "1"), now);
        people.apply("b", &p(Status::Online, "1"), now);
        assert!(matches!(
            people.apply("c", &p(Status::Online, "1"), now),
            Change::Status(_)
        ));
        assert!(people.get("a").is_none());
        assert_eq!(people.apply("d", &p(Status::Online, "1"), now), Change::Full);
        assert_eq!(people.len(), 2);
    }

    #[test]
    fn sorted_online_first() {
        let mut people = People::new(10);
        let now = crate::app::testing::t0();
        people.apply("zed", &p(Status::Online, "1"), now);
        people.apply("amy", &p(Status::Offline, "1"), now);
        people.apply("bob", &p(Status::Online, "1"), now);
        let names: Vec<_> = people.sorted().iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["bob", "zed", "amy"]);
        let first: Vec<_> = people.first(2).iter().map(|p| p.name.as_str()).collect();
        assert_eq!(first, ["bob", "zed"]);
        assert_eq!(people.online(), 2);
    }
}
