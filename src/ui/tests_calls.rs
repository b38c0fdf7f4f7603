//! Snapshots of what calls the user and where they stopped reading: the
//! read marker, a direct message marked as a mention, the `/msg` echo.

use bytes::Bytes;
use chrono::{DateTime, TimeZone, Utc};

use super::tests::at_sizes;
use crate::app::key::Key;
use crate::app::{Event, NetEvent, State};
use crate::protocol::payload::{encode_chat, encode_presence};
use crate::protocol::{Kind, Status};
use crate::settings::{Mode, Settings};

fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, h, m, 0).unwrap()
}

/// alice, connected at 14:00, bob online.
fn alice(rooms: &[&str]) -> State {
    let mut state = State::new(Settings::for_test("alice", rooms, Mode::Tui), at(14, 0), 0);
    let connected = NetEvent::Connected {
        session: "s".into(),
        link: crate::app::testing::link(crate::settings::Spoken::V311),
    };
    state.update(Event::Net(connected), at(14, 0));
    state.update(Event::Net(NetEvent::Subscribed { refused: 0 }), at(14, 0));
    arrive(
        &mut state,
        "presence/bob",
        encode_presence("bob", Status::Online, at(14, 0), "b"),
        at(14, 0),
    );
    state
}

fn arrive(state: &mut State, topic: &str, payload: Vec<u8>, now: DateTime<Utc>) {
    let message = NetEvent::Message {
        topic: topic.into(),
        payload: Bytes::from(payload),
        retained: false,
    };
    state.update(Event::Net(message), now);
}

fn say(state: &mut State, topic: &str, id: &str, user: &str, text: &str, now: DateTime<Utc>) {
    arrive(state, topic, encode_chat(id, user, text, now, Kind::Text), now);
}

#[test]
fn read_marker() {
    let mut state = alice(&["general", "rust"]);
    say(
        &mut state,
        "chat/general",
        "1",
        "bob",
        "Read before you left.",
        at(14, 1),
    );
    say(&mut state, "chat/general", "2", "carol", "Also read.", at(14, 1));
    state.update(Event::Key(Key::alt('2')), at(14, 2));
    say(
        &mut state,
        "chat/general",
        "3",
        "bob",
        "Said while you were in #rust.",
        at(14, 5),
    );
    say(&mut state, "chat/general", "4", "carol", "And this one too.", at(14, 6));
    state.update(Event::Key(Key::alt('1')), at(14, 7));
    at_sizes("read_marker", &mut state);
}

#[test]
fn direct_message_marked_as_a_mention() {
    let mut state = alice(&["general", "rust"]);
    say(&mut state, "chat/general", "1", "carol", "Morning all.", at(14, 1));
    say(&mut state, "dm/alice", "2", "bob", "Got a minute?", at(14, 2));
    at_sizes("direct_mention", &mut state);
}

#[test]
fn msg_echo() {
    let mut state = alice(&["general"]);
    state.update(Event::Paste("/msg bob see you at three".into()), at(14, 3));
    state.update(Event::Key(Key::plain(crate::app::key::KeyCode::Enter)), at(14, 3));
    state.update(Event::Paste("/msg zed are you new here?".into()), at(14, 4));
    state.update(Event::Key(Key::plain(crate::app::key::KeyCode::Enter)), at(14, 4));
    at_sizes("msg_echo", &mut state);
}
