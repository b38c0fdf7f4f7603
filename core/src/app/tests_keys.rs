//! The full-screen UI's keys, overlay, completion and pasting.

use super::key::{Key, KeyCode};
use super::testing::{arrive, connect, ctrl, key, line_state, publishes, t0, tui_state, type_line};
use super::*;
use crate::protocol::payload::{encode_chat, encode_presence};
use crate::protocol::Status;

#[test]
fn ui_keys_switch_rooms_scroll_and_quit() {
    let mut state = tui_state();
    connect(&mut state);
    state.update(Event::Key(Key::alt('2')), t0());
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
    let mut state = State::new(settings, t0(), 0);
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
    let mut state = State::new(settings, t0(), 0);
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
    let mut state = State::new(settings, t0(), 0);
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
