//! Never lose a message, never trust a payload: reconnects, the outbox,
//! acknowledgements, duplicates and the bounds on what others can make the
//! client hold.

use std::time::Duration;

use super::room::{Delivery, Entry};
use super::tests::{arrive, connect, line_state, publishes, t0, tui_state, type_line};
use super::*;
use crate::protocol::payload::{decode_presence, encode_chat, encode_presence};
use crate::protocol::Status;

fn lose(state: &mut State, retry_in: Duration) -> Vec<Effect> {
    let lost = NetEvent::Disconnected {
        reason: "the broker stopped answering (keep-alive)".into(),
        retry_in,
    };
    state.update(Event::Net(lost), t0())
}

fn reconnect(state: &mut State, session: &str) -> Vec<Effect> {
    let mut fx = state.update(
        Event::Net(NetEvent::Connected {
            session: session.into(),
        }),
        t0(),
    );
    fx.extend(state.update(Event::Net(NetEvent::Subscribed { refused: 0 }), t0()));
    fx
}

fn screen(state: &State, width: u16, height: u16) -> String {
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| crate::ui::draw(frame, state, chrono::FixedOffset::east_opt(0).unwrap()))
        .unwrap();
    terminal.backend().to_string()
}

fn own_messages(state: &State, room: usize) -> Vec<(String, Option<Delivery>)> {
    state.rooms[room]
        .entries
        .iter()
        .filter_map(|e| match e {
            Entry::Message(m) if m.own.is_some() => Some((m.text.clone(), m.own.clone())),
            _ => None,
        })
        .collect()
}

fn chat_texts(fx: &[Effect]) -> Vec<String> {
    publishes(fx)
        .iter()
        .filter(|p| p.topic.starts_with("chat/") || p.topic.starts_with("dm/"))
        .map(|p| crate::protocol::payload::decode_chat(&p.payload).text)
        .collect()
}

#[test]
fn a_lost_connection_shows_reconnecting_with_countdown_and_reason_then_renews_everything() {
    let mut state = tui_state();
    connect(&mut state);
    let fx = lose(&mut state, Duration::from_secs(4));
    assert!(fx.contains(&Effect::Ticking(true)), "the countdown ticks: {fx:?}");
    let Conn::Reconnecting { at, reason } = &state.conn else {
        panic!("{:?}", state.conn)
    };
    assert_eq!(*at, t0() + chrono::Duration::seconds(4));
    assert!(reason.contains("keep-alive"), "{reason}");
    let shown = screen(&state, 120, 10);
    assert!(
        shown.contains("reconnecting in 4s (connection lost: the broker stopped answering (keep-alive))"),
        "{shown}"
    );
    // A room joined while disconnected is subscribed on reconnect with the rest.
    let fx = type_line(&mut state, "/join later");
    assert!(!fx.iter().any(|e| matches!(e, Effect::Subscribe(_))), "{fx:?}");

    let fx = reconnect(&mut state, "s2");
    let online = publishes(&fx)
        .into_iter()
        .find(|p| p.topic == "presence/alice")
        .expect("online again");
    let p = decode_presence(&online.payload).unwrap();
    assert_eq!((p.status, p.session.as_deref()), (Status::Online, Some("s2")));
    let subscribed: Vec<&str> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::Subscribe(topics) => Some(topics.iter().map(|(t, _)| t.as_str())),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(
        subscribed,
        ["presence/+", "dm/alice", "chat/general", "chat/rust", "chat/later"]
    );
    assert_eq!(state.conn, Conn::Connected { ready: true });
    assert!(screen(&state, 120, 10).contains(" connected "));
}

#[test]
fn lines_typed_offline_are_pending_then_sent_once_each_in_order() {
    let mut state = tui_state();
    connect(&mut state);
    lose(&mut state, Duration::from_secs(1));
    for n in 1..=5 {
        let fx = type_line(&mut state, &format!("m{n}"));
        assert!(publishes(&fx).is_empty(), "nothing goes out while disconnected");
    }
    let pending = own_messages(&state, 0);
    assert_eq!(pending.len(), 5);
    assert!(pending.iter().all(|(_, d)| *d == Some(Delivery::Pending)));
    let shown = screen(&state, 120, 16);
    assert!(shown.contains("m5 ⧖") && shown.contains("5 waiting to send"), "{shown}");

    // Handed over, then the link drops before any ack: all five go again,
    // with the same ids, so a receiver that got the first copy drops the second.
    let first = reconnect(&mut state, "s2");
    assert_eq!(chat_texts(&first), ["m1", "m2", "m3", "m4", "m5"]);
    lose(&mut state, Duration::from_secs(1));
    let again = reconnect(&mut state, "s3");
    assert_eq!(chat_texts(&again), ["m1", "m2", "m3", "m4", "m5"]);
    let payloads = |fx: &[Effect]| -> Vec<Vec<u8>> {
        publishes(fx)
            .iter()
            .filter(|p| p.topic == "chat/general")
            .map(|p| p.payload.clone())
            .collect()
    };
    assert_eq!(payloads(&first), payloads(&again));
    // Still pending: the broker has acknowledged nothing yet.
    assert!(own_messages(&state, 0)
        .iter()
        .all(|(_, d)| *d == Some(Delivery::Pending)));
    for p in publishes(&again) {
        state.update(Event::Net(NetEvent::Acked(p.tag)), t0());
        arrive(&mut state, &p.topic.clone(), &p.payload.clone());
    }
    // Both copies echoed by the broker: each message is still shown once.
    for payload in payloads(&first) {
        arrive(&mut state, "chat/general", &payload);
    }
    let done = own_messages(&state, 0);
    let texts: Vec<&str> = done.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(texts, ["m1", "m2", "m3", "m4", "m5"]);
    assert!(done.iter().all(|(_, d)| *d == Some(Delivery::Sent)), "{done:?}");
    assert!(state.outbox.is_empty());
    let shown = screen(&state, 120, 16);
    assert!(shown.contains("m5 ✓") && !shown.contains("waiting to send"), "{shown}");
}

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
fn a_message_the_broker_keeps_dropping_the_connection_over_is_marked_failed() {
    let mut state = tui_state();
    connect(&mut state);
    let fx = type_line(&mut state, "poison");
    assert_eq!(chat_texts(&fx), ["poison"]);
    for n in 1..MAX_SEND_DROPS {
        lose(&mut state, Duration::from_secs(1));
        let fx = reconnect(&mut state, &format!("s{n}"));
        assert_eq!(chat_texts(&fx), ["poison"], "attempt {n}");
    }
    lose(&mut state, Duration::from_secs(1));
    let (_, delivery) = own_messages(&state, 0).pop().unwrap();
    let Some(Delivery::Failed(why)) = delivery else {
        panic!("{delivery:?}")
    };
    assert!(why.contains("connection dropped each of the 5 times"), "{why}");
    assert!(state.outbox.is_empty());
    let fx = reconnect(&mut state, "s9");
    assert!(chat_texts(&fx).is_empty(), "given up: {fx:?}");
    let shown = screen(&state, 140, 16);
    assert!(shown.contains("✗ not sent: the connection dropped"), "{shown}");
    // Line mode says it on stderr.
    let mut state = line_state();
    connect(&mut state);
    state.update(Event::Line("poison".into()), t0());
    let mut reports = Vec::new();
    for n in 0..MAX_SEND_DROPS {
        reports.extend(lose(&mut state, Duration::from_secs(1)));
        reconnect(&mut state, &format!("s{n}"));
    }
    assert!(
        reports
            .iter()
            .any(|e| matches!(e, Effect::Report(r) if r.starts_with("message \"poison\" not sent"))),
        "{reports:?}"
    );
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
    let fx = arrive(
        &mut state,
        "presence/alice",
        &encode_presence("alice", Status::Offline, t0(), "old"),
    );
    assert_eq!(publishes(&fx).len(), 1, "online again: {fx:?}");
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
