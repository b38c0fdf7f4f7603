//! Sizes and refusals at MQTT 5: a huge retained message dropped by the
//! broker, a publish it refuses, a message over its maximum packet size.

use super::*;

#[test]
fn a_20_mib_retained_message_on_a_room_or_presence_topic_leaves_the_client_connected() {
    let started = Instant::now();
    let Some(broker) = mosquitto("") else { return };
    let huge = vec![b'x'; HUGE];
    let mut hoarder = RawPublisher::connect(&broker, "hoarder");
    for topic in ["chat/general", "presence/x"] {
        hoarder.publish(topic, &huge, true);
    }
    hoarder.finish();
    for topic in ["chat/general", "presence/x"] {
        let taken = format!("'{topic}', ... ({HUGE} bytes)");
        assert_eq!(
            log_count(&broker, &["Received PUBLISH from hoarder", &taken]),
            1,
            "{topic}"
        );
    }

    let mut alice = spawn_with_defaults(broker.port, "alice");
    assert_connected_at(&mut alice, "5");
    let connected = Instant::now();
    assert_eq!(logged_protocols(&broker, "alice"), ["p5"]);
    let mut bob = Komunikator::join(&broker, "bob", &["--mqtt", "5"]);
    sleep_until(connected + Duration::from_secs(10));
    bob.send_line("still there?");
    alice.stdout.wait_for("with bob's line", WAIT, |l| {
        is_chat_line(l, "general", "bob", "still there?")
    });
    assert_stayed_connected(&mut alice);
    assert_eq!(logged_protocols(&broker, "alice"), ["p5"], "one connection all along");
    bob.quit();
    alice.quit();
    eprintln!("took {:?}", started.elapsed());
}

/// Anonymous clients (the observer) may do anything; alice reads every room
/// but writes only #general.
const ACL: &str = "\
topic readwrite #

user alice
topic read chat/#
topic write chat/general
topic readwrite presence/#
topic readwrite dm/#
";

#[test]
fn a_publish_the_broker_refuses_is_reported_not_sent_and_is_not_sent_again() {
    let started = Instant::now();
    let Some(access) = Access::new(&[("alice", "wonderland")], ACL) else {
        return;
    };
    let Some(broker) = Broker::start_mosquitto_guarded(&access) else {
        return;
    };
    let password = access.password_file("alice");
    let password = password.to_str().expect("a UTF-8 path");
    let mut watcher = observer(&broker, "watcher", &["chat/#"]);
    let login = [
        "--mqtt",
        "5",
        "--user",
        "alice",
        "--password-file",
        password,
        "-r",
        "locked",
        "-r",
        "general",
    ];
    let mut alice = Komunikator::join(&broker, "alice", &[&["--json"][..], &login].concat());
    let alice_id = client_id(&broker, "alice");
    // The same login in text line mode.
    let mut carol = Komunikator::join(&broker, "carol", &login);
    let carol_id = client_id(&broker, "carol");

    alice.send_line("let me in");
    let refused = wait_record(&mut alice, "not-sent", WAIT, |v| v["event"] == "not-sent");
    assert_eq!(
        (&refused["room"], &refused["text"]),
        (&"locked".into(), &"let me in".into())
    );
    assert!(refused["id"].as_str().is_some_and(|id| !id.is_empty()), "{refused}");
    let reason = refused["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("not authorised"), "{refused}");

    carol.send_line("knock knock");
    let said = carol.expect_stderr("not sent", WAIT);
    assert!(
        said.contains("\"knock knock\"") && said.contains("not authorised"),
        "{said}"
    );

    alice.send_line("/join general");
    alice.send_line("in the open");
    let seen: Vec<(String, String)> = messages_through(&mut watcher, |m| chat_text(m) == "in the open")
        .iter()
        .map(|m| (m.topic.clone(), chat_text(m)))
        .collect();
    if seen != [("chat/general".to_owned(), "in the open".to_owned())] {
        let (alice, carol) = (alice.transcript(), carol.transcript());
        panic!("the observer of chat/# received {seen:?}, not alice's one line\nalice:\n{alice}\ncarol:\n{carol}");
    }
    // Each refused publish reached the broker once: none was sent again.
    for id in [&alice_id, &carol_id] {
        let denied = log_count(&broker, &[&format!("Denied PUBLISH from {id} "), "'chat/locked'"]);
        assert_eq!(denied, 1, "{id}: denied {denied} times");
    }
    assert_eq!(records(&mut alice, |v| v["event"] == "not-sent").len(), 1);
    // A refusal is an answer, not a broken link: the connection stays up.
    for client in [&mut alice, &mut carol] {
        assert_stayed_connected(client);
    }
    for client in [alice, carol] {
        quit_with_unsent(client);
    }
    eprintln!("took {:?}", started.elapsed());
}

/// mosquitto, alice (`--json`) on it directly and bob through a proxy (to
/// cut his link), both at MQTT 5 and seeing each other.

#[test]
fn a_message_larger_than_the_brokers_maximum_packet_size_is_refused_before_it_is_sent() {
    let started = Instant::now();
    let Some(broker) = mosquitto("max_packet_size 10000\n") else {
        return;
    };
    let mut watcher = observer(&broker, "watcher", &["chat/#"]);
    let mut alice = Komunikator::spawn(&broker, "alice", &["--mqtt", "5"]);
    assert_connected_at(&mut alice, "5");
    alice.send_line(&"y".repeat(20_000));
    let said = alice.expect_stderr("not sent", WAIT);
    assert!(said.contains("too large for this broker"), "{said}");
    alice.send_line("small enough");
    let seen: Vec<(String, String)> = messages_through(&mut watcher, |m| chat_text(m) == "small enough")
        .iter()
        .map(|m| (m.topic.clone(), chat_text(m)))
        .collect();
    assert_eq!(
        seen,
        [("chat/general".to_owned(), "small enough".to_owned())],
        "what the observer of chat/# received"
    );
    assert_stayed_connected(&mut alice);
    assert_eq!(logged_protocols(&broker, "alice"), ["p5"], "one connection all along");
    quit_with_unsent(alice);
    eprintln!("took {:?}", started.elapsed());
}
