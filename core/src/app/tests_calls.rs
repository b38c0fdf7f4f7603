//! What calls the user: mentions and direct messages (mark, bell, title count).

use super::testing::{arrive, connect, t0};
use super::*;
use crate::protocol::payload::encode_chat;

/// alice in the UI with the bell on, connected, in `general` (on screen) and `rust`.
pub(super) fn alice() -> State {
    let mut settings = Settings::for_test("alice", &["general", "rust"], Mode::Tui);
    settings.bell = true;
    let mut state = State::new(settings, t0(), 0);
    connect(&mut state);
    state
}

fn room(state: &State, name: &str) -> usize {
    state
        .rooms
        .iter()
        .position(|r| r.name == name)
        .expect("the room is open")
}

#[test]
fn a_direct_message_calls_us_as_a_mention_does_unless_ours_or_suspect() {
    // (what, topic, sender, text, the room it lands in, calls us)
    let table = [
        ("a direct message", "dm/alice", "bob", "are you there?", "@bob", true),
        ("a mention in a room", "chat/rust", "bob", "alice: look", "rust", true),
        ("a plain line in a room", "chat/rust", "bob", "hello all", "rust", false),
        (
            "our own, from another session",
            "dm/alice",
            "alice",
            "note to self",
            "@alice",
            false,
        ),
        (
            "a name looking like ours",
            "dm/alice",
            "\u{430}lice",
            "it is me",
            "@?",
            false,
        ),
    ];
    for (n, (what, topic, sender, text, lands, calls)) in table.into_iter().enumerate() {
        let mut state = alice();
        let fx = arrive(
            &mut state,
            topic,
            &encode_chat(&format!("m{n}"), sender, text, t0(), Kind::Text),
        );
        let index = room(&state, lands);
        let r = &state.rooms[index];
        assert_eq!(r.unread, 1, "{what}");
        assert_eq!(r.mentioned, calls, "{what}: the mark");
        assert_eq!(r.mentions, usize::from(calls), "{what}: the count");
        assert_eq!(fx.contains(&Effect::Bell), calls, "{what}: the bell");
    }
}

#[test]
fn a_direct_message_rings_no_bell_with_the_bell_off_but_still_marks() {
    let mut state = alice();
    state.settings.bell = false;
    let fx = arrive(&mut state, "dm/alice", &encode_chat("m", "bob", "hi", t0(), Kind::Text));
    assert!(!fx.contains(&Effect::Bell));
    assert!(state.rooms[room(&state, "@bob")].mentioned);
}

#[test]
fn going_to_a_room_clears_its_calls_however_one_goes() {
    let ways: [(&str, Event); 4] = [
        ("Alt-2", Event::Key(key::Key::alt('2'))),
        ("Alt-A", Event::Key(key::Key::alt('a'))),
        ("/join", Event::Line("/join rust".into())),
        ("a click", Event::Click { column: 60, row: 3 }),
    ];
    for (how, event) in ways {
        let mut state = alice();
        arrive(
            &mut state,
            "chat/rust",
            &encode_chat("m", "bob", "alice: look", t0(), Kind::Text),
        );
        assert_eq!(state.rooms[1].mentions, 1, "{how}");
        state.update(event, t0());
        assert_eq!(state.active, 1, "{how}");
        let rust = &state.rooms[1];
        assert_eq!((rust.mentioned, rust.mentions, rust.unread), (false, 0, 0), "{how}");
    }
}

fn notices(state: &State, index: usize) -> Vec<String> {
    state.rooms[index]
        .entries
        .iter()
        .filter_map(|e| match e {
            room::Entry::Notice { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn msg_echoes_where_it_was_typed_and_says_when_the_peer_cannot_get_it_now() {
    use crate::protocol::payload::encode_presence;
    use crate::protocol::Status;
    let offline = "bob is offline: they get it on their return only if the broker still keeps their session \
                   (an hour by default)";
    let unknown = "nobody called bob has been seen here; sent anyway";
    // (bob's presence, what general says after "/msg bob hi")
    let table: [(Option<Status>, &[&str]); 3] = [
        (Some(Status::Online), &["→ bob: hi"]),
        (Some(Status::Offline), &["→ bob: hi", offline]),
        (None, &["→ bob: hi", unknown]),
    ];
    for (status, want) in table {
        let mut state = alice();
        if let Some(status) = status {
            arrive(&mut state, "presence/bob", &encode_presence("bob", status, t0(), "b1"));
        }
        let before = notices(&state, 0).len();
        let fx = testing::type_line(&mut state, "/msg bob hi");
        assert_eq!(testing::chat_texts(&fx), ["hi"], "{status:?}");
        let general = notices(&state, 0);
        let said: Vec<&str> = general[before..].iter().map(String::as_str).collect();
        assert_eq!(said, want, "{status:?}");
        assert_eq!(state.active, 0, "the room typed in stays on screen");
        let bob = room(&state, "@bob");
        assert_eq!(
            testing::own_messages(&state, bob),
            [("hi".to_owned(), Some(room::Delivery::Pending))]
        );
    }
}

#[test]
fn msg_typed_in_the_conversation_itself_is_not_echoed_and_a_long_echo_is_cut() {
    let mut state = alice();
    testing::type_line(&mut state, "/msg bob first");
    let bob = room(&state, "@bob");
    keys::switch_to(&mut state, bob);
    testing::type_line(&mut state, "/msg bob again");
    assert!(
        notices(&state, bob).iter().all(|n| !n.starts_with('→')),
        "{:?}",
        notices(&state, bob)
    );
    keys::switch_to(&mut state, 0);
    testing::type_line(&mut state, &format!("/msg bob {}", "x".repeat(300)));
    let echo = notices(&state, 0)
        .into_iter()
        .rfind(|n| n.starts_with('→'))
        .expect("an echo");
    assert_eq!(echo, format!("→ bob: {}…", "x".repeat(200)));
}

#[test]
fn a_call_notifies_the_desktop_when_asked_with_the_text_made_safe() {
    use super::notify::Notifier;
    // (notifier, topic, sender, text, the sequence written)
    let table = [
        (
            Notifier::Osc777,
            "dm/alice",
            "bob",
            "hi",
            Some("\x1b]777;notify;bob (direct);hi\x07"),
        ),
        (
            Notifier::Osc9,
            "chat/rust",
            "bob",
            "alice; \x1b[2J",
            Some("\x1b]9;bob in #rust: alice, ␛[2J\x07"),
        ),
        (
            Notifier::Osc9,
            "chat/rust",
            "bob",
            "nothing for alice's eyes",
            Some("\x1b]9;bob in #rust: nothing for alice's eyes\x07"),
        ),
        (Notifier::Osc9, "chat/rust", "bob", "hello all", None),
        (Notifier::Off, "dm/alice", "bob", "hi", None),
        (Notifier::Osc9, "dm/alice", "\u{430}lice", "it is me", None),
    ];
    for (n, (notifier, topic, sender, text, want)) in table.into_iter().enumerate() {
        let mut state = alice();
        state.settings.notify = notifier;
        let fx = arrive(
            &mut state,
            topic,
            &encode_chat(&format!("m{n}"), sender, text, t0(), Kind::Text),
        );
        let written: Vec<&str> = fx
            .iter()
            .filter_map(|e| match e {
                Effect::Notify(sequence) => Some(sequence.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(written, want.into_iter().collect::<Vec<_>>(), "{text:?}");
    }
}
