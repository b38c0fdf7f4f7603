//! One room's scrollback: capped, deduplicated by message id, and scrollable.

use std::borrow::Cow;
use std::collections::{HashSet, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use siphasher::sip::SipHasher13;

use crate::protocol::display::human_size;
use crate::protocol::{Form, Kind};

/// Where one of our own messages stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Typed, not yet acknowledged by the broker (maybe waiting in the outbox).
    Pending,
    /// The broker acknowledged it.
    Sent,
    Failed(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: Option<String>,
    /// `None`: the sender is unknown (`?`).
    pub user: Option<String>,
    pub text: String,
    /// Bytes cut off for display.
    pub cut: usize,
    pub kind: Kind,
    pub form: Form,
    /// When to show it: the sender's time, or arrival when the sender's clock is off.
    pub time: DateTime<Utc>,
    pub skewed: bool,
    pub mention: bool,
    pub own: Option<Delivery>,
    /// Our own tag for messages we sent (ties acks to the entry).
    pub tag: Option<u64>,
}

impl Message {
    /// The text as shown: a placeholder for binary, a marker for what was cut.
    /// Borrowed in the common case: drawn every frame, it should not copy.
    pub fn shown_text(&self) -> Cow<'_, str> {
        let text: Cow<'_, str> = match self.form {
            Form::Binary { len } => format!("<binary, {}>", human_size(len)).into(),
            _ => self.text.as_str().into(),
        };
        if self.cut == 0 {
            return text;
        }
        format!("{text} … {} more", human_size(self.cut)).into()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Message(Message),
    Notice { time: DateTime<Utc>, text: String },
}

impl Entry {
    pub fn time(&self) -> DateTime<Utc> {
        match self {
            Entry::Message(m) => m.time,
            Entry::Notice { time, .. } => *time,
        }
    }
}

/// The set's keys are already keyed SipHash values: hashing them again
/// would only cost time.
#[derive(Debug, Default)]
struct AlreadyHashed(u64);

impl Hasher for AlreadyHashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used; fold anything else in all the same.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Remembers recent message ids in a fixed amount of memory.
#[derive(Debug, Default)]
pub struct SeenIds {
    set: HashSet<u64, BuildHasherDefault<AlreadyHashed>>,
    order: VecDeque<u64>,
    cap: usize,
    /// Keyed with secret random keys, so nobody can pick ids that collide on purpose.
    keys: SipHasher13,
}

impl SeenIds {
    /// `keys`: secret and random (`protocol::ids::Entropy::hash_keys`).
    pub fn new(cap: usize, keys: (u64, u64)) -> Self {
        // Grown on demand: a conversation opened by one stray message must
        // not cost a full table (anyone can open one by writing to `dm/<you>`).
        SeenIds {
            set: HashSet::with_hasher(BuildHasherDefault::default()),
            order: VecDeque::new(),
            cap: cap.max(1),
            keys: SipHasher13::new_with_keys(keys.0, keys.1),
        }
    }

    fn key(&self, id: &str) -> u64 {
        let mut hasher = self.keys;
        hasher.write(id.as_bytes());
        hasher.finish()
    }

    /// True when `id` is new (and now remembered).
    pub fn insert(&mut self, id: &str) -> bool {
        let key = self.key(id);
        if !self.set.insert(key) {
            return false;
        }
        if self.order.len() == self.cap {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        self.order.push_back(key);
        true
    }
}

#[derive(Debug)]
pub struct Room {
    pub name: String,
    /// The name again, shared: line mode labels every printed message with
    /// it, and cloning an `Arc` costs no allocation.
    shared_name: Arc<str>,
    pub entries: VecDeque<Entry>,
    pub cap: usize,
    pub seen: SeenIds,
    pub unread: usize,
    pub mentioned: bool,
    /// Entries hidden below the view (0: at the live end).
    pub scroll_back: usize,
    /// Messages that arrived while scrolled up.
    pub new_below: usize,
    /// The state's activity count when this room last had a message.
    pub last_activity: u64,
    /// Entries pushed since the room opened.
    pushed: u64,
    /// `pushed` when the screen was last drawn: later entries were never on it.
    drawn_upto: u64,
    /// Messages pushed after the last frame that fell out of the scrollback.
    dropped_undrawn: usize,
}

/// Ids remembered per room: enough to catch QoS 1 redeliveries.
const SEEN_IDS_PER_ROOM: usize = 4096;

impl Room {
    /// `seen_keys`: for the [`SeenIds`] hash.
    pub fn new(name: &str, cap: usize, seen_keys: (u64, u64)) -> Self {
        Room {
            name: name.to_owned(),
            shared_name: Arc::from(name),
            entries: VecDeque::new(),
            cap,
            seen: SeenIds::new(SEEN_IDS_PER_ROOM, seen_keys),
            unread: 0,
            mentioned: false,
            scroll_back: 0,
            new_below: 0,
            last_activity: 0,
            pushed: 0,
            drawn_upto: 0,
            dropped_undrawn: 0,
        }
    }

    /// A frame was drawn: everything so far had its chance to be seen.
    pub fn drawn(&mut self) {
        self.drawn_upto = self.pushed;
        self.dropped_undrawn = 0;
    }

    /// Messages that fell out of the scrollback since the last frame; resets the count.
    pub fn take_dropped_undrawn(&mut self) -> usize {
        std::mem::take(&mut self.dropped_undrawn)
    }

    /// The room's name as an `Arc` (for [`crate::app::Record`]).
    pub fn shared_name(&self) -> Arc<str> {
        self.shared_name.clone()
    }

    pub fn push(&mut self, entry: Entry) {
        if self.cap == 0 {
            return;
        }
        if self.entries.len() == self.cap {
            let dropped = self.pushed - self.entries.len() as u64;
            if dropped >= self.drawn_upto && matches!(self.entries.front(), Some(Entry::Message(_))) {
                self.dropped_undrawn += 1;
            }
            self.entries.pop_front();
        }
        self.pushed += 1;
        let is_message = matches!(entry, Entry::Message(_));
        self.entries.push_back(entry);
        if self.scroll_back > 0 {
            self.scroll_back = (self.scroll_back + 1).min(self.entries.len());
            if is_message {
                self.new_below += 1;
            }
        }
    }

    pub fn scroll_up(&mut self, by: usize) {
        self.scroll_back = (self.scroll_back + by).min(self.entries.len().saturating_sub(1));
    }

    pub fn scroll_down(&mut self, by: usize) {
        self.scroll_back = self.scroll_back.saturating_sub(by);
        if self.scroll_back == 0 {
            self.new_below = 0;
        }
    }

    pub fn to_live_end(&mut self) {
        self.scroll_back = 0;
        self.new_below = 0;
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.to_live_end();
    }

    pub fn own_message_mut(&mut self, tag: u64) -> Option<&mut Message> {
        self.entries.iter_mut().rev().find_map(|e| match e {
            Entry::Message(m) if m.tag == Some(tag) => Some(m),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(n: usize) -> Entry {
        Entry::Notice {
            time: DateTime::<Utc>::UNIX_EPOCH,
            text: n.to_string(),
        }
    }

    #[test]
    fn scrollback_is_capped() {
        let mut room = Room::new("r", 3, (1, 2));
        for n in 0..5 {
            room.push(notice(n));
        }
        assert_eq!(room.entries.len(), 3);
        assert_eq!(room.entries[0], notice(2));
    }

    #[test]
    fn seen_ids_forget_the_oldest_at_the_cap() {
        let mut seen = SeenIds::new(2, (1, 2));
        assert!(seen.insert("a"));
        assert!(!seen.insert("a"));
        assert!(seen.insert("b"));
        assert!(seen.insert("c"));
        assert!(seen.insert("a"), "a was forgotten");
    }

    #[test]
    fn entries_dropped_before_being_drawn_are_counted() {
        let mut room = Room::new("r", 3, (1, 2));
        for n in 0..3 {
            room.push(notice(n));
        }
        room.drawn();
        for n in 0..5 {
            room.push(Entry::Message(message(n)));
        }
        // 3 notices (drawn before) went first, then 2 messages never drawn.
        assert_eq!(room.take_dropped_undrawn(), 2);
        room.drawn();
        room.push(Entry::Message(message(9)));
        assert_eq!(room.take_dropped_undrawn(), 0, "the one dropped now was drawn");
    }

    fn message(n: u64) -> Message {
        Message {
            id: None,
            user: Some("bob".into()),
            text: n.to_string(),
            cut: 0,
            kind: Kind::Text,
            form: Form::Proper,
            time: DateTime::<Utc>::UNIX_EPOCH,
            skewed: false,
            mention: false,
            own: None,
            tag: None,
        }
    }

    #[test]
    fn view_stays_put_while_scrolled_up() {
        let mut room = Room::new("r", 100, (1, 2));
        for n in 0..10 {
            room.push(notice(n));
        }
        room.scroll_up(4);
        room.push(notice(10));
        assert_eq!(room.scroll_back, 5);
        room.scroll_down(10);
        assert_eq!((room.scroll_back, room.new_below), (0, 0));
    }
}
