//! The state machine, driven by events alone: no terminal, no network.

use std::time::Duration;

use chrono::{TimeZone, Utc};

use super::room::{Delivery, Entry};
use super::testing::{arrive, connect, line_state, publishes, t0, tui_state, type_line};
use super::*;
use crate::protocol::payload::{decode_presence, encode_chat, encode_presence};
use crate::protocol::Status;
use people::Departure;

#[test]
fn on_connect_publishes_online_then_subscribes_everything() {
    let mut state = tui_state();
    let fx = connect(&mut state);
    let Effect::Publish(online) = &fx[1] else {
        panic!("{fx:?}")
    };
    assert_eq!(online.topic, "presence/alice");
    assert!(online.retain && online.qos == 1);
    let p = decode_presence(&online.payload).unwrap();
    assert_eq!((p.status, p.session.as_deref()), (Status::Online, Some("s1")));
    let Effect::Subscribe(topics) = &fx[2] else {
        panic!("{fx:?}")
    };
    let names: Vec<&str> = topics.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        names,
        [
            "presence/+/alive",
            "presence/+",
            "presence/+/rollcall",
            "presence/+/answer/alice",
            "dm/alice",
            "history/reply/alice",
            "chat/general",
            "chat/rust",
            "topic/general",
            "topic/rust"
        ]
    );
    assert_eq!(state.conn, Conn::Connected { ready: true });
}

#[test]
fn typed_text_is_published_to_the_active_room_and_pending_until_acked() {
    let mut state = tui_state();
    connect(&mut state);
    let fx = type_line(&mut state, "hello");
    let sent = publishes(&fx);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].topic, "chat/general");
    assert!(!sent[0].retain);
    let chat = crate::protocol::payload::decode_chat(&sent[0].payload);
    assert_eq!((chat.user.as_deref(), chat.text.as_str()), (Some("alice"), "hello"));
    let own = |state: &State| match state.rooms[0].entries.back() {
        Some(Entry::Message(m)) => m.own.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(own(&state), Some(Delivery::Pending));
    // The broker's echo does not show the message twice.
    arrive(&mut state, "chat/general", &sent[0].payload.clone());
    assert_eq!(
        state.rooms[0]
            .entries
            .iter()
            .filter(|e| matches!(e, Entry::Message(_)))
            .count(),
        1
    );
    let tag = sent[0].tag;
    state.update(Event::Net(NetEvent::Acked(tag)), t0());
    assert_eq!(own(&state), Some(Delivery::Sent));
}

#[test]
fn line_mode_prints_own_messages_on_echo_exactly_once() {
    let mut state = line_state();
    connect(&mut state);
    let fx = state.update(Event::Line("hi".into()), t0());
    assert!(!fx.iter().any(|e| matches!(e, Effect::Print(_))), "not before the echo");
    let payload = publishes(&fx)[0].payload.clone();
    let first = arrive(&mut state, "chat/general", &payload);
    let again = arrive(&mut state, "chat/general", &payload);
    assert_eq!(first.iter().filter(|e| matches!(e, Effect::Print(_))).count(), 1);
    assert!(again.is_empty(), "a QoS 1 duplicate is dropped");
}

#[test]
fn messages_typed_offline_wait_in_the_outbox_and_go_in_order() {
    let mut state = line_state();
    for n in 1..=5 {
        let fx = state.update(Event::Line(format!("m{n}")), t0());
        assert!(publishes(&fx).is_empty());
    }
    let fx = connect(&mut state);
    let texts: Vec<String> = publishes(&fx)
        .iter()
        .filter(|p| p.topic == "chat/general")
        .map(|p| crate::protocol::payload::decode_chat(&p.payload).text)
        .collect();
    assert_eq!(texts, ["m1", "m2", "m3", "m4", "m5"]);
}

#[test]
fn unacked_messages_are_sent_again_after_a_reconnect() {
    let mut state = line_state();
    connect(&mut state);
    let fx = state.update(Event::Line("lost in flight".into()), t0());
    let first = publishes(&fx)[0].clone();
    let lost = NetEvent::Disconnected {
        server: "localhost:1883".into(),
        reason: "gone".into(),
        retry_in: Duration::from_secs(1),
    };
    let fx = state.update(Event::Net(lost), t0());
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Report(r) if r.contains("reconnecting in 1s"))),
        "{fx:?}"
    );
    let fx = connect(&mut state);
    let again: Vec<&Publish> = publishes(&fx)
        .into_iter()
        .filter(|p| p.topic == "chat/general")
        .collect();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].payload, first.payload, "same id: receivers drop a duplicate");
}

#[test]
fn first_connection_failure_is_fatal_later_ones_are_retried() {
    let mut state = line_state();
    let failed = NetEvent::ConnectFailed {
        server: "localhost:1883".into(),
        reason: "connection refused".into(),
        retry_in: Duration::from_secs(1),
        fatal: false,
        more_to_try: false,
    };
    let fx = state.update(Event::Net(failed.clone()), t0());
    assert_eq!(
        fx,
        [Effect::Fail(
            "cannot connect to localhost:1883: connection refused".into()
        )]
    );
    let mut state = line_state();
    connect(&mut state);
    let fx = state.update(Event::Net(failed), t0());
    assert!(!fx.iter().any(|e| matches!(e, Effect::Fail(_))));
    assert!(matches!(state.conn, Conn::Reconnecting { .. }));
}

#[test]
fn clean_quit_drains_publishes_offline_then_disconnects() {
    let mut state = line_state();
    connect(&mut state);
    let fx = state.update(Event::Line("last words".into()), t0());
    let chat_tag = publishes(&fx)[0].tag;
    let fx = state.update(Event::Quit, t0());
    assert!(publishes(&fx).is_empty(), "offline only after the outbox drained");
    let fx = state.update(Event::Net(NetEvent::Acked(chat_tag)), t0());
    let offline = publishes(&fx)[0].clone();
    assert_eq!(offline.topic, "presence/alice");
    assert_eq!(decode_presence(&offline.payload).unwrap().status, Status::Offline);
    assert!(offline.retain);
    let fx = state.update(Event::Net(NetEvent::Acked(offline.tag)), t0());
    assert_eq!(fx, [Effect::Disconnect]);
    assert_eq!(
        state.update(Event::Net(NetEvent::Closed), t0()),
        [Effect::Exit(EXIT_OK)]
    );
}

#[test]
fn quit_before_the_first_connection_waits_for_its_outcome() {
    let mut state = line_state();
    let fx = state.update(Event::Quit, t0());
    assert!(
        !fx.iter()
            .any(|e| matches!(e, Effect::Exit(_) | Effect::Fail(_) | Effect::Publish(_))),
        "{fx:?}"
    );
    let failed = NetEvent::ConnectFailed {
        server: "localhost:1883".into(),
        reason: "connection refused".into(),
        retry_in: Duration::from_secs(1),
        fatal: false,
        more_to_try: false,
    };
    let fx = state.update(Event::Net(failed), t0());
    assert!(matches!(&fx[..], [Effect::Fail(_)]), "{fx:?}");

    let mut state = line_state();
    state.update(Event::Quit, t0());
    let fx = state.update(
        Event::Net(NetEvent::Connected {
            session: "s1".into(),
            link: crate::app::testing::link(crate::settings::Spoken::V311),
        }),
        t0(),
    );
    let statuses: Vec<Status> = publishes(&fx)
        .iter()
        .filter(|p| p.topic == "presence/alice")
        .map(|p| decode_presence(&p.payload).unwrap().status)
        .collect();
    assert_eq!(statuses, [Status::Online, Status::Offline]);
}

#[test]
fn a_stale_will_for_me_is_answered_with_online() {
    let mut state = line_state();
    connect(&mut state);
    let stale = encode_presence("alice", Status::Offline, t0(), "old-session");
    let mut fx = arrive(&mut state, "presence/alice", &stale);
    fx.extend(state.update(Event::Wake, t0()));
    let p: Vec<_> = publishes(&fx)
        .into_iter()
        .filter(|p| p.topic == "presence/alice")
        .collect();
    assert_eq!(p.len(), 1);
    assert_eq!(decode_presence(&p[0].payload).unwrap().status, Status::Online);
}

#[test]
fn presence_changes_are_printed_once_each() {
    let mut state = line_state();
    connect(&mut state);
    let online = encode_presence("bob", Status::Online, t0(), "b1");
    let fx = arrive(&mut state, "presence/bob", &online);
    assert!(matches!(
        &fx[..],
        [Effect::Print(Record::Presence {
            event: PresenceEvent::Online,
            ..
        })]
    ));
    assert!(arrive(&mut state, "presence/bob", &online).is_empty());
    let offline = encode_presence("bob", Status::Offline, t0(), "b1");
    let fx = arrive(&mut state, "presence/bob", &offline);
    assert!(matches!(
        &fx[..],
        [Effect::Print(Record::Presence {
            event: PresenceEvent::Offline(Departure::Unsaid),
            ..
        })]
    ));
}

#[test]
fn hostile_presence_names_are_refused_and_shown_escaped() {
    let mut state = line_state();
    connect(&mut state);
    let fx = arrive(&mut state, "presence/ev\u{1b}[2Jil", b"{\"status\":\"online\"}");
    let [Effect::Report(text)] = &fx[..] else {
        panic!("{fx:?}")
    };
    assert!(text.contains("␛[2J") && !text.contains('\u{1b}'), "{text}");
}

#[test]
fn clock_skew_orders_by_arrival() {
    let mut state = line_state();
    connect(&mut state);
    for (n, ts) in [
        (1, Utc.with_ymd_and_hms(1970, 1, 1, 0, 0, 0).unwrap()),
        (2, Utc.with_ymd_and_hms(2999, 1, 1, 0, 0, 0).unwrap()),
    ] {
        let payload = encode_chat(&format!("id{n}"), "bob", "hi", ts, Kind::Text);
        let fx = arrive(&mut state, "chat/general", &payload);
        let [Effect::Print(Record::Message { message, .. })] = &fx[..] else {
            panic!("{fx:?}")
        };
        assert!(message.skewed);
        assert_eq!(message.time, t0());
    }
}

#[test]
fn commands_and_bad_input_give_notices_and_send_nothing() {
    let mut state = line_state();
    connect(&mut state);
    for bad in ["/join a/b", "/nope", "/me", &"x".repeat(300 * 1024), "bell\u{7}"] {
        let fx = state.update(Event::Line(bad.into()), t0());
        assert!(publishes(&fx).is_empty(), "{bad:.20}");
        assert!(matches!(&fx[..], [Effect::Report(_)]), "{bad:.20}: {fx:?}");
    }
    let fx = state.update(Event::Line("/join rust".into()), t0());
    assert!(fx.contains(&Effect::Subscribe(vec![("chat/rust".into(), 1)])));
    let fx = state.update(Event::Line("in rust".into()), t0());
    assert_eq!(publishes(&fx)[0].topic, "chat/rust");
    let fx = state.update(Event::Line("/part".into()), t0());
    assert!(fx.contains(&Effect::Unsubscribe("chat/rust".into())));
    assert_eq!(state.active_room().unwrap().name, "general");
}

#[test]
fn messages_from_rooms_not_joined_are_ignored() {
    let mut state = line_state();
    connect(&mut state);
    let payload = encode_chat("x", "bob", "hi", t0(), Kind::Text);
    assert!(arrive(&mut state, "chat/elsewhere", &payload).is_empty());
}
