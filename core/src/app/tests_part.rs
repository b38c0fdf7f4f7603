//! Leaving a room: what is said, and where one lands.

use super::room::Entry;
use super::testing::{arrive, connect, t0, tui_state, type_line};
use crate::protocol::payload::encode_chat;
use crate::protocol::Kind;

fn last_notice(state: &super::State) -> String {
    state.rooms[state.active]
        .entries
        .iter()
        .rev()
        .find_map(|e| match e {
            Entry::Notice { text, .. } => Some(text.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

#[test]
fn leaving_names_a_room_with_its_hash_and_a_direct_conversation_as_it_is() {
    let cases = [
        ("/msg nobody_here hi", "@nobody_here", "left @nobody_here"),
        ("/join rust", "rust", "left #rust"),
    ];
    for (open, room, said) in cases {
        let mut state = tui_state();
        connect(&mut state);
        type_line(&mut state, open);
        state.active = state.rooms.iter().position(|r| r.name == room).expect(room);
        type_line(&mut state, "/part");
        assert_eq!(last_notice(&state), said, "{open}");
    }
}

#[test]
fn the_room_landed_on_after_leaving_is_read() {
    let mut state = tui_state(); // general (active), rust
    connect(&mut state);
    let mention = encode_chat("m1", "bob", "alice: look at this", t0(), Kind::Text);
    arrive(&mut state, "chat/rust", &mention);
    let rust = &state.rooms[1];
    assert!((rust.unread, rust.mentioned) == (1, true), "unread in #rust before");
    type_line(&mut state, "/part");
    let landed = state.active_room().expect("a room left");
    assert_eq!(landed.name, "rust");
    assert_eq!((landed.unread, landed.mentioned), (0, false));
}

#[test]
fn joining_a_room_already_open_reads_it_too() {
    let mut state = tui_state();
    connect(&mut state);
    let mention = encode_chat("m1", "bob", "alice: look at this", t0(), Kind::Text);
    arrive(&mut state, "chat/rust", &mention);
    type_line(&mut state, "/join rust");
    let room = state.active_room().expect("rust");
    assert_eq!((room.name.as_str(), room.unread, room.mentioned), ("rust", 0, false));
}
