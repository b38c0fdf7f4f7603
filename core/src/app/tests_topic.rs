//! Room topics through the state machine: `/topic`, what goes on the wire,
//! what arrives on `topic/<room>` and what is said about it.

use super::keyring::Auth;
use super::room::Entry;
use super::testing::{connect, line_state, publishes, t0, tui_state, type_line};
use super::*;
use crate::protocol::payload::{decode_topic, encode_topic, PresenceOut};
use crate::protocol::signature::{key_to_base64, SecretKeys};
use crate::protocol::Status;

fn deliver(state: &mut State, topic: &str, payload: &[u8], retained: bool) -> Vec<Effect> {
    let msg = NetEvent::Message {
        topic: topic.into(),
        payload: bytes::Bytes::copy_from_slice(payload),
        retained,
    };
    state.update(Event::Net(msg), t0())
}

fn notices(state: &State, room: usize) -> Vec<String> {
    state.rooms[room]
        .entries
        .iter()
        .filter_map(|e| match e {
            Entry::Notice { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

fn last_notice(state: &State, room: usize) -> String {
    notices(state, room).pop().unwrap_or_default()
}

fn topic_of(bob: &str, text: &str) -> Vec<u8> {
    encode_topic("general", bob, text, t0())
}

#[test]
fn every_room_topic_is_subscribed_on_connect_and_join_and_left_on_part() {
    let mut state = tui_state();
    let fx = connect(&mut state);
    let subscribed: Vec<(String, u8)> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::Subscribe(topics) => Some(topics.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    assert!(subscribed.contains(&("topic/general".into(), 1)), "{subscribed:?}");
    assert!(subscribed.contains(&("topic/rust".into(), 1)), "{subscribed:?}");
    let fx = type_line(&mut state, "/join ops");
    assert!(fx.contains(&Effect::Subscribe(vec![("topic/ops".into(), 1)])), "{fx:?}");
    let fx = type_line(&mut state, "/part ops");
    assert!(fx.contains(&Effect::Unsubscribe("topic/ops".into())), "{fx:?}");
    // A direct conversation has no topic to subscribe.
    type_line(&mut state, "/msg bob hi");
    state.active = state.rooms.iter().position(|r| r.name == "@bob").unwrap();
    let fx = type_line(&mut state, "/part");
    assert!(!state.rooms.iter().any(|r| r.name == "@bob"));
    assert!(!fx
        .iter()
        .any(|e| matches!(e, Effect::Unsubscribe(t) if t.starts_with("topic/"))));
}

#[test]
fn topic_sets_shows_and_clears_with_a_retained_publish() {
    let mut state = tui_state();
    connect(&mut state);
    type_line(&mut state, "/topic");
    assert_eq!(
        last_notice(&state, 0),
        "#general has no topic set (/topic TEXT sets one)"
    );

    let fx = type_line(&mut state, "/topic Release on Friday");
    let sent = publishes(&fx);
    assert_eq!(sent.len(), 1, "{fx:?}");
    assert_eq!(sent[0].topic, "topic/general");
    assert!(sent[0].retain && sent[0].qos == 1);
    let wire = decode_topic(&sent[0].payload).unwrap();
    assert_eq!(
        (wire.text.as_str(), wire.user.as_deref()),
        ("Release on Friday", Some("alice"))
    );

    // The broker's copy comes back: then the room says it and keeps it.
    let payload = sent[0].payload.clone();
    deliver(&mut state, "topic/general", &payload, false);
    assert_eq!(last_notice(&state, 0), "alice set the topic: Release on Friday");
    assert_eq!(state.rooms[0].topic.as_ref().unwrap().text, "Release on Friday");
    type_line(&mut state, "/topic");
    assert_eq!(
        last_notice(&state, 0),
        "topic of #general: Release on Friday (set by alice)"
    );

    let fx = type_line(&mut state, "/topic --clear");
    let sent = publishes(&fx);
    assert!(sent[0].retain);
    assert_eq!(decode_topic(&sent[0].payload).unwrap().text, "");
    let payload = sent[0].payload.clone();
    deliver(&mut state, "topic/general", &payload, false);
    assert_eq!(last_notice(&state, 0), "alice cleared the topic");
    assert_eq!(state.rooms[0].topic, None);
}

#[test]
fn topic_is_refused_where_it_cannot_be_set() {
    let mut state = tui_state();
    connect(&mut state);
    let cases = [
        ("/topic x\u{7}y", "topic contains a control character (U+0007): not set"),
        (
            &*format!("/topic {}", "x".repeat(301)),
            "topic too long (301 bytes; at most 300): not set",
        ),
    ];
    for (line, said) in cases {
        let fx = type_line(&mut state, line);
        assert!(publishes(&fx).is_empty(), "{line:.20}");
        assert_eq!(last_notice(&state, 0), said);
    }
    type_line(&mut state, "/msg bob hi");
    let direct = state.rooms.iter().position(|r| r.name == "@bob").unwrap();
    state.active = direct;
    let fx = type_line(&mut state, "/topic hello");
    assert!(publishes(&fx).is_empty(), "{fx:?}");
    assert_eq!(
        last_notice(&state, direct),
        "a direct conversation has no topic: /topic is for rooms"
    );
}

#[test]
fn what_arrives_on_a_topic_is_said_once_and_kept_bounded() {
    // (payload, retained, the notice, the topic kept)
    let long = "ż".repeat(1000);
    let long_kept = "ż".repeat(150);
    let cases: Vec<(Vec<u8>, bool, &str, Option<&str>)> = vec![
        (
            topic_of("bob", "Release on Friday"),
            true,
            "topic: Release on Friday (set by bob)",
            Some("Release on Friday"),
        ),
        // The same again (a reconnect): no news.
        (
            topic_of("bob", "Release on Friday"),
            true,
            "",
            Some("Release on Friday"),
        ),
        (
            topic_of("carol", "Moved to Monday"),
            false,
            "carol set the topic: Moved to Monday",
            Some("Moved to Monday"),
        ),
        (b"hello".to_vec(), true, "topic: hello (set by ?)", Some("hello")),
        (
            b"\x1b]0;pwned\x07\x1b[2Jtitle".to_vec(),
            false,
            "? set the topic: ␛]0;pwned␇␛[2Jtitle",
            Some("\u{1b}]0;pwned\u{7}\u{1b}[2Jtitle"),
        ),
        (
            b"\xff\xfe".to_vec(),
            false,
            "#general: a topic that is not text (2 bytes) was ignored",
            Some("\u{1b}]0;pwned\u{7}\u{1b}[2Jtitle"),
        ),
        (Vec::new(), false, "? cleared the topic", None),
        (Vec::new(), true, "", None),
    ];
    let mut state = tui_state();
    connect(&mut state);
    for (payload, retained, said, kept) in cases {
        let before = notices(&state, 0).len();
        deliver(&mut state, "topic/general", &payload, retained);
        let after = notices(&state, 0);
        if said.is_empty() {
            assert_eq!(after.len(), before, "{after:?}");
        } else {
            assert_eq!(after.len(), before + 1, "{said}: {after:?}");
            assert_eq!(after[before], said);
        }
        assert_eq!(state.rooms[0].topic.as_ref().map(|t| t.text.as_str()), kept, "{said}");
    }
    deliver(&mut state, "topic/general", &topic_of("bob", &long), false);
    let long_topic = state.rooms[0].topic.as_ref().unwrap();
    assert_eq!(long_topic.text, long_kept);
    assert_eq!(long_topic.cut, 2000 - 300);
    assert!(last_notice(&state, 0).ends_with("… (1700 more bytes cut)"));
    // A room we are not in keeps nothing.
    deliver(&mut state, "topic/elsewhere", &topic_of("bob", "x"), true);
    assert!(state.rooms.iter().all(|r| r.name != "elsewhere"));
}

fn bob_keys() -> SecretKeys {
    SecretKeys::from_seed(&[2; 32])
}

/// alice, connected, having seen bob's signed presence with his key.
fn alice_knowing_bob() -> State {
    let mut state = tui_state();
    state.set_keys(&[1; 32], [0; 32]);
    connect(&mut state);
    let public = bob_keys().public();
    let mut p = PresenceOut::new("bob", Status::Online, t0(), "b1");
    p.key = Some(key_to_base64(&public.sign));
    p.boxing = Some(key_to_base64(&public.boxing));
    let presence = bob_keys().sign("presence/bob", p.encode());
    deliver(&mut state, "presence/bob", &presence, true);
    state
}

#[test]
fn a_topic_under_a_known_name_without_its_signature_is_marked_forged() {
    let mut state = alice_knowing_bob();
    let signed = bob_keys().sign("topic/general", topic_of("bob", "Signed by bob"));
    deliver(&mut state, "topic/general", &signed, false);
    let topic = state.rooms[0].topic.clone().unwrap();
    assert_eq!(topic.verdict.auth, Auth::Signed);
    assert_eq!(last_notice(&state, 0), "bob set the topic: Signed by bob");

    deliver(&mut state, "topic/general", &topic_of("bob", "Not really bob"), false);
    let topic = state.rooms[0].topic.clone().unwrap();
    assert_eq!(topic.verdict.auth, Auth::Forged);
    assert_eq!(last_notice(&state, 0), "bob set the topic: Not really bob ⚠ forged?");
    assert_eq!(topic.set_by(), "set by bob ⚠ forged?");
    // Signed for another room: replayed, so forged too.
    let elsewhere = bob_keys().sign("topic/rust", topic_of("bob", "Replayed"));
    deliver(&mut state, "topic/general", &elsewhere, false);
    assert_eq!(state.rooms[0].topic.as_ref().unwrap().verdict.auth, Auth::Forged);

    // Our own topic goes out signed.
    let fx = type_line(&mut state, "/topic mine");
    assert!(crate::protocol::signature::is_signed(&publishes(&fx)[0].payload));
}

#[test]
fn line_mode_prints_a_topic_record() {
    let mut state = line_state();
    connect(&mut state);
    let fx = deliver(&mut state, "topic/general", &topic_of("bob", "Hi"), true);
    let record = fx.iter().find_map(|e| match e {
        Effect::Print(Record::Topic {
            room,
            topic,
            retained,
            said,
        }) => Some((room.clone(), topic.text.clone(), *retained, said.clone())),
        _ => None,
    });
    assert_eq!(
        record,
        Some(("general".into(), "Hi".into(), true, "topic: Hi (set by bob)".into()))
    );
    let fx = deliver(&mut state, "topic/general", b"\xff", false);
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Report(t) if t.contains("not text"))),
        "{fx:?}"
    );
}
