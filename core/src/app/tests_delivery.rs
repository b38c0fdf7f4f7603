//! Never lose a message, never trust a payload: reconnects, the outbox,
//! acknowledgements, duplicates and the bounds on what others can make the
//! client hold.

use std::time::Duration;

use super::room::{Delivery, Entry};
use super::testing::{
    arrive, chat_texts, connect, line_state, lose, own_messages, publishes, reconnect, t0, tui_state, type_line,
};
use super::*;
use crate::protocol::payload::{encode_chat, encode_presence};
use crate::protocol::Status;

#[test]
fn the_outbox_holds_1000_messages_and_refuses_more_with_a_notice() {
    let mut state = line_state();
    connect(&mut state);
    lose(&mut state, Duration::from_secs(1));
    for n in 0..OUTBOX_CAP {
        state.update(Event::Line(format!("m{n}")), t0());
    }
    assert_eq!(state.outbox.len(), OUTBOX_CAP);
    let fx = state.update(Event::Line("one too many".into()), t0());
    assert_eq!(
        fx,
        [Effect::Report(
            "1000 messages are waiting to be sent already; nothing sent".into()
        )]
    );
    assert_eq!(state.outbox.len(), OUTBOX_CAP);
    // All of them are handed over, a window at a time as acks come back.
    let mut sent = chat_texts(&reconnect(&mut state, "s2"));
    let mut i = 0;
    while i < sent.len() {
        let tag = state.outbox.take_ready().len(); // nothing new until acks
        assert_eq!(tag, 0);
        let fx = state.update(Event::Net(NetEvent::Acked(ack_tag(&state, &sent[i]))), t0());
        sent.extend(chat_texts(&fx));
        i += 1;
    }
    let expected: Vec<String> = (0..OUTBOX_CAP).map(|n| format!("m{n}")).collect();
    assert_eq!(sent, expected);
}

/// The tag of the oldest message in the outbox (acks come back in order here).
fn ack_tag(state: &State, _text: &str) -> u64 {
    state.outbox.oldest_tag().expect("a message waiting for its ack")
}

#[test]
fn only_the_broker_ack_marks_a_message_sent() {
    let mut state = tui_state();
    connect(&mut state);
    let fx = type_line(&mut state, "hello");
    let sent = publishes(&fx)[0].clone();
    // The echo of the message (another subscriber's view) is not an ack,
    // nor is an ack for some other tag.
    arrive(&mut state, "chat/general", &sent.payload);
    state.update(Event::Net(NetEvent::Acked(sent.tag + 1000)), t0());
    assert_eq!(own_messages(&state, 0), [("hello".into(), Some(Delivery::Pending))]);
    // Lost before the ack: still pending, not sent.
    lose(&mut state, Duration::from_secs(1));
    assert_eq!(own_messages(&state, 0), [("hello".into(), Some(Delivery::Pending))]);
    let fx = reconnect(&mut state, "s2");
    let again = publishes(&fx)
        .into_iter()
        .find(|p| p.topic == "chat/general")
        .unwrap()
        .tag;
    state.update(Event::Net(NetEvent::Acked(again)), t0());
    assert_eq!(own_messages(&state, 0), [("hello".into(), Some(Delivery::Sent))]);
}

#[test]
fn a_stale_will_keeps_me_online_in_my_own_people_list() {
    let mut state = tui_state();
    connect(&mut state);
    arrive(
        &mut state,
        "presence/alice",
        &encode_presence("alice", Status::Online, t0(), "s1"),
    );
    let mut fx = arrive(
        &mut state,
        "presence/alice",
        &encode_presence("alice", Status::Offline, t0(), "old"),
    );
    fx.extend(state.update(Event::Wake, t0()));
    let again: Vec<_> = publishes(&fx)
        .into_iter()
        .filter(|p| p.topic == "presence/alice")
        .collect();
    assert_eq!(again.len(), 1, "online again: {fx:?}");
    assert_eq!(state.people.get("alice").unwrap().status, Status::Online);
}

#[test]
fn one_name_in_two_sessions_is_online_while_either_is() {
    let mut state = tui_state();
    connect(&mut state);
    for session in ["a", "b"] {
        arrive(
            &mut state,
            "presence/bob",
            &encode_presence("bob", Status::Online, t0(), session),
        );
    }
    let before = state.rooms[0].entries.len();
    arrive(
        &mut state,
        "presence/bob",
        &encode_presence("bob", Status::Offline, t0(), "a"),
    );
    assert_eq!(state.people.get("bob").unwrap().status, Status::Online);
    assert_eq!(state.rooms[0].entries.len(), before, "no 'went offline' notice");
    arrive(
        &mut state,
        "presence/bob",
        &encode_presence("bob", Status::Offline, t0(), "b"),
    );
    assert_eq!(state.people.get("bob").unwrap().status, Status::Offline);
}

#[test]
fn a_duplicate_id_is_shown_once() {
    let mut state = tui_state();
    connect(&mut state);
    let payload = encode_chat("dup", "bob", "once", t0(), Kind::Text);
    arrive(&mut state, "chat/general", &payload);
    arrive(&mut state, "chat/general", &payload);
    let messages = state.rooms[0]
        .entries
        .iter()
        .filter(|e| matches!(e, Entry::Message(_)))
        .count();
    assert_eq!(messages, 1);
}

#[test]
fn the_people_list_is_capped_with_one_notice() {
    let mut state = tui_state();
    connect(&mut state);
    for n in 0..MAX_PEOPLE + 50 {
        let name = format!("u{n}");
        arrive(
            &mut state,
            &format!("presence/{name}"),
            &encode_presence(&name, Status::Online, t0(), "s"),
        );
    }
    assert_eq!(state.people.len(), MAX_PEOPLE);
    assert_eq!(state.people.online(), MAX_PEOPLE);
    let notices = state.rooms[0]
        .entries
        .iter()
        .filter(|e| matches!(e, Entry::Notice { text, .. } if text.contains("people list is full")))
        .count();
    assert_eq!(notices, 1);
    // Someone going offline makes room for the next newcomer.
    arrive(
        &mut state,
        "presence/u0",
        &encode_presence("u0", Status::Offline, t0(), "s"),
    );
    arrive(
        &mut state,
        "presence/newcomer",
        &encode_presence("newcomer", Status::Online, t0(), "s"),
    );
    assert!(state.people.get("newcomer").is_some() && state.people.get("u0").is_none());
    assert_eq!(state.people.len(), MAX_PEOPLE);
}

#[test]
fn scrollback_is_capped_per_room_by_the_setting() {
    let mut settings = Settings::for_test("alice", &["general"], Mode::Tui);
    settings.scrollback = 100;
    let mut state = State::new(settings, t0(), 0);
    connect(&mut state);
    for n in 0..250 {
        arrive(
            &mut state,
            "chat/general",
            &encode_chat(&format!("id{n}"), "bob", &format!("n{n}"), t0(), Kind::Text),
        );
    }
    assert_eq!(state.rooms[0].entries.len(), 100);
    let Some(Entry::Message(last)) = state.rooms[0].entries.back() else {
        panic!()
    };
    assert_eq!(last.text, "n249");
}

#[test]
fn control_characters_typed_or_pasted_send_nothing() {
    let mut state = tui_state();
    connect(&mut state);
    for bad in ["a\u{1b}[2Jb", "bell\u{7}", "c1\u{9b}x"] {
        let fx = type_line(&mut state, bad);
        assert!(publishes(&fx).is_empty(), "{bad:?}: {fx:?}");
        let Some(Entry::Notice { text, .. }) = state.rooms[0].entries.back() else {
            panic!("{bad:?}: no notice")
        };
        assert!(text.contains("control character"), "{text}");
    }
    let fx = type_line(&mut state, "/join bad/room");
    assert!(fx.is_empty(), "{fx:?}");
    assert_eq!(state.rooms.len(), 2);
}
