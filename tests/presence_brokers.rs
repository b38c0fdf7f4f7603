//! Presence and chat past one broker: two mosquittos bridged (and
//! misconfigured into a loop), and RabbitMQ's MQTT plugin, whose retained
//! messages reach only exact-topic subscriptions and live on one node.
//! The RabbitMQ tests are skipped with a notice where it is not installed,
//! unless KOMUNIKATOR_REQUIRE_RABBITMQ=1 (as in CI).

use komunikator_testkit as testkit;

use std::time::Duration;

use testkit::{is_chat_line, Broker, Komunikator, WAIT};

fn count(client: &mut Komunikator, pred: impl Fn(&str) -> bool) -> usize {
    client.stdout.seen().iter().filter(|l| pred(l)).count()
}

#[test]
fn over_a_bridge_chat_presence_and_direct_messages_cross_exactly_once() {
    let Some((first, second)) = Broker::start_mosquitto_bridged_pair(false) else {
        return;
    };
    let mut alice = Komunikator::join(&first, "alice", &[]);
    let mut bob = Komunikator::join(&second, "bob", &[]);
    alice
        .stdout
        .wait_for("bob, across", WAIT, |l| l.ends_with(" * bob is online"));
    bob.send_line("over the bridge");
    alice.stdout.wait_for("bob's line", WAIT, |l| {
        is_chat_line(l, "general", "bob", "over the bridge")
    });
    alice.send_line("/msg bob psst");
    bob.stdout
        .wait_for("the direct message", WAIT, |l| l.ends_with("<alice> psst"));
    bob.send_line("/quit bye");
    assert!(bob.finish(WAIT).status.success());
    alice
        .stdout
        .wait_for("bob leaving", WAIT, |l| l.ends_with(" * bob left (bye)"));
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        count(&mut alice, |l| is_chat_line(l, "general", "bob", "over the bridge")),
        1
    );
    assert_eq!(
        count(&mut alice, |l| l.contains(" * bob ")),
        2,
        "{:?}",
        alice.stdout.seen()
    );
    alice.quit();
}

#[test]
fn a_bridge_loop_stays_quiet_one_notice_per_real_change() {
    let Some((first, second)) = Broker::start_mosquitto_bridged_pair(true) else {
        return;
    };
    let mut alice = Komunikator::join(&first, "alice", &[]);
    let mut bob = Komunikator::join(&second, "bob", &[]);
    alice
        .stdout
        .wait_for("bob, across", WAIT, |l| l.ends_with(" * bob is online"));
    bob.send_line("round and round");
    alice.stdout.wait_for("bob's line", WAIT, |l| {
        is_chat_line(l, "general", "bob", "round and round")
    });
    bob.send_line("/quit bye");
    assert!(bob.finish(WAIT).status.success());
    alice
        .stdout
        .wait_for("bob leaving", WAIT, |l| l.ends_with(" * bob left (bye)"));
    // The brokers keep passing every message back and forth; give them time.
    std::thread::sleep(Duration::from_secs(4));
    let mut carol = Komunikator::join(&first, "carol", &[]);
    std::thread::sleep(Duration::from_secs(3));
    let about_bob = count(&mut alice, |l| l.contains(" * bob "));
    assert_eq!(about_bob, 2, "online once, left once: {:?}", alice.stdout.seen());
    assert_eq!(
        count(&mut alice, |l| is_chat_line(l, "general", "bob", "round and round")),
        1
    );
    // A late joiner sees the old line at most once, and bob at most once each way.
    assert!(count(&mut carol, |l| is_chat_line(l, "general", "bob", "round and round")) <= 1);
    assert!(
        count(&mut carol, |l| l.ends_with(" * bob is online")) <= 1,
        "{:?}",
        carol.stdout.seen()
    );
    assert!(
        count(&mut carol, |l| l.ends_with(" * bob left (bye)")) <= 1,
        "{:?}",
        carol.stdout.seen()
    );
    carol.quit();
    alice.quit();
}

#[test]
fn on_rabbitmq_a_late_joiner_learns_who_is_online_by_roll_call() {
    let Some(node) = Broker::start_rabbitmq() else { return };
    let mut alice = Komunikator::join(&node, "alice", &[]);
    let mut bob = Komunikator::join(&node, "bob", &[]);
    alice
        .stdout
        .wait_for("bob online", WAIT, |l| l.ends_with(" * bob is online"));
    bob.send_line("hello rabbit");
    alice
        .stdout
        .wait_for("chat", WAIT, |l| is_chat_line(l, "general", "bob", "hello rabbit"));

    // presence/+ gets no retained messages on RabbitMQ: carol must ask.
    let mut carol = Komunikator::join(&node, "carol", &["--json"]);
    for who in ["alice", "bob"] {
        carol.stdout.wait_for(who, WAIT, |l| {
            l.contains(&format!(r#""user":"{who}","status":"online""#))
        });
    }
    carol.send_line("/who *");
    carol.stderr.wait_for("bob in /who", WAIT, |l| l.ends_with("● bob"));
    bob.send_line("/quit bye");
    assert!(bob.finish(WAIT).status.success());
    carol.stdout.wait_for("bob leaving", WAIT, |l| {
        l.contains(r#""user":"bob","status":"offline","reason":"quit""#)
    });
    carol.quit();
    alice.quit();
}

#[test]
fn on_a_rabbitmq_cluster_a_crashed_node_loses_wills_but_not_the_truth() {
    let Some((first, mut second)) = Broker::start_rabbitmq_cluster() else {
        return;
    };
    let mut alice = Komunikator::join(&first, "alice", &["--heartbeat", "10"]);
    let mut bob = Komunikator::join(&second, "bob", &["--heartbeat", "10"]);
    alice
        .stdout
        .wait_for("bob, on the other node", WAIT, |l| l.ends_with(" * bob is online"));
    alice.send_line("across nodes");
    second.stop(); // the node crashes: bob's will dies with it
    bob.stderr
        .wait_for("bob losing his node", WAIT, |l| l.contains("reconnecting"));
    // Either alice saw bob's heartbeats stop, or (the surviving node may drop
    // its clients too) she reconnected and rebuilt her list without him.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        if count(&mut alice, |l| l.ends_with(" * bob stopped answering")) == 1 {
            break;
        }
        alice.send_line("/who *");
        std::thread::sleep(Duration::from_secs(1));
        let seen = alice.stderr.seen().to_vec();
        if let Some(start) = seen.iter().rposition(|l| l.contains("everyone seen:")) {
            if !seen[start..].iter().any(|l| l.ends_with("● bob")) {
                break;
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "alice still lists bob online; stdout:\n{}\nstderr:\n{}",
            alice.stdout.seen().join("\n"),
            seen.join("\n")
        );
        std::thread::sleep(Duration::from_secs(4));
    }
    alice.quit();
}
