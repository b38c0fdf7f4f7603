use super::*;
use crate::protocol::payload::{encode_chat, Kind};
use crate::protocol::signature::SecretKeys;

fn keys(n: u8) -> SecretKeys {
    SecretKeys::from_seed(&[n; 32])
}

fn chat(user: &str) -> Vec<u8> {
    encode_chat("1", user, "hi", chrono::DateTime::UNIX_EPOCH, Kind::Text)
}

/// A presence payload for `user`, announcing `keys`' public keys, signed for its topic.
fn presence(keys: &SecretKeys, user: &str) -> (String, Vec<u8>) {
    let topic = format!("presence/{user}");
    let public = keys.public();
    let body = format!(
        r#"{{"v":1,"user":"{user}","status":"online","ts":"2026-12-01T10:00:00Z","session":"s","key":"{}","box":"{}"}}"#,
        key_to_base64(&public.sign),
        key_to_base64(&public.boxing)
    );
    (topic.clone(), keys.sign(&topic, body.into_bytes()))
}

fn seen(ring: &mut KeyRing, keys: &SecretKeys, user: &str) -> PresenceAuth {
    let (topic, payload) = presence(keys, user);
    let public = keys.public();
    ring.check_presence(user, &topic, &payload, Some(public.sign), Some(public.boxing))
}

#[test]
fn the_first_key_is_remembered_and_later_messages_are_checked_against_it() {
    let (bob, mallory) = (keys(1), keys(2));
    let mut ring = KeyRing::default();
    assert_eq!(seen(&mut ring, &bob, "bob"), PresenceAuth::Signed { first_use: true });
    assert!(ring.take_changed());
    assert_eq!(seen(&mut ring, &bob, "bob"), PresenceAuth::Signed { first_use: false });
    assert!(!ring.take_changed());

    let table = [
        (
            "bob's own line",
            bob.sign("chat/general", chat("bob")),
            "chat/general",
            Auth::Signed,
        ),
        ("unsigned under bob's name", chat("bob"), "chat/general", Auth::Forged),
        (
            "signed by another key",
            mallory.sign("chat/general", chat("bob")),
            "chat/general",
            Auth::Forged,
        ),
        (
            "replayed to another room",
            bob.sign("chat/general", chat("bob")),
            "chat/random",
            Auth::Forged,
        ),
        (
            "replayed to a person",
            bob.sign("dm/carol", chat("bob")),
            "dm/alice",
            Auth::Forged,
        ),
        ("unknown name, unsigned", chat("carol"), "chat/general", Auth::Unsigned),
        (
            "unknown name, signed",
            mallory.sign("chat/general", chat("carol")),
            "chat/general",
            Auth::UnknownKey,
        ),
    ];
    for (what, payload, topic, want) in table {
        let user = if what.starts_with("unknown") { "carol" } else { "bob" };
        assert_eq!(ring.check_chat(user, topic, &payload), want, "{what}");
    }
}

#[test]
fn a_presence_under_a_known_name_not_signed_by_its_key_is_forged() {
    let (bob, mallory) = (keys(1), keys(2));
    let mut ring = KeyRing::default();
    seen(&mut ring, &bob, "bob");
    let (topic, payload) = presence(&bob, "bob");
    // No key announced, or a signature that does not match the one announced.
    assert_eq!(
        ring.check_presence("bob", &topic, &payload, None, None),
        PresenceAuth::Forged
    );
    let unsigned = br#"{"v":1,"user":"bob","status":"offline","ts":"2026-12-01T10:00:00Z","session":"x"}"#;
    let key = Some(bob.public().sign);
    assert_eq!(
        ring.check_presence("bob", &topic, unsigned, key, None),
        PresenceAuth::Forged
    );
    assert_eq!(
        ring.check_presence("bob", "presence/eve", &payload, key, None),
        PresenceAuth::Forged
    );
    // Mallory's own key, announced for bob: a new key, not a forgery of bob's signature.
    assert_eq!(
        seen(&mut ring, &mallory, "bob"),
        PresenceAuth::NewKey { first_warning: true }
    );
    // An unsigned presence for a name never signed is what simple clients send.
    assert_eq!(
        ring.check_presence("paho", "presence/paho", b"online", None, None),
        PresenceAuth::Unsigned
    );
}

#[test]
fn a_new_key_warns_once_and_is_marked_until_trusted() {
    let (old, new) = (keys(1), keys(2));
    let mut ring = KeyRing::default();
    seen(&mut ring, &old, "bob");
    assert_eq!(
        seen(&mut ring, &new, "bob"),
        PresenceAuth::NewKey { first_warning: true }
    );
    assert_eq!(
        seen(&mut ring, &new, "bob"),
        PresenceAuth::NewKey { first_warning: false }
    );
    let line = new.sign("chat/general", chat("bob"));
    assert_eq!(ring.check_chat("bob", "chat/general", &line), Auth::NewKey);
    // The old key still speaks for bob until the user decides.
    let old_line = old.sign("chat/general", chat("bob"));
    assert_eq!(ring.check_chat("bob", "chat/general", &old_line), Auth::Signed);
    assert!(ring.describe("bob").iter().any(|l| l.contains("/trust bob")));

    assert_eq!(ring.trust("bob"), Ok(new.public().sign));
    assert_eq!(ring.check_chat("bob", "chat/general", &line), Auth::Signed);
    assert_eq!(ring.check_chat("bob", "chat/general", &old_line), Auth::Forged);
    assert_eq!(ring.box_key("bob"), Some(new.public().boxing));
    assert!(ring.trust("bob").is_err(), "trusted already");
    assert!(ring.trust("nobody").is_err());
}

#[test]
fn untrust_marks_the_name_until_trusted_again() {
    let bob = keys(1);
    let mut ring = KeyRing::default();
    seen(&mut ring, &bob, "bob");
    ring.take_changed();
    assert_eq!(ring.untrust("bob"), Ok(bob.public().sign));
    assert!(ring.take_changed());
    let line = bob.sign("chat/general", chat("bob"));
    assert_eq!(ring.check_chat("bob", "chat/general", &line), Auth::Untrusted);
    assert_eq!(seen(&mut ring, &bob, "bob"), PresenceAuth::Untrusted);
    assert_eq!(ring.box_key("bob"), None, "no sealing to an untrusted key");
    assert!(ring.untrust("bob").is_err());
    assert_eq!(ring.trust("bob"), Ok(bob.public().sign));
    assert_eq!(ring.check_chat("bob", "chat/general", &line), Auth::Signed);
}

#[test]
fn our_own_name_must_be_signed_by_our_key() {
    let me = keys(5);
    let mut ring = KeyRing::default();
    ring.remember_own("alice", me.public().sign, me.public().boxing);
    let forged = keys(6).sign("chat/general", chat("alice"));
    assert_eq!(ring.check_chat("alice", "chat/general", &forged), Auth::Forged);
    assert_eq!(ring.check_chat("alice", "chat/general", &chat("alice")), Auth::Forged);
    let ours = me.sign("chat/general", chat("alice"));
    assert_eq!(ring.check_chat("alice", "chat/general", &ours), Auth::Signed);
}

#[test]
fn the_file_is_plain_text_that_reads_back() {
    let (bob, eve) = (keys(1), keys(2));
    let mut ring = KeyRing::default();
    seen(&mut ring, &bob, "bob");
    seen(&mut ring, &eve, "eve");
    ring.untrust("eve").unwrap();
    let text = ring.to_file("127.0.0.1:1883");
    assert!(
        text.contains(&format!("bob {} box:", key_to_base64(&bob.public().sign))),
        "{text}"
    );
    assert!(
        text.lines().any(|l| l.starts_with("eve ") && l.ends_with(" untrusted")),
        "{text}"
    );

    let mut back = KeyRing::default();
    let edited = format!(
        "{text}\nnot a line\n# a comment\n\ncarol {}\n",
        key_to_base64(&keys(3).public().sign)
    );
    let problems = back.load(&edited);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].starts_with("line "), "{problems:?}");
    assert_eq!(back.get("bob"), ring.get("bob"));
    assert!(!back.get("eve").unwrap().trusted);
    assert!(back.get("carol").is_some_and(|k| k.trusted && k.boxing.is_none()));
    assert!(!back.take_changed(), "reading the file is no change");
}
