//! Signatures, keys and sealed direct messages through the state machine:
//! what is marked, what is ignored, what is said, what goes on the wire.

use super::keyring::Auth;
use super::room::{Entry, Lookalike, Message};
use super::testing::{connect, line_state, publishes, t0, tui_state};
use super::*;
use crate::protocol::payload::{decode_chat, encode_chat, PresenceOut};
use crate::protocol::signature::{key_to_base64, SecretKeys};
use crate::protocol::Status;

fn keys(n: u8) -> SecretKeys {
    SecretKeys::from_seed(&[n; 32])
}

fn deliver(state: &mut State, topic: &str, payload: &[u8]) -> Vec<Effect> {
    let msg = NetEvent::Message {
        topic: topic.into(),
        payload: bytes::Bytes::copy_from_slice(payload),
        retained: false,
    };
    state.update(Event::Net(msg), t0())
}

/// `user`'s signed presence announcing `keys`.
fn presence(keys: &SecretKeys, user: &str, session: &str) -> Vec<u8> {
    let public = keys.public();
    let rooms = vec!["general".to_owned()];
    let mut p = PresenceOut::new(user, Status::Online, t0(), session);
    p.seq = Some(1);
    p.rooms = Some(&rooms);
    p.key = Some(key_to_base64(&public.sign));
    p.boxing = Some(key_to_base64(&public.boxing));
    keys.sign(&format!("presence/{user}"), p.encode())
}

fn chat(keys: Option<&SecretKeys>, topic: &str, id: &str, user: &str, text: &str) -> Vec<u8> {
    let body = encode_chat(id, user, text, t0(), Kind::Text);
    keys.map_or(body.clone(), |k| k.sign(topic, body))
}

/// alice (keys 1) in the UI, connected, having seen bob (keys 2) online.
fn alice_knowing_bob() -> State {
    let mut state = tui_state();
    state.set_keys(&[1; 32], [0; 32]);
    connect(&mut state);
    deliver(&mut state, "presence/bob", &presence(&keys(2), "bob", "b1"));
    state
}

fn last_message(state: &State, room: usize) -> &Message {
    state.rooms[room]
        .entries
        .iter()
        .rev()
        .find_map(|e| match e {
            Entry::Message(m) => Some(m),
            _ => None,
        })
        .expect("a message")
}

fn notices(state: &State, room: usize) -> Vec<&str> {
    state.rooms[room]
        .entries
        .iter()
        .filter_map(|e| match e {
            Entry::Notice { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_line_under_a_known_name_shows_as_that_person_only_when_signed_by_its_key() {
    let mut state = alice_knowing_bob();
    state.active = 1; // general is not on screen: mentions would count
    state.settings.bell = true;
    let table: [(&str, Option<u8>, &str, Auth); 4] = [
        ("bob's own", Some(2), "chat/general", Auth::Signed),
        ("unsigned", None, "chat/general", Auth::Forged),
        ("another key", Some(3), "chat/general", Auth::Forged),
        ("signed for another room", Some(2), "chat/rust", Auth::Forged),
    ];
    for (n, (what, signer, signed_for, want)) in table.into_iter().enumerate() {
        let signer = signer.map(keys);
        let payload = chat(signer.as_ref(), signed_for, &format!("id{n}"), "bob", "hey alice");
        let fx = deliver(&mut state, "chat/general", &payload);
        let m = last_message(&state, 0);
        assert_eq!(m.verdict.auth, want, "{what}");
        // A line that may not be bob's never calls alice nor rings.
        assert_eq!(m.mention, want == Auth::Signed, "{what}");
        assert_eq!(fx.contains(&Effect::Bell), want == Auth::Signed, "{what}");
    }
    assert!(state.rooms[0].mentioned);
}

#[test]
fn a_forged_presence_is_not_believed_and_is_pointed_out_once() {
    let mut state = alice_knowing_bob();
    let forged = crate::protocol::payload::encode_presence("bob", Status::Offline, t0(), "x");
    deliver(&mut state, "presence/bob", &forged);
    deliver(&mut state, "presence/bob", b"offline");
    assert_eq!(state.people.get("bob").unwrap().status, Status::Online);
    let said: Vec<_> = notices(&state, 0)
        .into_iter()
        .filter(|n| n.contains("forged?"))
        .collect();
    assert_eq!(said.len(), 1, "{said:?}");
    // Someone without a key is still listed from a plain presence.
    deliver(&mut state, "presence/paho", b"online");
    assert_eq!(state.people.get("paho").unwrap().status, Status::Online);
}

#[test]
fn a_new_key_warns_once_in_every_room_and_is_marked_until_trusted() {
    let mut state = alice_knowing_bob();
    let before = (notices(&state, 0).len(), notices(&state, 1).len());
    deliver(&mut state, "presence/bob", &presence(&keys(4), "bob", "b2"));
    deliver(&mut state, "presence/bob", &presence(&keys(4), "bob", "b3"));
    for room in [0, 1] {
        let warnings: Vec<_> = notices(&state, room)
            .into_iter()
            .filter(|n| n.contains("CHANGED"))
            .collect();
        assert_eq!(warnings.len(), 1, "room {room}: {warnings:?}");
        assert!(warnings[0].contains("/trust bob"));
    }
    assert_eq!(notices(&state, 0).len(), before.0 + 1);
    assert_eq!(state.person_warning("bob"), Some("⚠ new key"));
    deliver(
        &mut state,
        "chat/general",
        &chat(Some(&keys(4)), "chat/general", "n1", "bob", "it is me"),
    );
    assert_eq!(last_message(&state, 0).verdict.auth, Auth::NewKey);

    let fx = state.update(Event::Line("/trust bob".into()), t0());
    assert!(fx
        .iter()
        .any(|e| matches!(e, Effect::SaveKnownKeys(text) if text.contains(&key_to_base64(&keys(4).public().sign)))));
    deliver(
        &mut state,
        "chat/general",
        &chat(Some(&keys(4)), "chat/general", "n2", "bob", "again"),
    );
    assert_eq!(last_message(&state, 0).verdict.auth, Auth::Signed);
    assert_eq!(state.person_warning("bob"), None);

    // Line mode says it on stderr and, for --json, as a record.
    let mut line = line_state();
    line.set_keys(&[1; 32], [0; 32]);
    connect(&mut line);
    deliver(&mut line, "presence/bob", &presence(&keys(2), "bob", "b1"));
    let fx = deliver(&mut line, "presence/bob", &presence(&keys(4), "bob", "b2"));
    assert!(fx
        .iter()
        .any(|e| matches!(e, Effect::Report(t) if t.contains("CHANGED"))));
    assert!(fx
        .iter()
        .any(|e| matches!(e, Effect::Print(Record::KeyChanged { user, .. }) if user == "bob")));
}

#[test]
fn whois_gives_the_fingerprint_in_groups_of_digits() {
    let mut state = alice_knowing_bob();
    state.update(Event::Line("/whois bob".into()), t0());
    let print = crate::protocol::signature::fingerprint(&keys(2).public().sign);
    assert!(
        notices(&state, 0).iter().any(|n| n.contains(&print)),
        "{:?}",
        notices(&state, 0)
    );
    assert!(notices(&state, 0).iter().any(|n| n.contains("end-to-end encrypted")));
}

#[test]
fn direct_messages_are_sealed_to_a_known_key_and_open_on_the_other_side() {
    let mut alice = alice_knowing_bob();
    let fx = alice.update(Event::Line("/msg bob the secret is 4711".into()), t0());
    let sent = publishes(&fx)
        .into_iter()
        .find(|p| p.topic == "dm/bob")
        .expect("a DM")
        .clone();
    let wire = String::from_utf8(sent.payload.clone()).unwrap();
    assert!(!wire.contains("4711") && wire.contains("\"enc\""), "{wire}");
    assert!(alice.direct_sealed("@bob"));

    let mut bob = tui_state();
    bob.settings.username = "bob".into();
    bob.set_keys(&[2; 32], [5; 32]);
    connect(&mut bob);
    deliver(&mut bob, "presence/alice", &presence(&keys(1), "alice", "a1"));
    deliver(&mut bob, "dm/bob", &sent.payload);
    let index = bob
        .rooms
        .iter()
        .position(|r| r.name == "@alice")
        .expect("a conversation");
    let m = last_message(&bob, index);
    assert_eq!(m.text, "the secret is 4711");
    assert!(m.verdict.sealed);
    assert_eq!(m.verdict.auth, Auth::Signed);
    // Replayed to someone else's direct topic, it is no longer alice's.
    let mut carol = tui_state();
    carol.settings.username = "carol".into();
    carol.set_keys(&[6; 32], [5; 32]);
    connect(&mut carol);
    deliver(&mut carol, "presence/alice", &presence(&keys(1), "alice", "a1"));
    deliver(&mut carol, "dm/carol", &sent.payload);
    let index = carol.rooms.iter().position(|r| r.name == "@alice").unwrap();
    let m = last_message(&carol, index);
    assert_eq!(m.verdict.auth, Auth::Forged);
    assert!(!m.verdict.sealed && !m.text.contains("4711"), "{}", m.text);
}

#[test]
fn a_direct_message_to_someone_without_a_key_goes_in_clear_only_after_saying_so() {
    let mut ui = alice_knowing_bob();
    let fx = ui.update(Event::Line("/msg carol hello".into()), t0());
    assert!(
        publishes(&fx).iter().all(|p| p.topic != "dm/carol"),
        "held back the first time"
    );
    assert!(notices(&ui, ui.active).iter().any(|n| n.contains("Press Enter again")));
    let fx = ui.update(Event::Line("/msg carol hello".into()), t0());
    let sent = publishes(&fx)
        .into_iter()
        .find(|p| p.topic == "dm/carol")
        .expect("sent the second time");
    assert_eq!(decode_chat(&sent.payload).text, "hello");

    // Line mode cannot ask: right after connecting it waits a moment for
    // the key, then says so and sends in clear.
    let mut line = line_state();
    line.set_keys(&[1; 32], [0; 32]);
    connect(&mut line);
    let fx = line.update(Event::Line("/msg carol hello".into()), t0());
    assert!(publishes(&fx).is_empty(), "held while keys may still come: {fx:?}");
    assert!(line
        .wake_at()
        .is_some_and(|at| at <= t0() + chrono::TimeDelta::seconds(1)));
    let fx = line.update(Event::Wake, t0() + chrono::TimeDelta::seconds(1));
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Report(t) if t.contains("go unencrypted"))),
        "{fx:?}"
    );
    assert!(publishes(&fx).iter().any(|p| p.topic == "dm/carol"));
    // Once settled, a DM to a name without a key goes at once, after the notice.
    let fx = line.update(Event::Line("/msg dave hi".into()), t0() + chrono::TimeDelta::seconds(2));
    assert!(publishes(&fx).iter().any(|p| p.topic == "dm/dave"));
}

#[test]
fn a_script_piping_a_direct_message_at_start_gets_it_sealed_when_the_key_comes() {
    let mut line = line_state();
    line.set_keys(&[1; 32], [0; 32]);
    // Typed before the connection, and right after it: both wait, in order.
    line.update(Event::Line("/msg bob first".into()), t0());
    connect(&mut line);
    let fx = line.update(Event::Line("/msg bob second".into()), t0());
    assert!(publishes(&fx).is_empty());
    assert_eq!(line.lines_wanted(), OUTBOX_CAP - 2);
    // bob's retained presence arrives: both go, sealed, in order.
    let fx = deliver(&mut line, "presence/bob", &presence(&keys(2), "bob", "b1"));
    let sent: Vec<_> = publishes(&fx).into_iter().filter(|p| p.topic == "dm/bob").collect();
    assert_eq!(sent.len(), 2, "{fx:?}");
    let bob = keys(2);
    let texts: Vec<String> = sent
        .iter()
        .map(|p| {
            let enc = decode_chat(&p.payload).enc.expect("sealed");
            crate::protocol::sealed::open(&bob, "bob", &enc).unwrap()
        })
        .collect();
    assert_eq!(texts, ["first", "second"]);
}

#[test]
fn end_of_input_right_after_a_direct_message_still_waits_for_the_key() {
    // `printf '/msg bob …\n' | komunikator alice`: the line and the end of
    // input come before the connection.
    let mut line = line_state();
    line.set_keys(&[1; 32], [0; 32]);
    line.update(Event::Line("/msg bob bye".into()), t0());
    line.update(Event::Quit, t0());
    let fx = connect(&mut line);
    assert!(publishes(&fx).iter().all(|p| p.topic != "dm/bob"), "{fx:?}");
    assert!(!fx.iter().any(|e| matches!(e, Effect::Exit(_) | Effect::Disconnect)));
    let fx = deliver(&mut line, "presence/bob", &presence(&keys(2), "bob", "b1"));
    let sent = publishes(&fx)
        .into_iter()
        .find(|p| p.topic == "dm/bob")
        .expect("sent once the key came");
    assert!(decode_chat(&sent.payload).enc.is_some(), "sealed");

    // No key ever comes: after the wait it goes in clear, said, then the quit goes on.
    let mut line = line_state();
    line.set_keys(&[1; 32], [0; 32]);
    line.update(Event::Line("/msg carol bye".into()), t0());
    line.update(Event::Quit, t0());
    connect(&mut line);
    let fx = line.update(Event::Wake, t0() + chrono::TimeDelta::seconds(1));
    assert!(publishes(&fx).iter().any(|p| p.topic == "dm/carol"), "{fx:?}");
}

#[test]
fn everything_we_publish_is_signed_and_our_presence_carries_our_keys() {
    let mut state = tui_state();
    state.set_keys(&[1; 32], [0; 32]);
    let fx = connect(&mut state);
    let fx: Vec<_> = fx
        .into_iter()
        .chain(state.update(Event::Line("hello".into()), t0()))
        .collect();
    let verifier = crate::protocol::signature::Verifier::new(&keys(1).public().sign).unwrap();
    let sent = publishes(&fx);
    assert!(sent.iter().any(|p| p.topic == "presence/alice"));
    for p in sent
        .iter()
        .filter(|p| !p.payload.is_empty() && !p.topic.starts_with("history/"))
    {
        assert_eq!(
            verifier.check(&p.topic, &p.payload),
            crate::protocol::signature::Check::Valid,
            "{}",
            p.topic
        );
    }
    let ours = sent.iter().find(|p| p.topic == "presence/alice").unwrap();
    let read = crate::protocol::payload::decode_presence(&ours.payload).unwrap();
    assert_eq!(read.key, Some(keys(1).public().sign));
    // Something else under our name is marked on our own screen.
    deliver(
        &mut state,
        "chat/general",
        &chat(None, "chat/general", "f1", "alice", "I quit"),
    );
    assert_eq!(last_message(&state, 0).verdict.auth, Auth::Forged);
}

#[test]
fn a_lookalike_name_is_flagged_and_never_mentions() {
    let mut state = alice_knowing_bob();
    state.active = 1;
    for (id, user) in [
        ("l1", "bob"),
        ("l2", "b\u{3bf}b"),
        ("l3", "al\u{131}ce"),
        ("l4", "aIice"),
    ] {
        deliver(
            &mut state,
            "chat/general",
            &chat(None, "chat/general", id, user, "alice look"),
        );
    }
    let flagged: Vec<_> = state.rooms[0]
        .entries
        .iter()
        .filter_map(|e| match e {
            Entry::Message(m) if m.id.as_deref() != Some("l1") => Some((m.verdict.lookalike.clone(), m.mention)),
            _ => None,
        })
        .collect();
    assert_eq!(flagged.len(), 3);
    assert!(matches!(flagged[0].0, Some(Lookalike::Invalid(_))), "{flagged:?}");
    assert!(
        flagged.iter().all(|(l, mention)| l.is_some() && !mention),
        "{flagged:?}"
    );
    assert_eq!(flagged[2].0, Some(Lookalike::Of("alice".into())));
}

#[test]
fn the_history_keeps_the_mark() {
    let mut state = alice_knowing_bob();
    state.settings.store_history = true;
    let fx = deliver(
        &mut state,
        "chat/general",
        &chat(None, "chat/general", "f1", "bob", "forged"),
    );
    let kept = fx
        .iter()
        .find_map(|e| match e {
            Effect::Store(k) => Some(k.clone()),
            _ => None,
        })
        .expect("stored");
    assert_eq!(kept.mark.as_deref(), Some("forged"));
    assert_eq!(kept.to_message().verdict.auth, Auth::Forged);
}

#[test]
fn a_flood_of_signed_messages_is_checked_up_to_the_budget_and_the_rest_marked_unchecked() {
    let mut state = alice_knowing_bob();
    let bob = keys(2);
    let burst = 2_500;
    for n in 0..burst {
        let payload = chat(Some(&bob), "chat/general", &format!("f{n}"), "bob", "flood");
        deliver(&mut state, "chat/general", &payload);
    }
    let auths: Vec<Auth> = state.rooms[0]
        .entries
        .iter()
        .filter_map(|e| match e {
            Entry::Message(m) => Some(m.verdict.auth),
            _ => None,
        })
        .collect();
    let signed = auths.iter().filter(|a| **a == Auth::Signed).count();
    let unchecked = auths.iter().filter(|a| **a == Auth::Unchecked).count();
    assert_eq!(
        (signed, unchecked),
        (2_000, 500),
        "a burst of 2 000, all in the same instant"
    );
    let told: Vec<_> = notices(&state, 0)
        .into_iter()
        .filter(|n| n.contains("unchecked"))
        .collect();
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(
        told[0].contains("⚠ 1 message(s)"),
        "said at the first, then every 10 s: {told:?}"
    );
    // A moment later the budget has refilled: checked again.
    let later = t0() + chrono::TimeDelta::milliseconds(100);
    let msg = NetEvent::Message {
        topic: "chat/general".into(),
        payload: chat(Some(&bob), "chat/general", "late", "bob", "calm").into(),
        retained: false,
    };
    state.update(Event::Net(msg), later);
    assert_eq!(last_message(&state, 0).verdict.auth, Auth::Signed);
    // Unsigned lines under bob's name cost no check: forged at once, whatever the budget.
    assert_eq!(Auth::Unchecked.mark(), Some("⚠ unchecked"));
}

#[test]
fn our_own_sealed_direct_message_is_kept_in_the_history_as_text_opened_with_our_key() {
    let mut alice = alice_knowing_bob();
    alice.settings.store_history = true;
    let fx = alice.update(Event::Line("/msg bob the secret is 4711".into()), t0());
    let sent = publishes(&fx)
        .into_iter()
        .find(|p| p.topic == "dm/bob")
        .expect("a DM")
        .clone();
    let fx = alice.update(Event::Net(NetEvent::Acked(sent.tag)), t0());
    let kept = fx
        .iter()
        .find_map(|e| match e {
            Effect::Store(k) => Some(k.clone()),
            _ => None,
        })
        .expect("stored once acknowledged");
    assert_eq!((kept.room.as_str(), kept.text.as_str()), ("@bob", "the secret is 4711"));
    assert!(kept.sealed && kept.own && kept.mark.is_none());
}
