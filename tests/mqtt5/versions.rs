//! Versions and brokers: falling back to 3.1.1 where MQTT 5 is refused,
//! clients of both versions in one room, and failover to the next broker.

use super::*;

fn falls_back_to_3_1_1(broker: &Broker) {
    let mut alice = Komunikator::spawn(broker, "alice", &["--mqtt", "auto", "--json"]);
    let connected = wait_record(&mut alice, "connected", WAIT, |v| v["event"] == "connected");
    assert_eq!(
        (&connected["server"], &connected["mqtt"]),
        (&broker.address().into(), &"3.1.1".into()),
        "{connected}"
    );
    alice.wait_ready();
    let mut bob = Komunikator::spawn(broker, "bob", &["--mqtt", "auto"]);
    assert_connected_at(&mut bob, "3.1.1");
    for client in [&mut alice, &mut bob] {
        assert_stayed_connected(client);
    }
    bob.send_line("at 3.1.1");
    wait_record(&mut alice, "with bob's line", WAIT, |v| {
        is_message(v, "bob", "at 3.1.1")
    });
    bob.quit();
    alice.quit();

    let only_5 = Komunikator::spawn(broker, "carol", &["--mqtt", "5"]).finish(WAIT);
    assert_eq!(only_5.status.code(), Some(1), "{only_5:?}");
    assert!(
        only_5
            .stderr
            .iter()
            .any(|l| l.starts_with("komunikator: ") && l.contains("MQTT 5")),
        "no word of MQTT 5 in {:?}",
        only_5.stderr
    );
}

#[test]
fn on_rabbitmq_auto_speaks_3_1_1_and_mqtt_5_alone_fails() {
    let started = Instant::now();
    let Some(node) = Broker::start_rabbitmq() else { return };
    falls_back_to_3_1_1(&node);
    eprintln!("took {:?}", started.elapsed());
}

#[test]
fn on_the_embedded_broker_auto_speaks_3_1_1_and_mqtt_5_alone_fails() {
    let started = Instant::now();
    if !BrokerKind::available().contains(&BrokerKind::Embedded) {
        notice("on_the_embedded_broker…: SKIPPED: built without komunikator-broker (the serve feature)");
        return;
    }
    let broker = Broker::start(BrokerKind::Embedded).expect("komunikator-broker starts");
    falls_back_to_3_1_1(&broker);
    eprintln!("took {:?}", started.elapsed());
}

/// `mosquitto_pub -V VERSION` publishing a chat payload on `chat/general`.
fn mosquitto_pub(program: &std::path::Path, broker: &Broker, version: &str, user: &str, text: &str) {
    let status = Command::new(program)
        .args([
            "-V",
            version,
            "-h",
            "127.0.0.1",
            "-p",
            &broker.port.to_string(),
            "-q",
            "1",
        ])
        .args(["-t", "chat/general", "-m", &chat_payload(user, text)])
        .stdin(Stdio::null())
        .status()
        .expect("run mosquitto_pub");
    assert!(status.success(), "mosquitto_pub -V {version}: {status}");
}

#[test]
fn clients_at_mqtt_5_and_at_3_1_1_chat_together_through_one_broker() {
    let started = Instant::now();
    let Some(broker) = mosquitto("") else { return };
    let Some(publisher) = mosquitto_tool("mosquitto_pub") else {
        return;
    };
    let mut alice = Komunikator::spawn(&broker, "alice", &["--mqtt", "5"]);
    assert_connected_at(&mut alice, "5");
    let mut bob = Komunikator::spawn(&broker, "bob", &["--mqtt", "3.1.1"]);
    assert_connected_at(&mut bob, "3.1.1");
    assert_eq!(logged_protocols(&broker, "alice"), ["p5"]);
    assert_eq!(logged_protocols(&broker, "bob"), ["p2"]);

    alice.send_line("from alice at 5");
    bob.send_line("from bob at 3.1.1");
    mosquitto_pub(&publisher, &broker, "mqttv311", "pub311", "from mosquitto_pub at 3.1.1");
    mosquitto_pub(&publisher, &broker, "mqttv5", "pub5", "from mosquitto_pub at 5");
    let lines = [
        ("alice", "from alice at 5"),
        ("bob", "from bob at 3.1.1"),
        ("pub311", "from mosquitto_pub at 3.1.1"),
        ("pub5", "from mosquitto_pub at 5"),
    ];
    for client in [&mut alice, &mut bob] {
        for (user, text) in lines.iter().filter(|(user, _)| *user != client.name) {
            client.stdout.wait_for(&format!("with {user}'s line"), WAIT, |l| {
                is_chat_line(l, "general", user, text)
            });
        }
    }
    bob.quit();
    alice.quit();
    eprintln!("took {:?}", started.elapsed());
}

#[test]
fn when_the_broker_in_use_dies_the_clients_move_to_the_next_one_and_chat_goes_on() {
    let started = Instant::now();
    let Some(mut first) = mosquitto("") else { return };
    let Some(second) = mosquitto("") else { return };
    let (a, b) = (first.address(), second.address());
    let both = format!("{a},{b}");
    // Both ways of naming several brokers.
    let mut alice = Komunikator::spawn_args("alice", &["--no-tui", "-s", &both, "alice"]);
    let mut bob = Komunikator::spawn_args("bob", &["--no-tui", "-s", &a, "-s", &b, "bob"]);
    for client in [&mut alice, &mut bob] {
        let line = connected_notice(client);
        assert!(
            line.starts_with(&format!("komunikator: connected to {a} as {}", client.name)),
            "{line}"
        );
    }
    alice.send_line("on the first broker");
    bob.stdout.wait_for("with alice's first line", WAIT, |l| {
        is_chat_line(l, "general", "alice", "on the first broker")
    });

    first.stop();
    let moved = format!("komunikator: reconnected to {b} as ");
    for client in [&mut alice, &mut bob] {
        client
            .stderr
            .wait_for("saying it reconnected to the second broker", WAIT, |l| {
                l.starts_with(&moved)
            });
    }
    alice.send_line("on the second broker");
    bob.stdout
        .wait_for("with alice's line through the second broker", WAIT, |l| {
            is_chat_line(l, "general", "alice", "on the second broker")
        });
    bob.send_line("here too");
    alice.stdout.wait_for("with bob's answer", WAIT, |l| {
        is_chat_line(l, "general", "bob", "here too")
    });
    for name in ["alice", "bob"] {
        assert_eq!(logged_protocols(&second, name).len(), 1, "{name} on the second broker");
    }
    bob.quit();
    alice.quit();
    eprintln!("took {:?}", started.elapsed());
}

#[test]
fn over_a_bridge_a_client_whose_broker_dies_moves_to_the_other_and_chat_goes_on() {
    let Some((mut first, second)) = Broker::start_mosquitto_bridged_pair(false) else {
        return;
    };
    let (a, b) = (first.address(), second.address());
    // Each on its own broker, the other one next in its list.
    let mut alice = Komunikator::spawn_args("alice", &["--no-tui", "-s", &format!("{a},{b}"), "alice"]);
    let mut bob = Komunikator::spawn_args("bob", &["--no-tui", "-s", &format!("{b},{a}"), "bob"]);
    alice.stderr.wait_for("alice on the first", WAIT, |l| {
        l.starts_with(&format!("komunikator: connected to {a} as alice"))
    });
    bob.stderr.wait_for("bob on the second", WAIT, |l| {
        l.starts_with(&format!("komunikator: connected to {b} as bob"))
    });
    alice
        .stdout
        .wait_for("bob, across the bridge", WAIT, |l| l.ends_with(" * bob is online"));
    alice.send_line("across the bridge");
    bob.stdout.wait_for("alice's line across the bridge", WAIT, |l| {
        is_chat_line(l, "general", "alice", "across the bridge")
    });

    first.stop();
    alice.stderr.wait_for("alice moving to the second", WAIT, |l| {
        l.starts_with(&format!("komunikator: reconnected to {b} as alice"))
    });
    alice.send_line("after the move");
    bob.stdout.wait_for("alice's line after the move", WAIT, |l| {
        is_chat_line(l, "general", "alice", "after the move")
    });
    bob.send_line("welcome over");
    alice.stdout.wait_for("bob's answer", WAIT, |l| {
        is_chat_line(l, "general", "bob", "welcome over")
    });
    assert!(
        !bob.stderr.seen().iter().any(|l| l.contains("connection lost")),
        "bob's broker stayed up: {}",
        bob.transcript()
    );
    bob.quit();
    alice.quit();
}
