//! The client as a state machine: `update(event) -> effects`.
//!
//! Keys, typed lines, MQTT arrivals, acks and connection changes go in; what
//! to publish, subscribe, print or whether to exit comes out as data. No I/O
//! happens here, so every behaviour is testable without a terminal or network.

mod activity;
mod arrival;
pub mod command;
mod connection;
mod direct_echo;
mod events;
mod held;
pub mod help;
pub mod history;
pub mod hosting;
pub mod input;
pub mod key;
pub mod keymap;
pub mod keyring;
pub mod keys;
pub mod layout;
pub mod lookalikes;
pub mod notify;
mod outage;
pub mod outbox;
pub mod people;
mod presence;
mod quit;
pub mod read_mark;
pub mod room;
pub mod room_topic;
mod run_command;
mod secret;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_calls;
#[cfg(test)]
mod tests_delivery;
#[cfg(test)]
mod tests_help;
#[cfg(test)]
mod tests_history;
#[cfg(test)]
mod tests_history_keeper;
#[cfg(test)]
mod tests_keys;
#[cfg(test)]
mod tests_mqtt5;
#[cfg(test)]
mod tests_navigation;
#[cfg(test)]
mod tests_outage;
#[cfg(test)]
mod tests_part;
#[cfg(test)]
mod tests_presence;
#[cfg(test)]
mod tests_quit;
#[cfg(test)]
mod tests_resumed;
#[cfg(test)]
mod tests_topic;
#[cfg(test)]
mod tests_trust;
#[cfg(test)]
mod tests_who;
mod trust_commands;
pub mod who;

use chrono::{DateTime, Utc};

use crate::protocol::display;
use crate::protocol::ids::Entropy;
use crate::protocol::payload::{self, Kind, MAX_OUTGOING_TEXT_BYTES};
use crate::protocol::Topics;
use crate::settings::{Mode, Settings};
use command::CommandError;
pub use events::{Conn, Effect, Event, LinkInfo, NetEvent, Record};
pub use history::{HistoryEvent, Kept, Overlay};
use outbox::Outbox;
pub use outbox::Publish;
use people::People;
pub use presence::{describe, Away, PresenceEvent, OFFLINE_EXPIRY_SECS, REFRESH_SECS};
use quit::Quitting;
pub use quit::{Draining, EXIT_FAILED, EXIT_OK, EXIT_UNSENT};
use room::{Delivery, Entry, Message, Room};

/// Largest packet we send; the broker echo of a maximal message must fit too.
pub const MAX_OUTGOING_PACKET: usize = 2 * 1024 * 1024;
/// Largest packet we accept; larger ones are refused by the network layer.
pub const MAX_INCOMING_PACKET: usize = 16 * 1024 * 1024;
/// People remembered at most (a hostile `presence/+` flood stops here).
pub const MAX_PEOPLE: usize = 10_000;
/// Messages waiting for the broker at most.
pub const OUTBOX_CAP: usize = 1_000;
/// Messages handed to the network layer at once (below its request queue size).
pub const OUTBOX_WINDOW: usize = 200;
/// Connections lost with the same message oldest in flight before it is
/// given up as one the broker will not take.
pub const MAX_SEND_DROPS: u32 = 5;
/// Direct conversations open at most: anyone may write to `dm/<you>` under
/// any name, so each new sender beyond this closes the least recently active.
pub const MAX_DIRECT: usize = 100;
/// Below this many columns the side panel hides itself.
pub const PANEL_MIN_WIDTH: u16 = 60;

pub struct State {
    pub settings: Settings,
    pub topics: Topics,
    pub conn: Conn,
    pub session: Option<String>,
    /// The broker and MQTT version of the latest connection.
    pub link: Option<LinkInfo>,
    /// Messages that will never be delivered (refused, given up): the exit status says so.
    undelivered: usize,
    pub rooms: Vec<Room>,
    pub active: usize,
    pub people: People,
    /// Our own presence and its timers.
    pub own: presence::Own,
    pub outbox: Outbox,
    pub now: DateTime<Utc>,
    /// The local time zone's offset, for times in words (set by the front end).
    pub zone: chrono::FixedOffset,
    pub input: input::InputLine,
    pub show_help: bool,
    /// How far the help is scrolled down, in lines (clamped where it is drawn).
    pub help_scroll: usize,
    /// The help was opened in this run: the status bar stops pointing at it.
    pub help_seen: bool,
    /// Search results or a hit in context, over the message pane.
    pub overlay: Option<Overlay>,
    /// Keeper requests waiting for answers.
    asks: Vec<history::Ask>,
    /// Messages sent before this time and delivered now were kept for us by
    /// the broker's session while we were away (set when a session resumes).
    caught_up_before: Option<DateTime<Utc>>,
    /// The user's choice for the side panel; `None`: automatic by width.
    pub show_panel: Option<bool>,
    pub size: (u16, u16),
    /// The latest notice given while no room was open (shown in the empty pane).
    pub roomless_notice: Option<String>,
    connected_once: bool,
    /// A host pressed a quitting key once and was warned.
    quit_confirmed: bool,
    /// The "people list full" notice was given (once is enough).
    people_full_noticed: bool,
    /// The "too many direct conversations" notice was given.
    direct_full_noticed: bool,
    /// Bumped by every message; rooms remember it to tell the least recently active.
    activity: u64,
    /// The terminal is not taking what the UI draws.
    output_stalled: bool,
    quitting: Option<Quitting>,
    next_tag: u64,
    /// Random bits for message ids and id-hash keys, from the caller's seed.
    pub(super) entropy: Entropy,
    /// Whose key is whose (trust on first use).
    pub keyring: keyring::KeyRing,
    /// Names seen, to flag those that look like another's.
    pub lookalikes: lookalikes::Lookalikes,
    /// Our own keys: what we send is signed with them (none in most tests).
    secret: Option<secret::OwnKeys>,
    /// How many signatures may still be checked now (a flood is not checked whole).
    check_budget: secret::CheckBudget,
    /// Direct messages waiting for the keys of others to arrive.
    held: held::Held,
    /// When the link last went down, until it is back (one notice per outage).
    down_since: Option<DateTime<Utc>>,
}

impl State {
    /// `seed`: random in the program, any constant in tests (see `protocol::ids`).
    pub fn new(settings: Settings, now: DateTime<Utc>, seed: u64) -> State {
        let cap = match settings.mode {
            Mode::Tui => settings.scrollback,
            Mode::Line { .. } => 0,
        };
        let mut entropy = Entropy::from_seed(seed);
        let rooms = settings
            .rooms
            .iter()
            .map(|r| Room::new(r, cap, entropy.hash_keys()))
            .collect();
        State {
            topics: Topics::new(&settings.topic_prefix),
            conn: Conn::Connecting,
            session: None,
            link: None,
            undelivered: 0,
            rooms,
            active: 0,
            people: People::new(MAX_PEOPLE),
            own: presence::Own::default(),
            outbox: Outbox::new(OUTBOX_CAP, OUTBOX_WINDOW),
            now,
            zone: chrono::FixedOffset::east_opt(0).expect("UTC"),
            input: input::InputLine::default(),
            show_help: false,
            help_scroll: 0,
            help_seen: false,
            overlay: None,
            asks: Vec::new(),
            caught_up_before: None,
            show_panel: None,
            size: (80, 24),
            roomless_notice: None,
            connected_once: false,
            quit_confirmed: false,
            people_full_noticed: false,
            direct_full_noticed: false,
            activity: 0,
            output_stalled: false,
            quitting: None,
            next_tag: 1,
            entropy,
            keyring: keyring::KeyRing::default(),
            lookalikes: {
                let mut names = lookalikes::Lookalikes::default();
                names.see(&settings.username);
                names
            },
            secret: None,
            check_budget: secret::CheckBudget::default(),
            held: held::Held::default(),
            down_since: None,
            settings,
        }
    }

    /// Whether the side panel shows in a body this wide: the user's
    /// choice (F2), else only when there is room for it.
    pub fn panel_visible(&self, width: u16) -> bool {
        self.show_panel.unwrap_or(width >= PANEL_MIN_WIDTH)
    }

    pub fn me(&self) -> &str {
        &self.settings.username
    }

    fn line_mode(&self) -> bool {
        matches!(self.settings.mode, Mode::Line { .. })
    }

    pub fn active_room(&self) -> Option<&Room> {
        self.rooms.get(self.active)
    }

    fn tag(&mut self) -> u64 {
        self.next_tag += 1;
        self.next_tag
    }

    pub fn update(&mut self, event: Event, now: DateTime<Utc>) -> Vec<Effect> {
        let mut fx = Vec::new();
        self.update_into(event, now, &mut fx);
        fx
    }

    /// [`State::update`] that appends the effects to `fx`, so a front end can
    /// reuse one buffer instead of allocating a vector per event.
    pub fn update_into(&mut self, event: Event, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
        self.now = now;
        match event {
            Event::Key(key) => {
                self.touched_input(fx);
                keys::handle(self, key, fx)
            }
            Event::Paste(text) => {
                self.touched_input(fx);
                self.paste(&text, fx)
            }
            Event::Scroll(lines) => keys::scroll(self, lines, fx),
            Event::Resize { width, height } => self.size = (width, height),
            Event::Line(line) => {
                self.touched_input(fx);
                self.submit(line.trim_end_matches('\r'), fx);
            }
            Event::Net(net) => self.on_net(net, fx),
            Event::Tick => {}
            Event::Wake => self.wake(fx),
            Event::Quit => self.quit(None, fx),
            Event::Interrupt => self.interrupt(fx),
            Event::QuitTimeout => self.quit_timeout(fx),
            Event::OutputStalled(stalled) => self.output_stalled(stalled),
            Event::Drawn => {
                if !self.output_stalled {
                    self.rooms.iter_mut().for_each(Room::drawn);
                }
            }
            Event::HandoffFailed(tag) => self.outbox.requeue(tag),
            Event::Started => self.started(fx),
            Event::Notice(text) => self.notice(text, fx),
            Event::History(event) => self.on_history(event, fx),
            Event::Click { column, row } => self.clicked(column, row),
        }
        self.save_keys_if_changed(fx);
        self.tell_unchecked(fx);
    }

    fn paste(&mut self, text: &str, fx: &mut Vec<Effect>) {
        let total = self.input.value().len() + text.len();
        if total > MAX_OUTGOING_TEXT_BYTES {
            let text = format!(
                "paste too long ({}; a message holds at most {}): nothing inserted",
                display::human_size(total),
                display::human_size(MAX_OUTGOING_TEXT_BYTES)
            );
            self.notice(text, fx);
            return;
        }
        self.input.paste(text);
    }

    /// A notice: stderr in line mode, a dimmed line in the active room otherwise.
    /// A notice in one room (line mode: on stderr).
    fn notice_in(&mut self, index: usize, text: String) {
        if let Some(room) = self.rooms.get_mut(index) {
            room.push(Entry::Notice { time: self.now, text });
        }
    }

    fn notice(&mut self, text: impl Into<String>, fx: &mut Vec<Effect>) {
        let text = text.into();
        if self.line_mode() {
            fx.push(Effect::Report(text));
        } else if let Some(room) = self.rooms.get_mut(self.active) {
            room.push(Entry::Notice { time: self.now, text });
        } else {
            self.roomless_notice = Some(text);
        }
    }

    /// True while typed lines can be taken: line mode stops reading its
    /// input while the outbox is full (or the client is leaving).
    pub fn takes_input(&self) -> bool {
        self.outbox.room() > self.held.len() && !self.is_quitting()
    }

    /// How many more lines line mode may read now: as many as the outbox
    /// has room for, none while leaving.
    pub fn lines_wanted(&self) -> usize {
        if self.is_quitting() {
            0
        } else {
            self.outbox.room().saturating_sub(self.held.len())
        }
    }

    /// A line the user entered: a command or text for the active room.
    /// False when a message in it was refused (the UI keeps the line then).
    fn submit(&mut self, line: &str, fx: &mut Vec<Effect>) -> bool {
        match command::parse(line) {
            Ok(cmd) => self.run(cmd, fx),
            Err(CommandError::Empty) => true,
            Err(err) => {
                self.notice(err.to_string(), fx);
                true
            }
        }
    }

    /// The terminal stopped reading (or reads again). Rooms count the
    /// messages that fall out of the scrollback before a frame shows them;
    /// once the terminal reads again, each room says how many it lost.
    fn output_stalled(&mut self, stalled: bool) {
        let was = std::mem::replace(&mut self.output_stalled, stalled);
        if stalled || !was {
            return;
        }
        let now = self.now;
        for room in &mut self.rooms {
            let missed = room.take_dropped_undrawn();
            if missed > 0 {
                room.push(Entry::Notice {
                    time: now,
                    text: format!("{missed} messages not shown: the terminal was not reading"),
                });
            }
        }
    }

    /// Queues a message; false (with a notice) when it cannot be sent.
    fn send(&mut self, index: usize, text: &str, kind: Kind, fx: &mut Vec<Effect>) -> bool {
        let Some(room) = self.rooms.get(index) else {
            self.notice("you are in no room: /join one first", fx);
            return false;
        };
        if let Err(why) = check_outgoing(text) {
            self.notice(format!("{why}; nothing sent"), fx);
            return false;
        }
        if let Some(held) = self.hold_direct(&room.name.clone(), text, kind, fx) {
            return held;
        }
        let Some(room) = self.rooms.get(index) else {
            return false;
        };
        let direct = is_direct(&room.name);
        let topic = match room.name.strip_prefix('@') {
            Some(user) => self.topics.direct(user),
            None => self.topics.chat(&room.name),
        };
        let peer = room.name.strip_prefix('@').map(str::to_owned);
        let sealed = match &peer {
            Some(peer) => match self.seal_direct(peer, text, fx) {
                Some(sealed) => Some(sealed),
                None if self.clear_direct_allowed(index, peer, fx) => None,
                None => return false,
            },
            None => None,
        };
        let id = self.entropy.message_id(self.now);
        let body = match &sealed {
            Some(sealed) => payload::encode_sealed_chat(&id, self.me(), sealed, self.now, kind),
            None => payload::encode_chat(&id, self.me(), text, self.now, kind),
        };
        let body = self.signed_message(&topic, body);
        if body.len() + topic.len() + 16 > MAX_OUTGOING_PACKET {
            self.notice("message too long once encoded; nothing sent", fx);
            return false;
        }
        let tag = self.tag();
        let qos = if direct { 1 } else { self.settings.qos };
        let publish = Publish {
            tag,
            topic,
            payload: body,
            qos,
            retain: false,
            expiry: None,
        };
        if let Err(outbox::Full(cap)) = self.outbox.push(publish) {
            self.notice(
                format!("{cap} messages are waiting to be sent already; nothing sent"),
                fx,
            );
            return false;
        }
        // Before the first connection there is nothing to explain yet.
        if self.line_mode() && self.connected_once && !matches!(self.conn, Conn::Connected { .. }) {
            let waiting = self.outbox.len();
            self.notice(format!("not connected: {waiting} message(s) waiting to be sent"), fx);
        }
        self.show_sent(index, id, tag, text, kind, sealed.is_some(), fx);
        self.touch(index);
        self.flush_outbox(fx);
        true
    }

    /// The user's own message, shown as it goes out.
    #[allow(clippy::too_many_arguments)]
    fn show_sent(
        &mut self,
        index: usize,
        id: String,
        tag: u64,
        text: &str,
        kind: Kind,
        sealed: bool,
        fx: &mut Vec<Effect>,
    ) {
        let direct = is_direct(&self.rooms[index].name);
        let message = Message {
            id: Some(id),
            user: Some(self.me().to_owned()),
            text: text.to_owned(),
            cut: 0,
            kind,
            form: crate::protocol::Form::Proper,
            time: self.now,
            skewed: false,
            mention: false,
            own: Some(Delivery::Pending),
            tag: Some(tag),
            origin: crate::app::room::Origin::Live,
            verdict: room::Verdict {
                auth: if self.secret.is_some() {
                    keyring::Auth::Signed
                } else {
                    keyring::Auth::Unsigned
                },
                sealed,
                lookalike: None,
            },
        };
        // Line mode prints our own room messages when the broker echoes them;
        // direct messages have no echo, so they are shown as sent.
        if self.line_mode() {
            if direct {
                let room = self.rooms[index].shared_name();
                fx.push(Effect::Print(Record::Message { room, message }));
            }
        } else {
            let room = &mut self.rooms[index];
            if let Some(id) = &message.id {
                room.seen.insert(id);
            }
            room.to_live_end();
            room.push(Entry::Message(message));
        }
    }
}

pub fn is_direct(room: &str) -> bool {
    room.starts_with('@')
}

/// Why a typed text cannot be sent, if it cannot.
fn check_outgoing(text: &str) -> Result<(), String> {
    if text.len() > MAX_OUTGOING_TEXT_BYTES {
        return Err(format!(
            "message too long ({}; the limit is {})",
            display::human_size(text.len()),
            display::human_size(MAX_OUTGOING_TEXT_BYTES)
        ));
    }
    if let Some(c) = text.chars().find(|&c| c.is_control() && c != '\n' && c != '\t') {
        return Err(format!("message contains a control character (U+{:04X})", c as u32));
    }
    Ok(())
}
