//! Who cannot sign still chats: `mosquitto_pub -m` and a script's JSON
//! under a name with no known key show as `"auth":"unsigned"`, with no
//! warning. Names that look like one already seen (`aIice` with a capital
//! i, all-Cyrillic `аӏісе`) or break the name rules (mixed scripts, the
//! Hangul filler U+3164) are flagged; `alice` herself is not.

use super::*;

use testkit::chat_payload;

/// No mark of any kind on a message record.
fn assert_unmarked(v: &Value) {
    for field in ["warning", "lookalike", "invalid_name", "sealed"] {
        assert!(v.get(field).is_none(), "{field} in {v}");
    }
}

#[test]
fn mosquitto_pub_and_a_scripts_json_show_as_unsigned_without_a_warning() {
    let Some(net) = Net::example() else { return };
    let mut carol = net.join("carol", None, &["--json"]);
    net.publish_as("alice", "chat/general", "plain text");
    let plain = message_in(&mut carol, "general", "?", "plain text");
    assert_eq!(
        (&plain["auth"], &plain["form"]),
        (&"unsigned".into(), &"plain".into()),
        "{plain}"
    );
    assert_unmarked(&plain);

    net.publish_as("alice", "chat/general", &chat_payload("paho", "from a script"));
    let scripted = message_in(&mut carol, "general", "paho", "from a script");
    assert_eq!(scripted["auth"], "unsigned", "{scripted}");
    assert_unmarked(&scripted);
    carol.quit();
}

#[test]
fn names_like_alice_or_breaking_the_rules_are_flagged_and_alice_is_not() {
    let Some(net) = Net::example() else { return };
    let mut alice = net.join("alice", None, &[]);
    let mut carol = net.join("carol", None, &["--json"]);
    // carol has seen alice (her presence): the name is taken.
    wait_online(&mut carol, "alice");

    let like_alice = ["aIice", "\u{430}\u{4cf}\u{456}\u{441}\u{435}"];
    let invalid = ["\u{430}lice", "alice\u{3164}"];
    for name in like_alice.iter().chain(&invalid) {
        net.publish_as("bob", "chat/general", &chat_payload(name, &format!("as {name}")));
    }
    alice.send_line("the real alice");

    for name in like_alice {
        let v = message_in(&mut carol, "general", name, &format!("as {name}"));
        assert_eq!(
            (&v["warning"], &v["lookalike"]),
            (&"⚠ looks like alice".into(), &"alice".into()),
            "{name:?}: {v}"
        );
        assert!(v.get("invalid_name").is_none(), "{name:?}: {v}");
    }
    for name in invalid {
        let v = message_in(&mut carol, "general", name, &format!("as {name}"));
        assert_eq!(v["warning"], "⚠ invalid name", "{name:?}: {v}");
        let why = v["invalid_name"].as_str().unwrap_or_default();
        assert!(!why.is_empty(), "{name:?}: no reason given: {v}");
        assert!(v.get("lookalike").is_none(), "{name:?}: {v}");
    }
    assert_signed(&message_in(&mut carol, "general", "alice", "the real alice"));
    carol.quit();
    alice.quit();
}
