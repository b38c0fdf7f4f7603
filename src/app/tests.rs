//! The state machine, driven by events alone: no terminal, no network.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::room::{Delivery, Entry};
use super::*;
use crate::protocol::payload::{decode_presence, encode_chat, encode_presence};

pub(super) fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 14, 0, 0).unwrap()
}

pub(super) fn line_state() -> State {
    State::new(
        Settings::for_test("alice", &["general"], Mode::Line { json: false }),
        t0(),
    )
}

pub(super) fn tui_state() -> State {
    State::new(Settings::for_test("alice", &["general", "rust"], Mode::Tui), t0())
}

pub(super) fn connect(state: &mut State) -> Vec<Effect> {
    let mut fx = state.update(Event::Net(NetEvent::Connected { session: "s1".into() }), t0());
    fx.extend(state.update(Event::Net(NetEvent::Subscribed { refused: 0 }), t0()));
    fx
}

pub(super) fn publishes(fx: &[Effect]) -> Vec<&Publish> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Publish(p) => Some(p),
            _ => None,
        })
        .collect()
}

pub(super) fn arrive(state: &mut State, topic: &str, payload: &[u8]) -> Vec<Effect> {
    let msg = NetEvent::Message {
        topic: topic.into(),
        payload: Bytes::copy_from_slice(payload),
        retained: false,
    };
    state.update(Event::Net(msg), t0())
}

pub(super) fn key(code: KeyCode) -> Event {
    Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub(super) fn ctrl(c: char) -> Event {
    Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

pub(super) fn type_line(state: &mut State, text: &str) -> Vec<Effect> {
    state.update(Event::Paste(text.into()), t0());
    state.update(key(KeyCode::Enter), t0())
}

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
    assert_eq!(names, ["presence/+", "dm/alice", "chat/general", "chat/rust"]);
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
        reason: "connection refused".into(),
        retry_in: Duration::from_secs(1),
        fatal: false,
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
        reason: "connection refused".into(),
        retry_in: Duration::from_secs(1),
        fatal: false,
    };
    let fx = state.update(Event::Net(failed), t0());
    assert!(matches!(&fx[..], [Effect::Fail(_)]), "{fx:?}");

    let mut state = line_state();
    state.update(Event::Quit, t0());
    let fx = state.update(Event::Net(NetEvent::Connected { session: "s1".into() }), t0());
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
    let fx = arrive(&mut state, "presence/alice", &stale);
    let p = publishes(&fx);
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
            status: Status::Online,
            ..
        })]
    ));
    assert!(arrive(&mut state, "presence/bob", &online).is_empty());
    let offline = encode_presence("bob", Status::Offline, t0(), "b1");
    let fx = arrive(&mut state, "presence/bob", &offline);
    assert!(matches!(
        &fx[..],
        [Effect::Print(Record::Presence {
            status: Status::Offline,
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

#[test]
fn ui_keys_switch_rooms_scroll_and_quit() {
    let mut state = tui_state();
    connect(&mut state);
    state.update(Event::Key(KeyEvent::new(KeyCode::Char('2'), KeyModifiers::ALT)), t0());
    assert_eq!(state.active, 1);
    state.update(ctrl('n'), t0());
    assert_eq!(state.active, 0);
    state.update(ctrl('p'), t0());
    assert_eq!(state.active, 1);
    for n in 0..50 {
        let payload = encode_chat(&format!("id{n}"), "bob", "hi", t0(), Kind::Text);
        arrive(&mut state, "chat/rust", &payload);
    }
    state.update(key(KeyCode::PageUp), t0());
    assert!(state.rooms[1].scroll_back > 0);
    arrive(
        &mut state,
        "chat/rust",
        &encode_chat("new", "bob", "hi", t0(), Kind::Text),
    );
    assert_eq!(state.rooms[1].new_below, 1);
    state.update(key(KeyCode::End), t0());
    assert_eq!(state.rooms[1].scroll_back, 0);
    state.update(Event::Paste("draft".into()), t0());
    let fx = state.update(ctrl('c'), t0());
    assert!(
        fx.is_empty() && state.input.is_empty(),
        "Ctrl-C clears a non-empty line first"
    );
    let fx = state.update(ctrl('c'), t0());
    assert!(publishes(&fx).iter().any(|p| p.topic == "presence/alice"), "{fx:?}");
}

#[test]
fn mentions_mark_the_room_and_ring_when_asked() {
    let mut settings = Settings::for_test("alice", &["general", "rust"], Mode::Tui);
    settings.bell = true;
    let mut state = State::new(settings, t0());
    connect(&mut state);
    let fx = arrive(
        &mut state,
        "chat/rust",
        &encode_chat("m", "bob", "hey alice", t0(), Kind::Text),
    );
    assert_eq!(fx, [Effect::Bell]);
    assert!(state.rooms[1].mentioned);
    assert_eq!(state.rooms[1].unread, 1);
}

#[test]
fn help_overlay_opens_with_f1_and_slash_help() {
    let mut state = tui_state();
    state.update(key(KeyCode::F(1)), t0());
    assert!(state.show_help);
    state.update(key(KeyCode::Esc), t0());
    assert!(!state.show_help);
    type_line(&mut state, "/help");
    assert!(state.show_help);
}

#[test]
fn tab_completes_commands_and_people() {
    let mut state = tui_state();
    connect(&mut state);
    arrive(
        &mut state,
        "presence/bobby",
        &encode_presence("bobby", Status::Online, t0(), "b"),
    );
    state.update(Event::Paste("/jo".into()), t0());
    state.update(key(KeyCode::Tab), t0());
    assert_eq!(state.input.value(), "/join ");
    state.update(ctrl('u'), t0());
    state.update(Event::Paste("hi bo".into()), t0());
    state.update(key(KeyCode::Tab), t0());
    assert_eq!(state.input.value(), "hi bobby");
}

#[test]
fn a_huge_paste_is_refused_with_a_notice_and_a_normal_one_inserted_at_the_cursor() {
    let mut state = tui_state();
    connect(&mut state);
    let before = state.rooms[0].entries.len();
    state.update(Event::Paste("x".repeat(1024 * 1024)), t0());
    assert!(state.input.is_empty());
    assert_eq!(state.rooms[0].entries.len(), before + 1, "a notice says why");
    state.update(Event::Paste("héllo wörld".into()), t0());
    for _ in 0..6 {
        state.update(key(KeyCode::Left), t0());
    }
    state.update(Event::Paste("日本\r\n".into()), t0());
    assert_eq!(state.input.value(), "héllo日本\n wörld");
}

#[test]
fn quitting_while_hosting_warns_that_everyone_else_is_disconnected() {
    let mut settings = Settings::for_test("alice", &["general"], Mode::Line { json: false });
    settings.hosting = Some("0.0.0.0:1883".parse().unwrap());
    let mut state = State::new(settings, t0());
    connect(&mut state);
    let fx = state.update(Event::Quit, t0());
    let warned = fx
        .iter()
        .any(|e| matches!(e, Effect::Report(text) if text.contains("everyone else connected to it is disconnected")));
    assert!(warned, "{fx:?}");

    let mut guest = line_state();
    connect(&mut guest);
    let fx = guest.update(Event::Quit, t0());
    assert!(!fx.iter().any(|e| matches!(e, Effect::Report(_))), "{fx:?}");
}

#[test]
fn a_host_is_asked_before_ctrl_c_takes_the_broker_down() {
    let mut settings = Settings::for_test("alice", &["general"], Mode::Tui);
    settings.hosting = Some("0.0.0.0:1883".parse().unwrap());
    let mut state = State::new(settings, t0());
    connect(&mut state);
    let fx = state.update(ctrl('c'), t0());
    assert!(publishes(&fx).is_empty() && !state.is_quitting());
    let warned = state.rooms[0]
        .entries
        .iter()
        .any(|e| matches!(e, Entry::Notice { text, .. } if text.contains("disconnects everyone else")));
    assert!(warned);
    let fx = state.update(ctrl('c'), t0());
    assert!(publishes(&fx).iter().any(|p| p.topic == "presence/alice"), "{fx:?}");
}

// ---- Issue 5: never lose a message, never trust a payload ----

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
        .draw(|frame| crate::ui::draw(frame, state, chrono::Offset::fix(&Utc)))
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
    let mut state = State::new(settings, t0());
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
