//! The client as a state machine: `update(event) -> effects`.
//!
//! Keys, typed lines, MQTT arrivals, acks and connection changes go in; what
//! to publish, subscribe, print or whether to exit comes out as data. No I/O
//! happens here, so every behaviour is testable without a terminal or network.

mod arrival;
pub mod command;
pub mod input;
pub mod keys;
pub mod outbox;
pub mod people;
mod quit;
pub mod room;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_quit;

use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};

use crate::protocol::payload::{self, Kind, MAX_OUTGOING_TEXT_BYTES};
use crate::protocol::{Status, Topics};
use crate::settings::{Mode, Settings};
use command::{Command, CommandError};
use outbox::Outbox;
pub use outbox::Publish;
use people::People;
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

/// What the network layer reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetEvent {
    /// The broker accepted the connection; `session` is this connection's id.
    Connected {
        session: String,
    },
    /// The broker answered a subscription; `refused` counts refused filters.
    Subscribed {
        refused: usize,
    },
    ConnectFailed {
        reason: String,
        retry_in: Duration,
        fatal: bool,
    },
    Disconnected {
        reason: String,
        retry_in: Duration,
    },
    Message {
        topic: String,
        payload: Bytes,
        retained: bool,
    },
    /// The broker acknowledged the publish with this tag (QoS 0: it was written).
    Acked(u64),
    /// The connection closed after our DISCONNECT.
    Closed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Key(crossterm::event::KeyEvent),
    Paste(String),
    /// Mouse wheel: positive scrolls back.
    Scroll(i32),
    /// Terminal size changed (UI) — used for page sizes.
    Resize {
        width: u16,
        height: u16,
    },
    /// A whole line typed in line mode.
    Line(String),
    Net(NetEvent),
    /// Time passed (only sent while something on screen counts down).
    Tick,
    /// End of input, SIGTERM, SIGHUP (the UI: Ctrl-C, Ctrl-D; `/quit` comes as a line): leave once what waits is sent.
    Quit,
    /// SIGINT: quit, or when already quitting, stop waiting and leave now.
    Interrupt,
    /// The deadline of [`State::quit_deadline`] passed.
    QuitTimeout,
    /// The terminal stopped reading what the UI draws (`true`), or reads again.
    OutputStalled(bool),
    /// The UI drew a frame (and the terminal took the one before).
    Drawn,
    /// The network layer could not take this publish now.
    HandoffFailed(u64),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Publish(Publish),
    Subscribe(Vec<(String, u8)>),
    Unsubscribe(String),
    /// Send DISCONNECT and wait for the broker to close.
    Disconnect,
    /// Reconnect now and without growing delays (quitting with messages unsent).
    Hurry,
    /// Exit with this status ([`EXIT_OK`], [`EXIT_UNSENT`]).
    Exit(i32),
    /// Exit with status 1 and this message.
    Fail(String),
    /// A line for stderr at exit: printed once the terminal is restored
    /// (the UI), at once in line mode.
    Farewell(String),
    /// Line mode: an event for stdout.
    Print(Record),
    /// Line mode: a notice for stderr.
    Report(String),
    Bell,
    /// Start or stop the once-a-second tick (countdowns on screen).
    Ticking(bool),
    /// The whole screen must be repainted (Ctrl-L).
    Repaint,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    Message {
        room: std::sync::Arc<str>,
        message: Message,
    },
    Presence {
        user: String,
        status: Status,
        ts: DateTime<Utc>,
        retained: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conn {
    Connecting,
    /// Connected; `ready` once the subscriptions were acknowledged.
    Connected {
        ready: bool,
    },
    Reconnecting {
        at: DateTime<Utc>,
        reason: String,
    },
}

pub struct State {
    pub settings: Settings,
    pub topics: Topics,
    pub conn: Conn,
    pub session: Option<String>,
    pub rooms: Vec<Room>,
    pub active: usize,
    pub people: People,
    pub outbox: Outbox,
    pub now: DateTime<Utc>,
    pub input: input::InputLine,
    pub show_help: bool,
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
}

impl State {
    pub fn new(settings: Settings, now: DateTime<Utc>) -> State {
        let cap = match settings.mode {
            Mode::Tui => settings.scrollback,
            Mode::Line { .. } => 0,
        };
        let rooms = settings.rooms.iter().map(|r| Room::new(r, cap)).collect();
        State {
            topics: Topics::new(&settings.topic_prefix),
            conn: Conn::Connecting,
            session: None,
            rooms,
            active: 0,
            people: People::new(MAX_PEOPLE),
            outbox: Outbox::new(OUTBOX_CAP, OUTBOX_WINDOW),
            now,
            input: input::InputLine::default(),
            show_help: false,
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
            settings,
        }
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
            Event::Key(key) => keys::handle(self, key, fx),
            Event::Paste(text) => self.paste(&text, fx),
            Event::Scroll(lines) => keys::scroll(self, lines),
            Event::Resize { width, height } => self.size = (width, height),
            Event::Line(line) => {
                self.submit(line.trim_end_matches('\r'), fx);
            }
            Event::Net(net) => self.on_net(net, fx),
            Event::Tick => {}
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
        }
    }

    fn paste(&mut self, text: &str, fx: &mut Vec<Effect>) {
        let total = self.input.value().len() + text.len();
        if total > MAX_OUTGOING_TEXT_BYTES {
            let text = format!(
                "paste too long ({}; a message holds at most {}): nothing inserted",
                payload::human_size(total),
                payload::human_size(MAX_OUTGOING_TEXT_BYTES)
            );
            self.notice(text, fx);
            return;
        }
        self.input.paste(text);
    }

    /// A notice: stderr in line mode, a dimmed line in the active room otherwise.
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

    fn on_net(&mut self, net: NetEvent, fx: &mut Vec<Effect>) {
        match net {
            NetEvent::Connected { session } => self.on_connected(session, fx),
            NetEvent::Subscribed { refused } => {
                if refused > 0 {
                    self.notice(format!("the broker refused {refused} subscription(s)"), fx);
                }
                if self.conn == (Conn::Connected { ready: false }) {
                    self.conn = Conn::Connected { ready: true };
                    let how = if self.connected_once {
                        "reconnected"
                    } else {
                        "connected"
                    };
                    self.connected_once = true;
                    let room = self
                        .active_room()
                        .map(|r| format!(", in #{}", r.name))
                        .unwrap_or_default();
                    let text = format!("{how} to {} as {}{room}", self.settings.address(), self.me());
                    self.notice(text, fx);
                }
            }
            NetEvent::ConnectFailed {
                reason,
                retry_in,
                fatal,
            } => {
                let address = self.settings.address();
                if fatal || !self.connected_once {
                    self.report_unsent(fx);
                    fx.push(Effect::Fail(format!("cannot connect to {address}: {reason}")));
                    return;
                }
                self.lost_connection(format!("cannot reach {address}: {reason}"), retry_in, fx);
            }
            NetEvent::Disconnected { reason, retry_in } => {
                self.lost_connection(format!("connection lost: {reason}"), retry_in, fx);
            }
            NetEvent::Message {
                topic,
                payload,
                retained,
            } => arrival::handle(self, &topic, &payload, retained, fx),
            NetEvent::Acked(tag) => self.on_acked(tag, fx),
            NetEvent::Closed => self.quit_closed(fx),
        }
    }

    fn on_connected(&mut self, session: String, fx: &mut Vec<Effect>) {
        self.conn = Conn::Connected { ready: false };
        self.session = Some(session);
        fx.push(Effect::Ticking(false));
        // Online first: the retained status we then receive is our own fresh one.
        self.publish_presence(Status::Online, fx);
        let qos = self.settings.qos;
        let mut topics = vec![(self.topics.presence_all(), 1), (self.topics.direct(self.me()), 1)];
        topics.extend(
            self.rooms
                .iter()
                .filter(|r| !is_direct(&r.name))
                .map(|r| (self.topics.chat(&r.name), qos)),
        );
        fx.push(Effect::Subscribe(topics));
        self.flush_outbox(fx);
        self.quit_step(fx);
    }

    fn lost_connection(&mut self, text: String, retry_in: Duration, fx: &mut Vec<Effect>) {
        let at = self.now + chrono::Duration::from_std(retry_in).unwrap_or_default();
        let was_connected = matches!(self.conn, Conn::Connected { .. });
        self.conn = Conn::Reconnecting {
            at,
            reason: text.clone(),
        };
        self.session = None;
        if let Some(given_up) = self.outbox.requeue_in_flight(MAX_SEND_DROPS) {
            self.give_up(given_up, fx);
        }
        if self.is_quitting() {
            // Retried every half second while quitting: the quitting notice
            // said what is waited for, and the status bar says the rest.
            self.quit_lost_connection(was_connected, fx);
            return;
        }
        self.notice(format!("{text}; reconnecting in {}", seconds(retry_in)), fx);
        fx.push(Effect::Ticking(true));
    }

    fn publish_presence(&mut self, status: Status, fx: &mut Vec<Effect>) -> u64 {
        let tag = self.tag();
        let session = self.session.clone().unwrap_or_default();
        fx.push(Effect::Publish(Publish {
            tag,
            topic: self.topics.presence(self.me()),
            payload: payload::encode_presence(self.me(), status, self.now, &session),
            qos: 1,
            retain: true,
        }));
        tag
    }

    fn flush_outbox(&mut self, fx: &mut Vec<Effect>) {
        if matches!(self.conn, Conn::Connected { .. }) {
            fx.extend(self.outbox.take_ready().into_iter().map(Effect::Publish));
        }
    }

    /// A message that cannot be sent: marked failed with the reason, and said.
    fn give_up(&mut self, publish: Publish, fx: &mut Vec<Effect>) {
        let why = format!(
            "the connection dropped each of the {MAX_SEND_DROPS} times it was sent \
             (the broker may refuse it, e.g. as too large)"
        );
        self.mark_failed(publish.tag, &why);
        let text = payload::decode_chat(&publish.payload).text;
        let preview: String = crate::protocol::sanitize::text(&text, crate::protocol::sanitize::Newlines::Mark)
            .chars()
            .take(40)
            .collect();
        self.notice(format!("message \"{preview}\" not sent: {why}"), fx);
    }

    /// Marks our own message with this tag as not sent, with the reason.
    fn mark_failed(&mut self, tag: u64, why: &str) {
        for room in &mut self.rooms {
            if let Some(m) = room.own_message_mut(tag) {
                m.own = Some(Delivery::Failed(why.to_owned()));
                break;
            }
        }
    }

    fn on_acked(&mut self, tag: u64, fx: &mut Vec<Effect>) {
        if self.quit_acked(tag, fx) {
            return;
        }
        if self.outbox.acked(tag).is_some() {
            for room in &mut self.rooms {
                if let Some(m) = room.own_message_mut(tag) {
                    m.own = Some(Delivery::Sent);
                    break;
                }
            }
            self.quit_progress();
        }
        self.flush_outbox(fx);
        self.quit_step(fx);
    }

    /// True while typed lines can be taken: line mode stops reading its
    /// input while the outbox is full (or the client is leaving).
    pub fn takes_input(&self) -> bool {
        self.outbox.has_room() && !self.is_quitting()
    }

    /// How many more lines line mode may read now: as many as the outbox
    /// has room for, none while leaving.
    pub fn lines_wanted(&self) -> usize {
        if self.is_quitting() {
            0
        } else {
            self.outbox.room()
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

    fn run(&mut self, cmd: Command, fx: &mut Vec<Effect>) -> bool {
        match cmd {
            Command::Say(text) => return self.send(self.active, &text, Kind::Text, fx),
            Command::Me(text) => return self.send(self.active, &text, Kind::Action, fx),
            Command::Msg { user, text } => {
                let index = self.open_room(&format!("@{user}"), fx);
                return self.send(index, &text, Kind::Text, fx);
            }
            Command::Join(name) => {
                let known = self.rooms.iter().any(|r| r.name == name);
                self.active = self.open_room(&name, fx);
                if known {
                    self.notice(format!("#{name} is now active"), fx);
                } else {
                    if matches!(self.conn, Conn::Connected { .. }) {
                        fx.push(Effect::Subscribe(vec![(self.topics.chat(&name), self.settings.qos)]));
                    }
                    self.notice(format!("joined #{name}"), fx);
                }
            }
            Command::Part(name) => self.part(name, fx),
            Command::Who => {
                let who: Vec<String> = self
                    .people
                    .sorted()
                    .iter()
                    .map(|p| format!("{} ({})", crate::protocol::sanitize::name(&p.name), p.status.as_str()))
                    .collect();
                let text = if who.is_empty() {
                    "nobody seen yet".to_owned()
                } else {
                    format!("{} people: {}", who.len(), who.join(", "))
                };
                self.notice(text, fx);
            }
            Command::Clear => {
                if let Some(room) = self.rooms.get_mut(self.active) {
                    room.clear();
                }
            }
            Command::Help => {
                if self.line_mode() {
                    for spec in command::COMMANDS {
                        fx.push(Effect::Report(format!("{:<18} {}", spec.usage, spec.about)));
                    }
                } else {
                    self.show_help = true;
                }
            }
            Command::Quit(message) => self.quit(message, fx),
        }
        true
    }

    /// Index of the room or direct conversation, opened if new.
    fn open_room(&mut self, name: &str, fx: &mut Vec<Effect>) -> usize {
        if let Some(i) = self.rooms.iter().position(|r| r.name == name) {
            return i;
        }
        if is_direct(name) {
            self.make_room_for_direct(fx);
        }
        let cap = if self.line_mode() { 0 } else { self.settings.scrollback };
        self.rooms.push(Room::new(name, cap));
        self.touch(self.rooms.len() - 1);
        self.rooms.len() - 1
    }

    /// Marks a room as just active (for closing the least recently active).
    fn touch(&mut self, index: usize) {
        self.activity += 1;
        if let Some(room) = self.rooms.get_mut(index) {
            room.last_activity = self.activity;
        }
    }

    /// At [`MAX_DIRECT`] direct conversations, closes the least recently
    /// active one (never the one on screen) before another opens.
    fn make_room_for_direct(&mut self, fx: &mut Vec<Effect>) {
        let open = self.rooms.iter().filter(|r| is_direct(&r.name)).count();
        if open < MAX_DIRECT {
            return;
        }
        let oldest = self
            .rooms
            .iter()
            .enumerate()
            .filter(|(i, r)| *i != self.active && is_direct(&r.name))
            .min_by_key(|(_, r)| r.last_activity)
            .map(|(i, _)| i);
        let Some(index) = oldest else { return };
        self.rooms.remove(index);
        if self.active > index {
            self.active -= 1;
        }
        if !std::mem::replace(&mut self.direct_full_noticed, true) {
            self.notice(
                format!("too many direct conversations ({MAX_DIRECT}): the least recently active are closed"),
                fx,
            );
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

    fn part(&mut self, name: Option<String>, fx: &mut Vec<Effect>) {
        let index = match &name {
            Some(name) => self.rooms.iter().position(|r| &r.name == name),
            None => (self.active < self.rooms.len()).then_some(self.active),
        };
        let Some(index) = index else {
            let what = name.map(|n| format!("#{n}")).unwrap_or_else(|| "any room".into());
            self.notice(format!("you are not in {what}"), fx);
            return;
        };
        let room = self.rooms.remove(index);
        if !is_direct(&room.name) && matches!(self.conn, Conn::Connected { .. }) {
            fx.push(Effect::Unsubscribe(self.topics.chat(&room.name)));
        }
        if self.active > index || self.active >= self.rooms.len() {
            self.active = self.active.saturating_sub(1);
        }
        self.notice(format!("left #{}", room.name), fx);
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
        let direct = is_direct(&room.name);
        let topic = match room.name.strip_prefix('@') {
            Some(user) => self.topics.direct(user),
            None => self.topics.chat(&room.name),
        };
        let id = payload::new_message_id(self.now);
        let body = payload::encode_chat(&id, self.me(), text, self.now, kind);
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
        self.touch(index);
        self.flush_outbox(fx);
        true
    }
}

pub fn is_direct(room: &str) -> bool {
    room.starts_with('@')
}

fn seconds(d: Duration) -> String {
    format!("{}s", d.as_secs_f64().ceil() as u64)
}

/// Why a typed text cannot be sent, if it cannot.
fn check_outgoing(text: &str) -> Result<(), String> {
    if text.len() > MAX_OUTGOING_TEXT_BYTES {
        return Err(format!(
            "message too long ({}; the limit is {})",
            payload::human_size(text.len()),
            payload::human_size(MAX_OUTGOING_TEXT_BYTES)
        ));
    }
    if let Some(c) = text.chars().find(|&c| c.is_control() && c != '\n' && c != '\t') {
        return Err(format!("message contains a control character (U+{:04X})", c as u32));
    }
    Ok(())
}
