//! What goes into the state machine and what comes out of it.

use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};

use super::history::{HistoryEvent, Kept};
use super::key::Key;
use super::presence::PresenceEvent;
use super::room::Message;
use super::Publish;
use crate::settings::Spoken;

/// What a connection was made with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkInfo {
    /// The broker, as `host:port`.
    pub server: String,
    pub version: Spoken,
    /// The largest packet the broker takes (MQTT 5 says so in CONNACK).
    pub max_packet: Option<u32>,
    /// The broker still had our session: what was sent to our rooms while
    /// we were away follows.
    pub resumed: bool,
}

/// What the network layer reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetEvent {
    /// The broker accepted the connection; `session` is this connection's id.
    Connected { session: String, link: LinkInfo },
    /// The broker answered a subscription; `refused` counts refused filters.
    Subscribed { refused: usize },
    /// An attempt to connect to `server` failed. `more_to_try`: before the
    /// first connection, another broker of the list is still to be tried.
    ConnectFailed {
        server: String,
        reason: String,
        retry_in: Duration,
        fatal: bool,
        more_to_try: bool,
    },
    Disconnected {
        server: String,
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
    /// The broker refused the publish with this tag (MQTT 5), for `reason`.
    Refused { tag: u64, reason: String },
    /// The connection closed after our DISCONNECT.
    Closed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Key(Key),
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
    /// [`State::wake_at`](super::State::wake_at) passed: presence timers are due.
    Wake,
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
    /// The front end is up: the rooms' history can be read.
    Started,
    /// Something the front end wants said (a notice; stderr in line mode).
    Notice(String),
    /// What the local history answered.
    History(HistoryEvent),
    /// A left click at this screen cell (0-based, from the top left).
    Click {
        column: u16,
        row: u16,
    },
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
    /// Keep this message in the local history.
    Store(Kept),
    /// Read `room`'s latest stored messages, or the page before `before`
    /// (time and id of the oldest shown); answered by [`HistoryEvent::Loaded`].
    LoadHistory {
        room: String,
        before: Option<(DateTime<Utc>, String)>,
    },
    /// Search the history of `room` (all rooms: `None`); answered by [`HistoryEvent::Found`].
    Search {
        text: String,
        room: Option<String>,
    },
    /// Read the messages around one (a search hit); answered by [`HistoryEvent::Context`].
    LoadContext {
        room: String,
        time: DateTime<Utc>,
        id: String,
    },
    /// Delete `room`'s history; answered by [`HistoryEvent::Forgotten`].
    Forget(String),
    /// Write the known-keys file again with this text (the key ring changed).
    SaveKnownKeys(String),
    /// A desktop notification: a whole escape sequence (OSC 9 or 777) to
    /// write to the terminal as it is, made safe by [`super::notify`].
    Notify(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// Connected (again) to `server` at this MQTT version.
    Connected { server: String, version: Spoken },
    /// One of our messages will not be delivered, for `reason`.
    NotSent {
        room: String,
        id: String,
        text: String,
        reason: String,
    },
    Message {
        room: std::sync::Arc<str>,
        message: Message,
    },
    /// A message the history search found.
    Found(Kept),
    /// `user` announced a key other than the one remembered (fingerprints);
    /// said on stderr as well, so text line mode prints nothing more.
    KeyChanged { user: String, old: String, new: String },
    /// A change of someone's presence; `retained`: the state found on
    /// arrival (or learnt from a roll call), not a change seen happening.
    Presence {
        user: String,
        event: PresenceEvent,
        /// When it happened (for offline: last seen).
        ts: DateTime<Utc>,
        retained: bool,
    },
    /// A room's topic arrived (`topic.text` empty: cleared); `said`: the
    /// notice the UI shows for it; `retained`: found on joining.
    Topic {
        room: String,
        topic: super::room_topic::RoomTopic,
        retained: bool,
        said: String,
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
