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
pub mod room;
#[cfg(test)]
mod tests;

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
/// How long a clean quit may take before the client exits anyway.
pub const QUIT_GRACE: Duration = Duration::from_secs(5);

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
    /// Ctrl-C, end of input, SIGTERM, SIGHUP.
    Quit,
    QuitTimeout,
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
    Exit,
    /// Exit with status 1 and this message.
    Fail(String),
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quitting {
    /// Waiting for the outbox to drain.
    Draining,
    /// Offline published with this tag; waiting for its ack.
    Offline(u64),
    /// DISCONNECT sent; waiting for the broker to close.
    Closing,
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
    /// Show times in UTC instead of local time (tests, reproducible screens).
    pub utc_clock: bool,
    connected_once: bool,
    /// A host pressed a quitting key once and was warned.
    quit_confirmed: bool,
    /// The "people list full" notice was given (once is enough).
    people_full_noticed: bool,
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
            utc_clock: false,
            connected_once: false,
            quit_confirmed: false,
            people_full_noticed: false,
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

    pub fn is_quitting(&self) -> bool {
        self.quitting.is_some()
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
            Event::Line(line) => self.submit(line.trim_end_matches('\r'), fx),
            Event::Net(net) => self.on_net(net, fx),
            Event::Tick => {}
            Event::Quit => self.quit(None, fx),
            Event::QuitTimeout => fx.push(Effect::Exit),
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
            NetEvent::Closed => fx.push(Effect::Exit),
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
        if self.quitting == Some(Quitting::Draining) {
            self.quit_step(fx);
        }
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
        if self.quitting.is_some() && was_connected {
            // Nothing more to wait for: the broker publishes our will.
            fx.push(Effect::Exit);
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
        for room in &mut self.rooms {
            if let Some(m) = room.own_message_mut(publish.tag) {
                m.own = Some(Delivery::Failed(why.clone()));
                break;
            }
        }
        let text = payload::decode_chat(&publish.payload).text;
        let preview: String = crate::protocol::sanitize::text(&text, crate::protocol::sanitize::Newlines::Mark)
            .chars()
            .take(40)
            .collect();
        self.notice(format!("message \"{preview}\" not sent: {why}"), fx);
    }

    fn on_acked(&mut self, tag: u64, fx: &mut Vec<Effect>) {
        if self.quitting == Some(Quitting::Offline(tag)) {
            self.quitting = Some(Quitting::Closing);
            fx.push(Effect::Disconnect);
            return;
        }
        if self.outbox.acked(tag).is_some() {
            for room in &mut self.rooms {
                if let Some(m) = room.own_message_mut(tag) {
                    m.own = Some(Delivery::Sent);
                    break;
                }
            }
        }
        self.flush_outbox(fx);
        if self.quitting == Some(Quitting::Draining) {
            self.quit_step(fx);
        }
    }

    fn quit(&mut self, message: Option<String>, fx: &mut Vec<Effect>) {
        if self.quitting.is_some() {
            fx.push(Effect::Exit);
            return;
        }
        if let Some(text) = message {
            self.send(self.active, &format!("quit: {text}"), Kind::Action, fx);
        }
        if let Some(listen) = self.settings.hosting {
            self.notice(
                format!("the broker on {listen} stops with you: everyone else connected to it is disconnected"),
                fx,
            );
        }
        self.quitting = Some(Quitting::Draining);
        self.quit_step(fx);
    }

    /// Moves a clean quit forward: outbox drained, then offline, then DISCONNECT.
    fn quit_step(&mut self, fx: &mut Vec<Effect>) {
        match self.conn {
            Conn::Connected { .. } => {
                if self.outbox.is_empty() {
                    let tag = self.publish_presence(Status::Offline, fx);
                    self.quitting = Some(Quitting::Offline(tag));
                }
            }
            // Before the first connection its outcome decides: a broker that
            // is not there is still an error (exit 1), even at end of input.
            Conn::Connecting if !self.connected_once => {}
            _ => {
                if !self.outbox.is_empty() {
                    self.notice(format!("{} unsent message(s) dropped at exit", self.outbox.len()), fx);
                }
                fx.push(Effect::Exit);
            }
        }
    }

    /// A line the user entered: a command or text for the active room.
    fn submit(&mut self, line: &str, fx: &mut Vec<Effect>) {
        match command::parse(line) {
            Ok(cmd) => self.run(cmd, fx),
            Err(CommandError::Empty) => {}
            Err(err) => self.notice(err.to_string(), fx),
        }
    }

    fn run(&mut self, cmd: Command, fx: &mut Vec<Effect>) {
        match cmd {
            Command::Say(text) => self.send(self.active, &text, Kind::Text, fx),
            Command::Me(text) => self.send(self.active, &text, Kind::Action, fx),
            Command::Msg { user, text } => {
                let index = self.open_room(&format!("@{user}"));
                self.send(index, &text, Kind::Text, fx);
            }
            Command::Join(name) => {
                let known = self.rooms.iter().any(|r| r.name == name);
                self.active = self.open_room(&name);
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
    }

    /// Index of the room or direct conversation, opened if new.
    fn open_room(&mut self, name: &str) -> usize {
        if let Some(i) = self.rooms.iter().position(|r| r.name == name) {
            return i;
        }
        let cap = if self.line_mode() { 0 } else { self.settings.scrollback };
        self.rooms.push(Room::new(name, cap));
        self.rooms.len() - 1
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

    fn send(&mut self, index: usize, text: &str, kind: Kind, fx: &mut Vec<Effect>) {
        let Some(room) = self.rooms.get(index) else {
            self.notice("you are in no room: /join one first", fx);
            return;
        };
        if let Err(why) = check_outgoing(text) {
            self.notice(format!("{why}; nothing sent"), fx);
            return;
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
            return;
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
            return;
        }
        if self.line_mode() && !matches!(self.conn, Conn::Connected { .. }) {
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
        self.flush_outbox(fx);
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
