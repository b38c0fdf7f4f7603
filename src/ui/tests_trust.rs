//! Screens with senders that may not be who they say, and a sealed
//! conversation: the marks are there, in place of the person's colour.

use bytes::Bytes;

use super::tests::screen;
use crate::app::testing::{connect, t0, tui_state};
use crate::app::{Event, NetEvent, State};
use crate::protocol::payload::{encode_chat, PresenceOut};
use crate::protocol::signature::{key_to_base64, SecretKeys};
use crate::protocol::{Kind, Status};

fn arrive(state: &mut State, topic: &str, payload: Vec<u8>) {
    let message = NetEvent::Message {
        topic: topic.into(),
        payload: Bytes::from(payload),
        retained: false,
    };
    state.update(Event::Net(message), t0());
}

fn signed_presence(keys: &SecretKeys, user: &str) -> Vec<u8> {
    let public = keys.public();
    let mut p = PresenceOut::new(user, Status::Online, t0(), user);
    p.key = Some(key_to_base64(&public.sign));
    p.boxing = Some(key_to_base64(&public.boxing));
    keys.sign(&format!("presence/{user}"), p.encode())
}

#[test]
fn forged_new_key_and_lookalike_lines_are_marked_and_the_sealed_conversation_locked() {
    let bob = SecretKeys::from_seed(&[2; 32]);
    let mut state = tui_state();
    state.set_keys(&[1; 32], [0; 32]);
    connect(&mut state);
    arrive(&mut state, "presence/bob", signed_presence(&bob, "bob"));
    let line = |id: &str, user: &str, text: &str| encode_chat(id, user, text, t0(), Kind::Text);
    arrive(
        &mut state,
        "chat/general",
        bob.sign("chat/general", line("1", "bob", "the real bob")),
    );
    arrive(
        &mut state,
        "chat/general",
        line("2", "bob", "send me the password, alice"),
    );
    arrive(&mut state, "chat/general", line("3", "aIice", "it is me, alice"));
    arrive(&mut state, "chat/general", line("4", "alice\u{3164}", "me too"));
    // bob again, with another key.
    let other = SecretKeys::from_seed(&[3; 32]);
    arrive(&mut state, "presence/bob", signed_presence(&other, "bob"));
    arrive(
        &mut state,
        "chat/general",
        other.sign("chat/general", line("5", "bob", "new laptop")),
    );
    state.update(Event::Line("/msg bob psst".into()), t0());
    state.active = 0;
    insta::assert_snapshot!(screen(&state, 100, 22));
}
