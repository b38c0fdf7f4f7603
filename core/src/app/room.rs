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
    /// Live, caught up after an absence, or from history.
    pub origin: Origin,
    /// Whether the sender is who the message says (signature, name).
    pub verdict: Verdict,
}

/// What was checked about a message's sender and how it travelled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    pub auth: crate::app::keyring::Auth,
    /// The sender's name looks like another's (that name), or breaks the
    /// name rules (why): it is never shown as that person.
    pub lookalike: Option<Lookalike>,
    /// It came end-to-end encrypted (a sealed direct message).
    pub sealed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookalike {
    /// Confusable with this name, seen first.
    Of(String),
    /// Not a valid name (invisible or blank-looking characters, mixed scripts…): why.
    Invalid(String),
}

impl Verdict {
    /// The warning shown with the message, if any: the signature's first.
    pub fn mark(&self) -> Option<Cow<'static, str>> {
        if let Some(mark) = self.auth.mark() {
            return Some(mark.into());
        }
        match &self.lookalike {
            Some(Lookalike::Of(name)) => Some(format!("⚠ looks like {}", crate::protocol::sanitize::name(name)).into()),
            Some(Lookalike::Invalid(_)) => Some("⚠ invalid name".into()),
            None => None,
        }
    }

    /// The warning as the local history keeps it (`forged`, `new-key`,
    /// `untrusted`, `looks-like:NAME`, `invalid-name:WHY`).
    pub fn stored_mark(&self) -> Option<String> {
        if self.auth.is_suspect() {
            return Some(self.auth.as_str().to_owned());
        }
        match &self.lookalike {
            Some(Lookalike::Of(name)) => Some(format!("looks-like:{name}")),
            Some(Lookalike::Invalid(why)) => Some(format!("invalid-name:{why}")),
            None => None,
        }
    }

    /// A verdict read back from the local history.
    pub fn from_stored(mark: Option<&str>, sealed: bool) -> Verdict {
        use crate::app::keyring::Auth;
        let mut verdict = Verdict {
            sealed,
            ..Verdict::default()
        };
        match mark {
            None => {}
            Some("forged") => verdict.auth = Auth::Forged,
            Some("new-key") => verdict.auth = Auth::NewKey,
            Some("untrusted") => verdict.auth = Auth::Untrusted,
            Some("unchecked") => verdict.auth = Auth::Unchecked,
            Some(other) => {
                verdict.lookalike = Some(match other.split_once(':') {
                    Some(("looks-like", name)) => Lookalike::Of(name.to_owned()),
                    Some((_, why)) => Lookalike::Invalid(why.to_owned()),
                    None => Lookalike::Invalid(other.to_owned()),
                })
            }
        }
        verdict
    }

    /// A message that may not be what it claims: no mention, no bell, no
    /// colour of the person it names.
    pub fn is_suspect(&self) -> bool {
        self.auth.is_suspect() || self.lookalike.is_some()
    }
}

/// How a message reached the room.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Origin {
    /// As it was sent.
    #[default]
    Live,
    /// Sent while we were away, kept for us by the broker's session.
    CaughtUp,
    /// From the local history or a history keeper: said before we came.
    History,
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
    Notice {
        time: DateTime<Utc>,
        text: String,
    },
    /// A rule across the pane: where history ends, where catching up begins.
    Marker {
        time: DateTime<Utc>,
        text: String,
    },
}

impl Entry {
    pub fn time(&self) -> DateTime<Utc> {
        match self {
            Entry::Message(m) => m.time,
            Entry::Notice { time, .. } | Entry::Marker { time, .. } => *time,
        }
    }

    fn message(&self) -> Option<&Message> {
        match self {
            Entry::Message(m) => Some(m),
            _ => None,
        }
    }
}

/// Where the messages caught up after an absence are, in a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CatchUp {
    /// The index of its marker in `entries`.
    mark: usize,
    count: usize,
}

/// Entries that pages read back from disk may add beyond the scrollback's cap.
pub const MAX_READ_BACK: usize = 20_000;

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
    /// Unread messages that call us (mentions and direct messages).
    pub mentions: usize,
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
    /// The index of the "history above" marker, if history was shown.
    history_mark: Option<usize>,
    /// The block of messages caught up since the latest connection.
    catch_up: Option<CatchUp>,
    /// Older history was asked for and has not come yet.
    pub reading_back: bool,
    /// The local history has nothing older than what is shown.
    pub history_exhausted: bool,
    /// `/forget` was asked at this time: nothing sent before it is stored
    /// again (an acknowledgement that comes after it, say).
    pub forgotten_at: Option<DateTime<Utc>>,
    /// Line mode said that messages caught up since this connection follow.
    pub told_catch_up: bool,
    /// A direct conversation whose peer has no trusted key: the user was
    /// told its messages go unencrypted (and, in the UI, confirmed).
    pub clear_confirmed: bool,
    /// The room's topic, as the latest `topic/<room>` said (none: not set).
    pub topic: Option<super::room_topic::RoomTopic>,
    /// Where the user stopped reading (see `read_mark`).
    pub(super) read_mark: Option<super::read_mark::ReadMark>,
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
            mentions: 0,
            scroll_back: 0,
            new_below: 0,
            last_activity: 0,
            pushed: 0,
            drawn_upto: 0,
            dropped_undrawn: 0,
            history_mark: None,
            catch_up: None,
            reading_back: false,
            history_exhausted: false,
            forgotten_at: None,
            told_catch_up: false,
            clear_confirmed: false,
            topic: None,
            read_mark: None,
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
        self.make_room();
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
        self.history_mark = None;
        self.catch_up = None;
        self.read_mark = None;
        self.to_live_end();
    }

    /// At the cap, the oldest entry goes: one out per one in, so what
    /// reading back added beyond the cap goes gradually, never all at once
    /// under the reader's eyes. True when one went.
    fn make_room(&mut self) -> bool {
        if self.entries.len() < self.cap {
            return false;
        }
        let dropped = self.pushed - self.entries.len() as u64;
        if dropped >= self.drawn_upto && matches!(self.entries.front(), Some(Entry::Message(_))) {
            self.dropped_undrawn += 1;
        }
        self.pop_front();
        true
    }

    fn pop_front(&mut self) {
        self.entries.pop_front();
        self.read_mark_popped();
        self.history_mark = self.history_mark.and_then(|m| m.checked_sub(1));
        self.catch_up = self.catch_up.and_then(|c| {
            Some(CatchUp {
                mark: c.mark.checked_sub(1)?,
                ..c
            })
        });
    }

    /// Puts `entry` at `index`, keeping the view and the markers where they were.
    fn insert_at(&mut self, index: usize, entry: Entry) {
        let below_view = index > self.entries.len().saturating_sub(self.scroll_back);
        self.entries.insert(index, entry);
        self.read_mark_inserted(index);
        self.pushed += 1;
        if self.scroll_back > 0 && below_view {
            self.scroll_back += 1;
        }
        if let Some(mark) = &mut self.history_mark {
            if *mark >= index {
                *mark += 1;
            }
        }
        if let Some(c) = &mut self.catch_up {
            if c.mark >= index {
                c.mark += 1;
            }
        }
    }

    /// Where a message of `time` goes among `floor..end`: after everything
    /// not newer than it.
    fn position_by_time(&self, floor: usize, end: usize, time: DateTime<Utc>) -> usize {
        let mut at = end;
        while at > floor && self.entries[at - 1].time() > time {
            at -= 1;
        }
        at
    }

    /// Messages said before we came (from disk or a keeper), oldest first:
    /// each goes above the "history" marker in the order of its time.
    pub fn add_history(&mut self, messages: Vec<Message>) {
        // Full (of pages read back): not even a marker with nothing above it.
        if self.cap == 0 || messages.is_empty() || self.entries.len() >= self.cap + MAX_READ_BACK {
            return;
        }
        let mark = match self.history_mark {
            Some(mark) => mark,
            None => {
                let time = messages.last().map_or(DateTime::<Utc>::UNIX_EPOCH, |m| m.time);
                let text = "history above".to_owned();
                self.insert_at(0, Entry::Marker { time, text });
                self.history_mark = Some(0);
                0
            }
        };
        for (mark, message) in (mark..).zip(messages) {
            if self.entries.len() >= self.cap + MAX_READ_BACK {
                break;
            }
            let at = self.position_by_time(0, mark, message.time);
            self.insert_at(at, Entry::Message(message));
        }
    }

    /// A page of older history, oldest first, above everything shown.
    /// False when the room holds all it may already.
    pub fn add_older(&mut self, messages: Vec<Message>) -> bool {
        for message in messages.into_iter().rev() {
            if self.entries.len() >= self.cap + MAX_READ_BACK {
                return false;
            }
            self.insert_at(0, Entry::Message(message));
        }
        true
    }

    /// The oldest message shown (where reading back goes on from).
    pub fn oldest_message(&self) -> Option<&Message> {
        self.entries.iter().find_map(Entry::message)
    }

    /// The newest message's time, if any (what a keeper need not send again).
    pub fn newest_time(&self) -> Option<DateTime<Utc>> {
        self.entries.iter().rev().find_map(Entry::message).map(|m| m.time)
    }

    /// A new connection: what it catches up goes under a marker of its own.
    pub fn connected(&mut self) {
        self.catch_up = None;
        self.told_catch_up = false;
    }

    /// A message sent while we were away: under the "N messages while you
    /// were away" marker, in the order they were sent.
    pub fn add_caught_up(&mut self, message: Message) {
        if self.cap == 0 {
            return;
        }
        let time = message.time;
        let catch_up = match self.catch_up {
            Some(c) => c,
            None => {
                self.push(Entry::Marker {
                    time,
                    text: String::new(),
                });
                let c = CatchUp {
                    mark: self.entries.len() - 1,
                    count: 0,
                };
                self.catch_up = Some(c);
                c
            }
        };
        let mut at = self.position_by_time(catch_up.mark + 1, self.entries.len(), time);
        if at == self.entries.len() {
            self.push(Entry::Message(message));
        } else {
            // Capped as a push is: times sent ever further back must not
            // grow the room without end (`at` is past the marker, so >= 1).
            if self.make_room() {
                at -= 1;
            }
            self.insert_at(at, Entry::Message(message));
        }
        if let Some(c) = &mut self.catch_up {
            c.count += 1;
            let count = c.count;
            if let Some(Entry::Marker {
                text,
                time: marker_time,
            }) = self.entries.get_mut(c.mark)
            {
                *text = format!(
                    "{count} message{} while you were away",
                    if count == 1 { "" } else { "s" }
                );
                *marker_time = (*marker_time).min(time);
            }
        }
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
            origin: Origin::Live,
            verdict: Default::default(),
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
