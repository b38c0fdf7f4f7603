//! Everyone seen through presence: their live sessions (one per terminal),
//! the rooms they are in, and how they last left. Updates are ordered per
//! session, so repeats and replays (QoS 1 redelivery, a bridge loop) change
//! nothing; what did change comes back as [`Change`]s for the notices.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use chrono::{DateTime, Utc};

use crate::protocol::{PresenceIn, Status};
use update::{diff, offline_of_session, online_of_session};

mod liveness;
mod update;

/// How someone's last session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Departure {
    /// They quit, with their quit message if they gave one.
    Quit(Option<String>),
    /// The broker published their will: the connection was lost.
    Lost,
    /// Their heartbeats stopped (they died while the broker could not tell).
    Expired,
    /// An `offline` that does not say why (a client without the extension).
    Unsaid,
}

/// One connection of a person (two terminals, one name: two sessions).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Session {
    id: String,
    seq: Option<u64>,
    status: Status,
    away: Option<String>,
    rooms: Option<Vec<String>>,
    refresh: Option<u32>,
    /// The latest moment this session is known to have been alive.
    alive: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub status: Status,
    /// When the current status was set; for offline people: last seen.
    pub since: DateTime<Utc>,
    /// The away message, while away.
    pub away: Option<String>,
    /// How the last session ended, while offline.
    pub departure: Option<Departure>,
    /// The rooms the person is in; `None`: their client does not say.
    pub rooms: Option<BTreeSet<String>>,
    /// Rooms a person whose client does not say was seen speaking in.
    spoke_in: BTreeSet<String>,
    sessions: Vec<Session>,
    /// Sessions that ended (newest last): anything later from them is a replay.
    ended: VecDeque<String>,
    /// The session whose end made the person offline (its heartbeat may still tell last seen).
    ended_last: Option<String>,
    /// Sessions dropped because their heartbeats stopped: one that beats
    /// again (a suspended laptop whose connection survived) comes back.
    expired: Vec<Session>,
    /// The newest `ts` this person's offline presence carried.
    last_offline_ts: Option<DateTime<Utc>>,
}

impl Person {
    fn new(name: &str, since: DateTime<Utc>) -> Person {
        Person {
            name: name.to_owned(),
            status: Status::Offline,
            since,
            away: None,
            departure: None,
            rooms: None,
            spoke_in: BTreeSet::new(),
            sessions: Vec::new(),
            ended: VecDeque::new(),
            ended_last: None,
            expired: Vec::new(),
            last_offline_ts: None,
        }
    }

    /// Whether the person is online (or away) in this room, as far as known.
    pub fn is_in(&self, room: &str) -> bool {
        self.status != Status::Offline
            && match &self.rooms {
                Some(rooms) => rooms.contains(room),
                None => self.spoke_in.contains(room),
            }
    }

    /// The rooms notices about this person go to: the ones they said, or
    /// (client without room lists) the ones they were seen speaking in.
    pub fn notice_rooms(&self) -> Vec<String> {
        match &self.rooms {
            Some(rooms) => rooms.iter().cloned().collect(),
            None => self.spoke_in.iter().cloned().collect(),
        }
    }

    /// Whether the client says which rooms it is in.
    pub fn rooms_known(&self) -> bool {
        self.rooms.is_some()
    }

    /// Recomputes status, away message and rooms from the live sessions.
    fn settle(&mut self) {
        let best = self
            .sessions
            .iter()
            .min_by_key(|s| if s.status == Status::Online { 0 } else { 1 });
        self.status = best.map_or(Status::Offline, |s| s.status);
        self.away = best.filter(|s| s.status == Status::Away).and_then(|s| s.away.clone());
        let mut rooms: Option<BTreeSet<String>> = None;
        for session in &self.sessions {
            if let Some(list) = &session.rooms {
                rooms.get_or_insert_with(BTreeSet::new).extend(list.iter().cloned());
            }
        }
        self.rooms = rooms;
    }

    /// Whether this session already ended (anything from it now is a replay).
    fn has_ended(&self, id: &str) -> bool {
        self.ended.iter().any(|e| e == id)
    }

    fn end_session(&mut self, id: &str) {
        self.sessions.retain(|s| s.id != id);
        if !self.has_ended(id) {
            if self.ended.len() == MAX_ENDED {
                self.ended.pop_front();
            }
            self.ended.push_back(id.to_owned());
        }
    }

    /// Bytes of room names this person holds (their sessions' lists and the union).
    fn room_bytes(&self) -> usize {
        let list = |rooms: &Option<Vec<String>>| rooms.iter().flatten().map(String::len).sum::<usize>();
        self.sessions
            .iter()
            .chain(&self.expired)
            .map(|s| list(&s.rooms))
            .sum::<usize>()
            + self.rooms.iter().flatten().map(String::len).sum::<usize>()
    }

    fn view(&self) -> View {
        View {
            status: self.status,
            away: self.away.clone(),
            rooms: self.rooms.clone(),
        }
    }
}

/// What notices compare: the shown state before and after an update.
#[derive(Debug, Clone, PartialEq, Eq)]
struct View {
    status: Status,
    away: Option<String>,
    rooms: Option<BTreeSet<String>>,
}

/// Live sessions remembered per person; older ones are dropped first.
const MAX_SESSIONS: usize = 8;
/// Ended sessions remembered per person (replays of older ones are judged by time).
const MAX_ENDED: usize = 16;
/// Bytes of room names everyone's presences may hold together (a hostile
/// `presence/+` flood with long room lists stops here); past it, new room
/// lists are not kept and those people show as "rooms unknown".
pub const MAX_ROOM_BYTES: usize = 4 * 1024 * 1024;
/// Heartbeats remembered for people not seen yet (they may come first).
const MAX_EARLY_HEARTBEATS: usize = 1_000;

/// What an update changed, for notices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Online (or away) after being offline or unknown, in these rooms.
    Came {
        rooms: Vec<String>,
    },
    Away(Option<String>),
    Back,
    /// Went offline, and how; `rooms`: where they were.
    Left {
        departure: Departure,
        rooms: Vec<String>,
    },
    Joined(String),
    Parted(String),
    /// Seen for the first time, offline.
    Known,
}

/// The result of applying a presence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    Changes(Vec<Change>),
    /// Old, repeated or replayed: nothing changed.
    Ignored,
    /// Not listed: the list is full.
    Full,
}

#[derive(Debug)]
pub struct People {
    map: BTreeMap<String, Person>,
    /// Offline people by when they were last seen, oldest first: the ones
    /// forgotten when the list is full, found without scanning everyone.
    offline: BTreeSet<(DateTime<Utc>, String)>,
    early_heartbeats: BTreeMap<String, (String, DateTime<Utc>)>,
    cap: usize,
    /// Bytes of room names held (see [`MAX_ROOM_BYTES`]).
    room_bytes: usize,
}

impl People {
    pub fn new(cap: usize) -> Self {
        People {
            map: BTreeMap::new(),
            offline: BTreeSet::new(),
            early_heartbeats: BTreeMap::new(),
            cap,
            room_bytes: 0,
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

    /// Forgets everyone: after a reconnect the list is rebuilt from what the broker says now.
    pub fn clear(&mut self) {
        self.map.clear();
        self.offline.clear();
        self.early_heartbeats.clear();
        self.room_bytes = 0;
    }

    /// Bytes of room names held now.
    pub fn room_bytes(&self) -> usize {
        self.room_bytes
    }

    /// Applies a presence of `name` arriving at `now`.
    pub fn apply(&mut self, name: &str, p: &PresenceIn, now: DateTime<Utc>) -> Applied {
        // A sender's clock may run ahead: nothing is believed to be later than now.
        let ts = p.ts.map(|t| t.min(now));
        if !self.map.contains_key(name) && self.map.len() >= self.cap && !self.evict_one_offline() {
            return Applied::Full;
        }
        let fresh = !self.map.contains_key(name);
        let early = self.early_heartbeats.remove(name);
        let person = self
            .map
            .entry(name.to_owned())
            .or_insert_with(|| Person::new(name, ts.unwrap_or(now)));
        let before = (!fresh).then(|| person.view());
        let before_since = person.since;
        let bytes_before = person.room_bytes();
        let accepted = match (p.status, p.session.as_deref()) {
            (Status::Offline, Some(id)) => offline_of_session(person, id, p, ts, early, now),
            (Status::Offline, None) => {
                person.sessions.clear();
                person.departure = Some(Departure::Unsaid);
                person.since = ts.unwrap_or(now);
                true
            }
            (_, id) => online_of_session(person, id.unwrap_or(""), p, ts, early, now),
        };
        if !accepted {
            if fresh {
                self.map.remove(name);
            }
            return Applied::Ignored;
        }
        person.settle();
        if self.room_bytes - bytes_before + person.room_bytes() > MAX_ROOM_BYTES {
            // Over budget: this session's rooms are not kept.
            let id = p.session.as_deref().unwrap_or("");
            for s in person.sessions.iter_mut().filter(|s| s.id == id) {
                s.rooms = None;
            }
            person.settle();
        }
        self.room_bytes = self.room_bytes - bytes_before + person.room_bytes();
        let after = person.view();
        let changes = diff(before.as_ref(), &after, person);
        let since = person.since;
        if before.as_ref().is_some_and(|b| b.status == Status::Offline) {
            self.offline.remove(&(before_since, name.to_owned()));
        }
        if after.status == Status::Offline {
            self.offline.insert((since, name.to_owned()));
        }
        if changes.is_empty() {
            Applied::Ignored
        } else {
            Applied::Changes(changes)
        }
    }

    /// Someone whose client does not list rooms spoke in `room`: notices go there.
    pub fn spoke(&mut self, name: &str, room: &str) {
        if let Some(person) = self.map.get_mut(name) {
            if person.rooms.is_none() && person.spoke_in.len() < 64 {
                person.spoke_in.insert(room.to_owned());
            }
        }
    }

    fn evict_one_offline(&mut self) -> bool {
        match self.offline.pop_first() {
            Some((_, name)) => match self.map.remove(&name) {
                Some(person) => {
                    self.room_bytes -= person.room_bytes();
                    true
                }
                None => false,
            },
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
        first_of(self.map.values().collect(), n)
    }

    /// How many people are online (or away) in `room`.
    pub fn count_in_room(&self, room: &str) -> usize {
        self.map.values().filter(|p| p.is_in(room)).count()
    }

    /// The first `n` people not in `room`, in the order of [`People::sorted`].
    pub fn first_outside(&self, room: &str, n: usize) -> Vec<&Person> {
        first_of(self.map.values().filter(|p| !p.is_in(room)).collect(), n)
    }

    /// The people online (or away) in `room`, sorted.
    pub fn in_room(&self, room: &str) -> Vec<&Person> {
        first_of(self.map.values().filter(|p| p.is_in(room)).collect(), usize::MAX)
    }
}

fn first_of(mut all: Vec<&Person>, n: usize) -> Vec<&Person> {
    if n < all.len() {
        all.select_nth_unstable_by(n, |a, b| order(a, b));
        all.truncate(n);
    }
    all.sort_by(|a, b| order(a, b));
    all
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
mod tests;
