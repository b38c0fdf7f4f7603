//! Building states and driving them with events, for tests: this crate's
//! own, and those of the crates that draw or carry out a state (feature
//! `test-support`).

use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, TimeZone, Utc};

use super::key::{Key, KeyCode};
use super::room::{Delivery, Entry};
use super::{Effect, Event, LinkInfo, NetEvent, Publish, State};
use crate::protocol::payload::decode_chat;
use crate::settings::{Mode, Settings, Spoken};

/// The moment every test state lives in.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 14, 0, 0).unwrap()
}

/// alice in line mode, in `general`.
pub fn line_state() -> State {
    State::new(
        Settings::for_test("alice", &["general"], Mode::Line { json: false }),
        t0(),
        0,
    )
}

/// alice in the full-screen UI, in `general` and `rust`.
pub fn tui_state() -> State {
    State::new(Settings::for_test("alice", &["general", "rust"], Mode::Tui), t0(), 0)
}

/// A connection to `localhost:1883` at this version, the broker saying no maximum packet size.
pub fn link(version: Spoken) -> LinkInfo {
    LinkInfo {
        server: "localhost:1883".into(),
        version,
        max_packet: None,
        resumed: false,
    }
}

/// Connected (MQTT 3.1.1) as session `s1`, with every subscription granted.
pub fn connect(state: &mut State) -> Vec<Effect> {
    connect_over(state, link(Spoken::V311))
}

/// Connected over `link` as session `s1`, with every subscription granted.
pub fn connect_over(state: &mut State, link: LinkInfo) -> Vec<Effect> {
    let connected = NetEvent::Connected {
        session: "s1".into(),
        link,
    };
    let mut fx = state.update(Event::Net(connected), t0());
    fx.extend(state.update(Event::Net(NetEvent::Subscribed { refused: 0 }), t0()));
    fx
}

/// The connection lost, with a retry after `retry_in`.
pub fn lose(state: &mut State, retry_in: Duration) -> Vec<Effect> {
    let lost = NetEvent::Disconnected {
        server: "localhost:1883".into(),
        reason: "the broker stopped answering (keep-alive)".into(),
        retry_in,
    };
    state.update(Event::Net(lost), t0())
}

/// Connected again as `session`, with every subscription granted.
pub fn reconnect(state: &mut State, session: &str) -> Vec<Effect> {
    let mut fx = state.update(
        Event::Net(NetEvent::Connected {
            session: session.into(),
            link: link(Spoken::V311),
        }),
        t0(),
    );
    fx.extend(state.update(Event::Net(NetEvent::Subscribed { refused: 0 }), t0()));
    fx
}

/// The publishes among the effects, in order.
pub fn publishes(fx: &[Effect]) -> Vec<&Publish> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Publish(p) => Some(p),
            _ => None,
        })
        .collect()
}

/// The texts of the chat and direct messages published, in order.
pub fn chat_texts(fx: &[Effect]) -> Vec<String> {
    publishes(fx)
        .iter()
        .filter(|p| p.topic.starts_with("chat/") || p.topic.starts_with("dm/"))
        .map(|p| decode_chat(&p.payload).text)
        .collect()
}

/// A message arriving on `topic`.
pub fn arrive(state: &mut State, topic: &str, payload: &[u8]) -> Vec<Effect> {
    let msg = NetEvent::Message {
        topic: topic.into(),
        payload: Bytes::copy_from_slice(payload),
        retained: false,
    };
    state.update(Event::Net(msg), t0())
}

/// A key pressed without modifiers.
pub fn key(code: KeyCode) -> Event {
    Event::Key(Key::plain(code))
}

/// Ctrl and a letter.
pub fn ctrl(c: char) -> Event {
    Event::Key(Key::ctrl(c))
}

/// `text` pasted into the input line, then Enter.
pub fn type_line(state: &mut State, text: &str) -> Vec<Effect> {
    state.update(Event::Paste(text.into()), t0());
    state.update(key(KeyCode::Enter), t0())
}

/// The user's own messages in room `room`, with how far each got.
pub fn own_messages(state: &State, room: usize) -> Vec<(String, Option<Delivery>)> {
    state.rooms[room]
        .entries
        .iter()
        .filter_map(|e| match e {
            Entry::Message(m) if m.own.is_some() => Some((m.text.clone(), m.own.clone())),
            _ => None,
        })
        .collect()
}
