//! Quitting, table by table: nothing typed is lost silently, a second quit
//! never skips the drain, and what stays unsent is named with exit status 3.
//! Also the bounds on what others can make the client hold.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::testing::{arrive, connect, ctrl, line_state, publishes, t0, tui_state, type_line};
use super::*;
use crate::protocol::payload::{decode_presence, encode_chat};
use crate::protocol::Status;

fn at(secs: i64) -> DateTime<Utc> {
    t0() + chrono::Duration::seconds(secs)
}

fn lose_connection(state: &mut State) -> Vec<Effect> {
    let lost = NetEvent::Disconnected {
        server: "localhost:1883".into(),
        reason: "gone".into(),
        retry_in: Duration::from_secs(8),
    };
    state.update(Event::Net(lost), t0())
}

fn exits(fx: &[Effect]) -> Vec<i32> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Exit(code) => Some(*code),
            _ => None,
        })
        .collect()
}

fn farewells(fx: &[Effect]) -> Vec<&str> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Farewell(text) => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

fn offline_in(fx: &[Effect]) -> Option<u64> {
    publishes(fx)
        .into_iter()
        .find(|p| p.topic == "presence/alice" && decode_presence(&p.payload).unwrap().status == Status::Offline)
        .map(|p| p.tag)
}

#[test]
fn end_of_input_right_after_quit_does_not_skip_the_drain() {
    let mut state = line_state();
    state.update(Event::Line("deploy finished".into()), t0());
    state.update(Event::Line("/quit".into()), t0());
    for again in [Event::Quit, Event::Line("/quit".into()), Event::Quit] {
        let fx = state.update(again, t0());
        assert!(exits(&fx).is_empty(), "{fx:?}");
    }
    let fx = connect(&mut state);
    let chat = publishes(&fx)
        .into_iter()
        .find(|p| p.topic == "chat/general")
        .expect("the line is sent once connected")
        .tag;
    assert_eq!(offline_in(&fx), None, "offline only after the line is acknowledged");
    let fx = state.update(Event::Net(NetEvent::Acked(chat)), t0());
    let offline = offline_in(&fx).expect("then offline");
    assert_eq!(
        state.update(Event::Net(NetEvent::Acked(offline)), t0()),
        [Effect::Disconnect]
    );
    assert_eq!(
        state.update(Event::Net(NetEvent::Closed), t0()),
        [Effect::Exit(EXIT_OK)]
    );
}

#[test]
fn quitting_while_reconnecting_waits_and_hurries_the_reconnect() {
    let mut state = line_state();
    connect(&mut state);
    lose_connection(&mut state);
    for text in ["one", "two", "three"] {
        state.update(Event::Line(text.into()), t0());
    }
    let fx = state.update(Event::Quit, t0());
    assert!(fx.contains(&Effect::Hurry), "{fx:?}");
    assert!(exits(&fx).is_empty(), "{fx:?}");
    assert!(
        fx.iter().any(|e| matches!(e, Effect::Report(r)
            if r == "quitting: waiting up to 10s for 3 message(s) to be sent (--drain-timeout)")),
        "{fx:?}"
    );
    assert_eq!(state.quit_deadline(), Some(at(10)));
    // A timer that fires early changes nothing.
    assert!(state.update(Event::QuitTimeout, at(9)).is_empty());
    let fx = connect(&mut state);
    let sent: Vec<u64> = publishes(&fx)
        .into_iter()
        .filter(|p| p.topic == "chat/general")
        .map(|p| p.tag)
        .collect();
    assert_eq!(sent.len(), 3);
    let mut offline = None;
    for tag in sent {
        offline = offline_in(&state.update(Event::Net(NetEvent::Acked(tag)), t0()));
    }
    let offline = offline.expect("offline once all three are acknowledged");
    state.update(Event::Net(NetEvent::Acked(offline)), t0());
    assert_eq!(exits(&state.update(Event::Net(NetEvent::Closed), t0())), [EXIT_OK]);
}

#[test]
fn a_drain_that_times_out_names_every_unsent_line_and_exits_3() {
    let mut state = line_state();
    connect(&mut state);
    lose_connection(&mut state);
    state.update(Event::Line("first".into()), t0());
    state.update(Event::Line("/msg bob second".into()), t0());
    state.update(Event::Quit, t0());
    let fx = state.update(Event::QuitTimeout, at(10));
    let said = farewells(&fx);
    assert_eq!(said.len(), 3, "{said:?}");
    assert!(
        said[0].starts_with("2 message(s) not sent: connection lost: gone"),
        "{said:?}"
    );
    assert_eq!(said[1], "not sent to #general: first");
    assert_eq!(said[2], "not sent to @bob: second");
    assert_eq!(exits(&fx), [EXIT_UNSENT]);
}

#[test]
fn each_acknowledgement_restarts_the_drain_clock() {
    let mut state = line_state();
    connect(&mut state);
    let mut tags = Vec::new();
    for text in ["a", "b"] {
        let fx = state.update(Event::Line(text.into()), t0());
        tags.extend(publishes(&fx).iter().map(|p| p.tag));
    }
    state.update(Event::Quit, t0());
    assert_eq!(state.quit_deadline(), Some(at(10)));
    state.update(Event::Net(NetEvent::Acked(tags[0])), at(8));
    assert_eq!(state.quit_deadline(), Some(at(18)));
    assert!(state.update(Event::QuitTimeout, at(12)).is_empty());
}

#[test]
fn drain_timeout_zero_does_not_wait() {
    let mut settings = Settings::for_test("alice", &["general"], Mode::Line { json: false });
    settings.drain_timeout = Duration::ZERO;
    let mut state = State::new(settings, t0(), 0);
    connect(&mut state);
    lose_connection(&mut state);
    state.update(Event::Line("x".into()), t0());
    let fx = state.update(Event::Quit, t0());
    assert_eq!(exits(&fx), [EXIT_UNSENT]);
    assert_eq!(farewells(&fx)[1], "not sent to #general: x");
}

#[test]
fn an_interrupt_while_draining_gives_up_at_once() {
    let mut state = line_state();
    connect(&mut state);
    lose_connection(&mut state);
    state.update(Event::Line("x".into()), t0());
    assert!(
        exits(&state.update(Event::Interrupt, t0())).is_empty(),
        "the first one quits"
    );
    let fx = state.update(Event::Interrupt, at(1));
    assert_eq!(exits(&fx), [EXIT_UNSENT]);
    assert_eq!(farewells(&fx).len(), 2);
}

#[test]
fn a_drain_given_up_while_connected_still_leaves_cleanly() {
    let mut state = line_state();
    connect(&mut state);
    state.update(Event::Line("never acked".into()), t0());
    state.update(Event::Quit, t0());
    let fx = state.update(Event::QuitTimeout, at(10));
    assert_eq!(
        farewells(&fx),
        [
            "1 message(s) not acknowledged: the broker did not acknowledge them in time (they may still arrive)",
            "not acknowledged to #general: never acked"
        ]
    );
    let offline = offline_in(&fx).expect("offline is still published");
    assert_eq!(
        state.update(Event::Net(NetEvent::Acked(offline)), at(10)),
        [Effect::Disconnect]
    );
    assert_eq!(
        exits(&state.update(Event::Net(NetEvent::Closed), at(10))),
        [EXIT_UNSENT]
    );
}

#[test]
fn losing_the_link_after_offline_publishes_it_again_on_reconnect() {
    let mut state = line_state();
    connect(&mut state);
    let fx = state.update(Event::Quit, t0());
    assert!(offline_in(&fx).is_some());
    let fx = lose_connection(&mut state);
    assert!(exits(&fx).is_empty(), "{fx:?}");
    assert!(fx.contains(&Effect::Hurry));
    let fx = connect(&mut state);
    assert!(offline_in(&fx).is_some(), "{fx:?}");
}

#[test]
fn the_deadlines_after_offline_are_short_and_bounded() {
    let mut state = line_state();
    connect(&mut state);
    state.update(Event::Quit, t0());
    // No ack for the offline: DISCONNECT anyway, then stop waiting for the close.
    assert_eq!(state.update(Event::QuitTimeout, at(3)), [Effect::Disconnect]);
    assert_eq!(exits(&state.update(Event::QuitTimeout, at(5))), [EXIT_OK]);
}

#[test]
fn line_mode_stops_taking_input_while_the_outbox_is_full_or_when_quitting() {
    let mut state = line_state();
    for n in 0..OUTBOX_CAP {
        assert!(state.takes_input());
        state.update(Event::Line(format!("line {n}")), t0());
    }
    assert!(!state.takes_input(), "full");
    let fx = connect(&mut state);
    let first = publishes(&fx)
        .into_iter()
        .find(|p| p.topic == "chat/general")
        .unwrap()
        .tag;
    state.update(Event::Net(NetEvent::Acked(first)), t0());
    assert!(state.takes_input(), "room for one more");
    state.update(Event::Line("/quit".into()), t0());
    assert!(!state.takes_input(), "nothing is read after /quit");
}

#[test]
fn the_ui_keeps_a_line_refused_for_a_full_outbox_in_the_input() {
    let mut state = tui_state();
    for n in 0..OUTBOX_CAP {
        type_line(&mut state, &format!("line {n}"));
    }
    assert!(state.input.is_empty());
    let fx = type_line(&mut state, "one too many");
    assert!(publishes(&fx).is_empty());
    assert_eq!(state.input.value(), "one too many", "nothing typed is lost");
}

#[test]
fn ctrl_d_while_quitting_waits_and_ctrl_c_gives_up() {
    let mut state = tui_state();
    connect(&mut state);
    lose_connection(&mut state);
    type_line(&mut state, "pending");
    state.update(ctrl('d'), t0());
    assert!(state.is_quitting());
    let shown = state.draining().expect("the draining state is there to show");
    assert_eq!((shown.waiting, shown.seconds_left), (1, 10));
    assert!(exits(&state.update(ctrl('d'), t0())).is_empty());
    let fx = state.update(ctrl('c'), t0());
    assert_eq!(exits(&fx), [EXIT_UNSENT]);
    assert_eq!(farewells(&fx)[1], "not sent to #general: pending");
}

#[test]
fn direct_conversations_are_capped_least_recently_active_first() {
    let mut state = tui_state();
    connect(&mut state);
    let dm = |from: &str| encode_chat(&format!("id-{from}"), from, "hi", t0(), Kind::Text);
    arrive(&mut state, "dm/alice", &dm("first"));
    state.active = state.rooms.iter().position(|r| r.name == "@first").unwrap();
    let mut notices = 0;
    for n in 0..MAX_DIRECT + 50 {
        let fx = arrive(&mut state, "dm/alice", &dm(&format!("sender{n}")));
        notices += fx.iter().filter(|e| matches!(e, Effect::Report(_))).count();
        // A known conversation that stays active is never the one closed.
        if n == 10 {
            arrive(&mut state, "dm/alice", &dm("sender0"));
        }
    }
    let direct: Vec<&str> = state
        .rooms
        .iter()
        .map(|r| r.name.as_str())
        .filter(|n| is_direct(n))
        .collect();
    assert_eq!(direct.len(), MAX_DIRECT);
    assert_eq!(state.active_room().unwrap().name, "@first", "the room on screen stays");
    assert!(!direct.contains(&"@sender1"), "the least recently active went first");
    assert!(direct.contains(&"@sender149"));
    assert_eq!(notices, 0, "the UI says it in the room, not on stderr");
    let said = state
        .rooms
        .iter()
        .flat_map(|r| r.entries.iter())
        .filter(|e| matches!(e, Entry::Notice { text, .. } if text.starts_with("too many direct conversations")))
        .count();
    assert_eq!(said, 1, "one notice when the cap is first hit");
}

#[test]
fn a_stalled_terminal_is_told_how_many_messages_it_never_showed() {
    let mut settings = Settings::for_test("alice", &["general"], Mode::Tui);
    settings.scrollback = 10;
    let mut state = State::new(settings, t0(), 0);
    connect(&mut state);
    state.update(Event::Drawn, t0());
    for n in 0..25 {
        if n == 3 {
            // Declared a moment after the terminal stopped: the count starts at the last frame.
            state.update(Event::OutputStalled(true), t0());
        }
        let payload = encode_chat(&format!("id{n}"), "bob", &format!("m{n}"), t0(), Kind::Text);
        arrive(&mut state, "chat/general", &payload);
    }
    state.update(Event::Drawn, t0());
    state.update(Event::OutputStalled(false), t0());
    let last = state.rooms[0].entries.back().unwrap();
    assert!(
        matches!(last, Entry::Notice { text, .. } if text == "15 messages not shown: the terminal was not reading"),
        "{last:?}"
    );
}
