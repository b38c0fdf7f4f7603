//! Chatting end to end: the real binary in line mode against real brokers.

use komunikator_testkit as testkit;

use serde_json::Value;
use testkit::{chat_payload, is_action_line, is_chat_line, with_each_broker, Komunikator, Probe, WAIT};

fn count(lines: &[String], pred: impl Fn(&str) -> bool) -> usize {
    lines.iter().filter(|l| pred(l)).count()
}

#[test]
fn two_clients_chat_both_ways_in_one_room_and_not_across_rooms() {
    with_each_broker("chat_both_ways", |broker| {
        let mut alice = Komunikator::join(broker, "alice", &[]);
        let mut bob = Komunikator::join(broker, "bob", &["-r", "general"]);
        let mut carol = Komunikator::join(broker, "carol", &["-r", "elsewhere"]);

        alice.send_line("hello from alice");
        bob.stdout.wait_for("with alice's message", WAIT, |l| {
            is_chat_line(l, "general", "alice", "hello from alice")
        });
        bob.send_line("hi alice, bob here");
        alice.stdout.wait_for("with bob's answer", WAIT, |l| {
            is_chat_line(l, "general", "bob", "hi alice, bob here")
        });

        carol.send_line("carol talks elsewhere");
        carol.stdout.wait_for("with carol's own message", WAIT, |l| {
            is_chat_line(l, "elsewhere", "carol", "carol talks elsewhere")
        });
        // Sent after carol's message reached the broker: if carol's had been
        // routed to #general, bob would have it before this one.
        alice.send_line("last from alice");
        bob.stdout.wait_for("with alice's last message", WAIT, |l| {
            is_chat_line(l, "general", "alice", "last from alice")
        });

        let carol = carol.quit();
        let bob = bob.quit();
        let alice = alice.quit();
        for (who, out) in [("alice", &alice.stdout), ("bob", &bob.stdout)] {
            assert_eq!(
                count(out, |l| l.contains("carol talks elsewhere")),
                0,
                "{who} saw a message from another room:\n{}",
                out.join("\n")
            );
        }
        assert_eq!(
            count(&carol.stdout, |l| l.contains(" #general ")),
            0,
            "carol saw #general messages:\n{}",
            carol.stdout.join("\n")
        );
    });
}

#[test]
fn join_and_part_change_rooms_and_the_active_one() {
    with_each_broker("join_and_part", |broker| {
        let mut alice = Komunikator::join(broker, "alice", &[]);
        let mut bob = Komunikator::join(broker, "bob", &[]);

        bob.send_line("/join side");
        bob.stderr
            .wait_for("confirming the join", WAIT, |l| l == "komunikator: joined #side");
        // The active room is now #side: a plain line goes there, and its echo
        // proves the subscription is in place.
        bob.send_line("bob in side");
        bob.stdout.wait_for("with bob's own message in #side", WAIT, |l| {
            is_chat_line(l, "side", "bob", "bob in side")
        });

        alice.send_line("/join side");
        alice.send_line("alice in side");
        alice.stdout.wait_for("with alice's own message in #side", WAIT, |l| {
            is_chat_line(l, "side", "alice", "alice in side")
        });
        bob.stdout.wait_for("with alice's message in #side", WAIT, |l| {
            is_chat_line(l, "side", "alice", "alice in side")
        });

        // Leaving the active room makes the remaining one active.
        bob.send_line("/part");
        bob.stderr
            .wait_for("confirming the part", WAIT, |l| l == "komunikator: left #side");
        bob.send_line("bob back in general");
        alice.stdout.wait_for("with bob's message in #general", WAIT, |l| {
            is_chat_line(l, "general", "bob", "bob back in general")
        });

        alice.send_line("said after bob left");
        alice.stdout.wait_for("with its own message after bob left", WAIT, |l| {
            is_chat_line(l, "side", "alice", "said after bob left")
        });
        alice.send_line("/join general");
        alice
            .stderr
            .wait_for("switching back", WAIT, |l| l == "komunikator: #general is now active");
        alice.send_line("sync");
        bob.stdout.wait_for("with alice's sync message", WAIT, |l| {
            is_chat_line(l, "general", "alice", "sync")
        });

        let bob = bob.quit();
        let alice = alice.quit();
        assert_eq!(
            count(&bob.stdout, |l| l.contains("said after bob left")),
            0,
            "bob still saw #side after /part:\n{}",
            bob.stdout.join("\n")
        );
        assert_eq!(
            count(&alice.stdout, |l| l.contains("bob in side")),
            0,
            "alice saw #side before joining it:\n{}",
            alice.stdout.join("\n")
        );
    });
}

#[test]
fn me_shows_as_an_action() {
    with_each_broker("me_action", |broker| {
        let mut alice = Komunikator::join(broker, "alice", &[]);
        let mut bob = Komunikator::join(broker, "bob", &[]);
        alice.send_line("/me waves at everyone");
        bob.stdout.wait_for("with alice's action", WAIT, |l| {
            is_action_line(l, "general", "alice", "waves at everyone")
        });
        alice.stdout.wait_for("with its own action", WAIT, |l| {
            is_action_line(l, "general", "alice", "waves at everyone")
        });
        bob.quit();
        alice.quit();
    });
}

#[test]
fn raw_payloads_from_other_mqtt_clients_are_shown_not_dropped() {
    with_each_broker("raw_payloads", |broker| {
        let mut alice = Komunikator::join(broker, "alice", &[]);
        let mut raw = Probe::connect(broker, "raw-publisher");
        raw.publish("chat/general", "hi", false);
        alice.stdout.wait_for("with the raw text from '?'", WAIT, |l| {
            is_chat_line(l, "general", "?", "hi")
        });
        raw.publish("chat/general", vec![0xff, 0xfe, 0x00], false);
        alice.stdout.wait_for("with a placeholder for binary", WAIT, |l| {
            is_chat_line(l, "general", "?", "<binary, 3 B>")
        });
        raw.publish("chat/general", chat_payload("dave", "proper json from a script"), false);
        alice.stdout.wait_for("with the scripted message", WAIT, |l| {
            is_chat_line(l, "general", "dave", "proper json from a script")
        });
        alice.quit();
    });
}

fn str_field<'a>(v: &'a Value, name: &str) -> &'a str {
    v[name]
        .as_str()
        .unwrap_or_else(|| panic!("no string field {name:?} in {v}"))
}

fn assert_rfc3339(v: &Value) {
    let ts = str_field(v, "ts");
    assert!(
        chrono::DateTime::parse_from_rfc3339(ts).is_ok(),
        "ts is not RFC 3339: {v}"
    );
}

#[test]
fn json_output_parses_with_the_promised_fields() {
    with_each_broker("json_output", |broker| {
        let mut alice = Komunikator::join(broker, "alice", &["--json"]);
        let mut bob = Komunikator::join(broker, "bob", &[]);
        let mut raw = Probe::connect(broker, "raw-publisher");

        bob.send_line("plain \"quoted\" text");
        bob.send_line("/me nods");
        alice.stdout.wait_for("with bob's action", WAIT, |l| l.contains("nods"));
        raw.publish("chat/general", "hi", false);
        alice
            .stdout
            .wait_for("with the raw message", WAIT, |l| l.contains("\"form\":\"plain\""));
        bob.quit();
        alice.stdout.wait_for("with bob going offline", WAIT, |l| {
            l.contains("\"user\":\"bob\"") && l.contains("\"offline\"")
        });

        let alice = alice.quit();
        let events: Vec<Value> = alice
            .stdout
            .iter()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect();
        let messages: Vec<&Value> = events.iter().filter(|v| v["event"] == "message").collect();
        for m in &messages {
            for field in ["room", "user", "text", "kind"] {
                str_field(m, field);
            }
            assert!(m["id"].is_string() || m["id"].is_null(), "id: {m}");
            assert_rfc3339(m);
        }
        let find = |text: &str| {
            *messages
                .iter()
                .find(|m| m["text"] == text)
                .unwrap_or_else(|| panic!("no message {text:?} in {events:?}"))
        };
        let plain = find("plain \"quoted\" text");
        assert_eq!(
            (plain["room"].as_str(), plain["user"].as_str()),
            (Some("general"), Some("bob"))
        );
        assert_eq!(plain["kind"], "text");
        assert!(plain["id"].is_string() && plain.get("form").is_none(), "{plain}");
        assert_eq!(find("nods")["kind"], "action");
        let raw = find("hi");
        assert_eq!((raw["user"].as_str(), raw["form"].as_str()), (Some("?"), Some("plain")));

        let presence: Vec<&Value> = events.iter().filter(|v| v["event"] == "presence").collect();
        for p in &presence {
            for field in ["user", "status"] {
                str_field(p, field);
            }
            assert!(p["retained"].is_boolean(), "retained: {p}");
            assert_rfc3339(p);
        }
        let bob_status: Vec<&str> = presence
            .iter()
            .filter(|p| p["user"] == "bob")
            .map(|p| str_field(p, "status"))
            .collect();
        assert_eq!(bob_status, ["online", "offline"], "{presence:?}");
        // One per (re)connect: the broker in use and the MQTT version it speaks.
        let connected: Vec<&Value> = events.iter().filter(|v| v["event"] == "connected").collect();
        assert_eq!(connected.len(), 1, "{connected:?}");
        assert_eq!(str_field(connected[0], "server"), broker.address());
        assert!(
            ["5", "3.1.1"].contains(&str_field(connected[0], "mqtt")),
            "{connected:?}"
        );
        assert_eq!(
            events.len(),
            messages.len() + presence.len() + connected.len(),
            "unknown events: {events:?}"
        );
    });
}

#[test]
fn own_messages_appear_exactly_once_at_every_qos() {
    with_each_broker("own_messages_once", |broker| {
        for qos in ["0", "1", "2"] {
            let mut bob = Komunikator::join(broker, "bob", &[]);
            let mut alice = Komunikator::join(broker, "alice", &["--qos", qos]);
            let first = format!("first at qos {qos}");
            let second = format!("second at qos {qos}");
            alice.send_line(&first);
            alice.send_line(&second);
            alice.stdout.wait_for("with its second message", WAIT, |l| {
                is_chat_line(l, "general", "alice", &second)
            });
            bob.stdout.wait_for("with alice's second message", WAIT, |l| {
                is_chat_line(l, "general", "alice", &second)
            });
            let alice = alice.quit();
            let bob = bob.quit();
            for (who, out) in [("alice", &alice.stdout), ("bob", &bob.stdout)] {
                for text in [&first, &second] {
                    let shown = count(out, |l| is_chat_line(l, "general", "alice", text));
                    assert_eq!(shown, 1, "{who} showed {text:?} {shown} times:\n{}", out.join("\n"));
                }
            }
        }
    });
}
