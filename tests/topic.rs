//! Room topics end to end: the real binary in `--json` line mode against
//! real brokers, and a plain `mosquitto_pub` setting one.

use std::process::Command;

use komunikator_testkit as testkit;

use serde_json::Value;
use testkit::records::{is_message, record, records};
use testkit::{mosquitto_tool, with_each_broker, Komunikator, WAIT};

fn is_topic(line: &str, text: &str, user: Option<&str>, retained: bool) -> bool {
    record(line).is_some_and(|v| {
        v["event"] == "topic"
            && v["room"] == "general"
            && v["text"] == text
            && v["user"] == user.map_or(Value::Null, Value::from)
            && v["retained"] == retained
    })
}

#[test]
fn a_topic_is_kept_for_later_joiners_and_clearing_it_reaches_everyone() {
    with_each_broker("topic_retained", |broker| {
        let mut alice = Komunikator::join(broker, "alice", &["--json"]);
        alice.send_line("/topic Release on Friday");
        alice
            .stdout
            .wait_for("alice's own topic back from the broker", WAIT, |l| {
                is_topic(l, "Release on Friday", Some("alice"), false)
            });

        // bob comes later: the broker hands him the retained topic.
        let mut bob = Komunikator::join(broker, "bob", &["--json"]);
        bob.stdout.wait_for("the retained topic", WAIT, |l| {
            is_topic(l, "Release on Friday", Some("alice"), true)
        });

        alice.send_line("/topic --clear");
        bob.stdout
            .wait_for("the topic cleared", WAIT, |l| is_topic(l, "", Some("alice"), false));

        // carol comes after the clearing: no topic for her.
        let mut carol = Komunikator::join(broker, "carol", &["--json"]);
        carol.send_line("anyone here?");
        carol.stdout.wait_for("carol's own message", WAIT, |l| {
            record(l).is_some_and(|v| is_message(&v, "carol", "anyone here?"))
        });
        let topics = records(&mut carol, |v| v["event"] == "topic");
        assert!(topics.is_empty(), "carol was told of a cleared topic: {topics:?}");

        carol.quit();
        bob.quit();
        alice.quit();
    });
}

#[test]
fn a_plain_mosquitto_pub_topic_shows_as_text_from_an_unknown_sender() {
    let Some(mosquitto_pub) = mosquitto_tool("mosquitto_pub") else {
        return;
    };
    with_each_broker("topic_plain", |broker| {
        let port = broker.port.to_string();
        let publish = |args: &[&str]| {
            let status = Command::new(&mosquitto_pub)
                .args(["-h", "127.0.0.1", "-p", &port, "-q", "1"])
                .args(args)
                .status()
                .expect("run mosquitto_pub");
            assert!(status.success(), "mosquitto_pub {args:?}: {status}");
        };
        let mut bob = Komunikator::join(broker, "bob", &["--json"]);
        publish(&["-r", "-t", "topic/general", "-m", "hello \u{1b}[2J"]);
        bob.stdout
            .wait_for("the plain topic", WAIT, |l| is_topic(l, "hello \u{1b}[2J", None, false));
        // The same client still chats.
        publish(&["-t", "chat/general", "-m", "plain hi"]);
        bob.stdout.wait_for("the plain chat line", WAIT, |l| {
            record(l).is_some_and(|v| v["event"] == "message" && v["user"] == "?" && v["text"] == "plain hi")
        });
        // A later joiner gets it, retained; the text line shows it escaped.
        let mut carol = Komunikator::join(broker, "carol", &[]);
        let line = carol.stdout.wait_for("the plain topic as text", WAIT, |l| {
            l.contains(" #general * topic: hello ")
        });
        assert!(!line.contains('\u{1b}'), "{line:?}");
        // An empty retained payload deletes it: no one is told of it after.
        publish(&["-r", "-n", "-t", "topic/general"]);
        bob.stdout
            .wait_for("the topic deleted", WAIT, |l| is_topic(l, "", None, false));
        carol.quit();
        bob.quit();
    });
}
