//! Hostile and broken input end to end: escape sequences, bidi and invisible
//! characters in texts, names and topics; payloads that are not what they
//! claim; huge payloads and floods. The client keeps running, loses nothing
//! else, keeps its memory bounded, and never lets a control reach the terminal.
//! The same inputs are also fed to the full-screen UI's state and drawn.

mod inputs;

use komunikator_testkit as testkit;

use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::Utc;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use serde_json::Value;
use testkit::{
    carries_oversize, chat_payload, is_chat_line, memory_kib, with_each_broker, BrokerKind, Komunikator, Probe,
    RawPublisher, WAIT,
};

use komunikator::app::{Event, NetEvent, State};
use komunikator::protocol::display::human_size;
use komunikator::protocol::payload::MAX_SHOWN_TEXT_BYTES;
use komunikator::settings::{Mode, Settings};

use inputs::{assert_terminal_safe, broken, c1, hostile, hostile_topics};

/// Feeds arrivals to a full-screen state and draws it; returns the screen rows.
fn draw_after(arrivals: &[(String, Vec<u8>)]) -> Vec<String> {
    let now = Utc::now();
    let mut state = State::new(Settings::for_test("alice", &["general"], Mode::Tui), now, 0);
    state.update(
        Event::Net(NetEvent::Connected {
            session: "s".into(),
            link: komunikator::app::testing::link(komunikator::settings::Spoken::V311),
        }),
        now,
    );
    state.update(Event::Net(NetEvent::Subscribed { refused: 0 }), now);
    for (topic, payload) in arrivals {
        let message = NetEvent::Message {
            topic: topic.clone(),
            payload: Bytes::from(payload.clone()),
            retained: false,
        };
        state.update(Event::Net(message), now);
    }
    // The direct message opened a conversation; look at the room.
    state.update(Event::Key(komunikator::app::key::Key::alt('1')), now);
    let (width, height) = (230, 80);
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| komunikator::ui::draw(frame, &state, chrono::Offset::fix(&chrono::Utc)))
        .unwrap();
    let buffer = terminal.backend().buffer();
    (0..height)
        .map(|y| (0..width).map(|x| buffer[(x, y)].symbol()).collect::<String>())
        .collect()
}

#[test]
fn hostile_text_names_and_topics_are_shown_escaped_in_the_ui() {
    let mut all = hostile();
    all.extend(hostile_topics());
    for (topic, payload, shown) in all {
        let rows = draw_after(&[(topic.clone(), payload)]);
        assert_terminal_safe(&format!("the screen after {topic:?}"), &rows);
        let screen = rows.join("\n");
        // A direct message opens its own conversation, listed in the panel.
        let shown = if topic.starts_with("dm/") { "@?" } else { shown };
        assert!(screen.contains(shown), "the screen lacks {shown:?}:\n{screen}");
    }
}

#[test]
fn broken_payloads_are_shown_for_what_they_are_in_the_ui() {
    for (payload, shown) in broken() {
        let rows = draw_after(&[("chat/general".to_owned(), payload)]);
        assert_terminal_safe("the screen", &rows);
        let screen = rows.join("\n");
        // The UI has no "#general" prefix; a 20 000-character line shows its end.
        let shown = shown.trim_start_matches("#general ").trim_end();
        let shown = if shown.starts_with("<?> [[[[") {
            "]]]]]]]]"
        } else {
            shown
        };
        assert!(screen.contains(shown), "the screen lacks {shown:?}:\n{screen}");
    }
}

#[test]
fn hostile_text_names_and_topics_are_shown_escaped_in_line_mode() {
    with_each_broker("hostile_line_mode", |broker| {
        let mut alice = Komunikator::join(broker, "alice", &[]);
        let mut jane = Komunikator::join(broker, "jane", &["--json"]);
        let mut raw = Probe::connect(broker, "mallory");
        for (topic, payload, _) in hostile() {
            raw.publish(&topic, payload, false);
        }
        raw.publish("chat/general", chat_payload("dave", "normal after hostile"), false);
        for client in [&mut alice, &mut jane] {
            client
                .stdout
                .wait_for("with the normal message", WAIT, |l| l.contains("normal after hostile"));
        }
        let alice = alice.quit();
        let jane = jane.quit();
        for (who, done) in [("alice", &alice), ("jane", &jane)] {
            assert_terminal_safe(&format!("{who} stdout"), &done.stdout);
            assert_terminal_safe(&format!("{who} stderr"), &done.stderr);
        }
        let both = [alice.stdout.as_slice(), alice.stderr.as_slice()].concat();
        for (_, _, shown) in hostile() {
            assert!(
                both.iter().any(|l| l.contains(shown)),
                "alice never showed {shown:?}:\n{}",
                both.join("\n")
            );
        }
        // JSON keeps the exact text, escaped so that the terminal is safe.
        let texts: Vec<String> = jane
            .stdout
            .iter()
            .map(|l| serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .filter(|v| v["event"] == "message")
            .map(|v| v["text"].as_str().unwrap().to_owned())
            .collect();
        for text in ["\x1b[2J\x1b[31mred", "\x1b]52;c;aGVsbG8=\x07", &c1()] {
            assert!(texts.iter().any(|t| t == text), "{text:?} not in {texts:?}");
        }
    });
}

#[test]
fn broken_payloads_are_shown_for_what_they_are_in_line_mode() {
    with_each_broker("broken_line_mode", |broker| {
        let mut alice = Komunikator::join(broker, "alice", &[]);
        let mut raw = RawPublisher::connect(broker, "broken");
        for (payload, _) in broken() {
            raw.publish("chat/general", &payload, false);
        }
        // 10 MiB of text (1 MiB where the broker takes no more than 2 MiB):
        // shown cut, with what was cut counted.
        let size: usize = if broker.kind == BrokerKind::Mosquitto {
            10 << 20
        } else {
            1 << 20
        };
        let huge = chat_payload("dave", &"a".repeat(size));
        raw.publish("chat/general", huge.as_bytes(), false);
        raw.publish(
            "chat/general",
            chat_payload("dave", "normal after broken").as_bytes(),
            false,
        );
        raw.finish();
        alice.stdout.wait_for("with the normal message", WAIT, |l| {
            is_chat_line(l, "general", "dave", "normal after broken")
        });
        let hwm = memory_kib(alice.pid(), "VmHWM");
        eprintln!("VmHWM after the broken payloads and a {size}-byte text: {hwm} KiB");
        let alice = alice.quit();
        assert_terminal_safe("stdout", &alice.stdout);
        for (_, shown) in broken() {
            assert!(
                alice.stdout.iter().any(|l| l.contains(&shown)),
                "never showed {shown:?}:\n{}",
                alice.stdout.join("\n")
            );
        }
        let cut = alice
            .stdout
            .iter()
            .find(|l| l.contains("<dave> aaaa"))
            .expect("the 10 MiB message");
        let marker = format!("a … {} more", human_size(size - MAX_SHOWN_TEXT_BYTES));
        assert!(
            cut.ends_with(&marker),
            "{:?} does not end with {marker:?}",
            &cut[cut.len() - 40..]
        );
        assert!(cut.len() < 64 * 1024, "{} bytes shown", cut.len());
        assert!(
            hwm < 128 * 1024,
            "peak resident memory {hwm} KiB after a 10 MiB message"
        );
    });
}

/// The client said it connected at MQTT 5 (its connected notice ends so).
fn speaks_mqtt5(client: &mut Komunikator) -> bool {
    client
        .stderr
        .seen()
        .iter()
        .any(|l| l.contains("connected to ") && l.ends_with("(MQTT 5)"))
}

#[test]
fn a_200_mib_payload_is_refused_without_exhausting_memory_and_the_client_carries_on() {
    with_each_broker("payload_200_mib", |broker| {
        if !carries_oversize("payload_200_mib", broker) {
            return;
        }
        let mut alice = Komunikator::join(broker, "alice", &[]);
        let before = memory_kib(alice.pid(), "VmHWM");
        let mut raw = RawPublisher::connect(broker, "huge");
        raw.publish("chat/general", &vec![b'x'; 200 << 20], false);
        raw.finish();
        if speaks_mqtt5(&mut alice) {
            // It announced its maximum packet size: the broker drops the
            // message for it, and the connection is untouched.
            let dropped = alice
                .stderr
                .try_wait_for(Duration::from_secs(3), |l| l.contains("connection lost"));
            assert_eq!(dropped, None, "{}", alice.transcript());
        } else {
            let lost = alice.stderr.wait_for("refusing the huge message", WAIT, |l| {
                l.starts_with("komunikator: connection lost: ") && l.contains("exceeded the 16.0 MiB limit")
            });
            assert!(lost.contains("200.0 MiB"), "{lost}");
            alice
                .stderr
                .wait_for("reconnecting", WAIT, |l| l.starts_with("komunikator: reconnected to "));
        }
        let hwm = memory_kib(alice.pid(), "VmHWM");
        eprintln!("VmHWM before {before} KiB, after the 200 MiB payload {hwm} KiB");
        assert!(hwm < 64 * 1024, "peak resident memory {hwm} KiB (before: {before} KiB)");
        let mut probe = Probe::connect(broker, "after");
        probe.publish("chat/general", chat_payload("dave", "still working"), false);
        alice.stdout.wait_for("with the next message", WAIT, |l| {
            is_chat_line(l, "general", "dave", "still working")
        });
        alice.quit();
    });
}

#[test]
fn fifty_thousand_fake_users_fill_the_people_list_to_its_cap_with_one_notice() {
    with_each_broker("people_flood", |broker| {
        let mut alice = Komunikator::join(broker, "alice", &[]);
        let ts = Utc::now().to_rfc3339();
        let mut raw = RawPublisher::connect(broker, "sybil");
        raw.publish_all((0..50_000).map(|i| {
            let payload = format!(r#"{{"v":1,"user":"fake{i}","status":"online","ts":"{ts}","session":"s{i}"}}"#);
            RawPublisher::packet(&format!("presence/fake{i}"), payload.as_bytes(), false)
        }));
        raw.publish(
            "chat/general",
            chat_payload("dave", "after the crowd").as_bytes(),
            false,
        );
        raw.finish();
        alice
            .stdout
            .wait_for("with the message after the flood", Duration::from_secs(60), |l| {
                is_chat_line(l, "general", "dave", "after the crowd")
            });
        let hwm = memory_kib(alice.pid(), "VmHWM");
        eprintln!("VmHWM after 50 000 fake users: {hwm} KiB");
        let alice = alice.quit();
        let listed = alice.stdout.iter().filter(|l| l.ends_with(" is online")).count();
        // alice herself is the 10 000th: she lists herself without a line for it.
        assert_eq!(listed, 9_999, "people listed besides alice");
        let full = alice
            .stderr
            .iter()
            .filter(|l| l.contains("people list is full"))
            .count();
        assert_eq!(full, 1, "{:?}", alice.stderr);
        assert!(hwm < 96 * 1024, "peak resident memory {hwm} KiB");
    });
}

#[test]
fn a_flood_of_100k_messages_is_delivered_completely_and_in_order() {
    with_each_broker("message_flood", |broker| {
        let mut alice = Komunikator::join(broker, "alice", &[]);
        const N: usize = 100_000;
        let packets: Vec<Vec<u8>> = (0..N)
            .map(|i| {
                RawPublisher::packet(
                    "chat/general",
                    chat_payload("flood", &format!("n{i}")).as_bytes(),
                    false,
                )
            })
            .collect();
        let mut raw = RawPublisher::connect(broker, "flood");
        let started = Instant::now();
        raw.publish_all(packets);
        raw.finish();
        eprintln!("published {N} messages in {:?}", started.elapsed());
        let last = format!("n{}", N - 1);
        alice
            .stdout
            .wait_for("with the last message", Duration::from_secs(120), |l| {
                is_chat_line(l, "general", "flood", &last)
            });
        let alice = alice.quit();
        let shown: Vec<&str> = alice
            .stdout
            .iter()
            .filter_map(|l| l.get(8..)?.strip_prefix(" #general <flood> n"))
            .collect();
        assert_eq!(shown.len(), N, "messages shown");
        assert!(
            shown.iter().enumerate().all(|(i, n)| n.parse() == Ok(i)),
            "out of order"
        );
    });
}

#[test]
fn bad_local_input_gets_a_notice_and_sends_nothing() {
    with_each_broker("bad_local_input", |broker| {
        let mut watcher = Probe::connect(broker, "watcher");
        watcher.subscribe("chat/#");
        watcher.subscribe("dm/#");
        let mut alice = Komunikator::join(broker, "alice", &[]);
        let cases: Vec<(String, &str)> = vec![
            (
                "x".repeat(1 << 20),
                "message too long (1.0 MiB; the limit is 256.0 KiB); nothing sent",
            ),
            (
                "ring\x07the bell".into(),
                "message contains a control character (U+0007)",
            ),
            ("esc\x1b[2J".into(), "message contains a control character (U+001B)"),
            ("/join a/b".into(), "invalid room name"),
            (format!("/join {}", "r".repeat(65)), "65 characters long"),
            ("/join bo\u{200b}b".into(), "invalid room name"),
            ("/msg bad/name hi".into(), "invalid username"),
            ("/join #".into(), "invalid room name"),
        ];
        for (line, notice) in &cases {
            alice.send_line(line);
            alice
                .stderr
                .wait_for(&format!("refusing {:.30?}", line), WAIT, |l| l.contains(notice));
        }
        alice.send_line("a normal line");
        let first = watcher.wait_message("alice's message", |m| m.topic.starts_with("chat/"));
        assert_eq!(first.json()["text"], "a normal line", "something else was sent first");
        let alice = alice.quit();
        assert_terminal_safe("stderr", &alice.stderr);
    });
}
