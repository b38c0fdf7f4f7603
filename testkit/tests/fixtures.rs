//! The multi-broker fixtures work: a message published on one broker
//! reaches a subscriber on the other, and stopping leaves nothing running.
//! The RabbitMQ tests are skipped (with a notice) where RabbitMQ is not
//! installed, unless KOMUNIKATOR_REQUIRE_RABBITMQ=1.

use std::time::{Duration, Instant};

use komunikator_testkit::{Broker, BrokerKind, Probe};

/// Publishes on `from`, expects the message on `to`; returns how many
/// copies arrived within `window` after the first.
fn crosses(from: &Broker, to: &Broker, topic: &str, window: Duration) -> usize {
    let mut watcher = Probe::connect(to, &format!("watch-{}", to.port));
    watcher.subscribe(topic);
    let mut publisher = Probe::connect(from, &format!("pub-{}", from.port));
    let payload = format!("from {} to {}", from.port, to.port);
    publisher.publish(topic, payload.as_bytes(), false);
    watcher.wait_message("across the brokers", |m| m.text() == payload);
    let mut copies = 1;
    let deadline = Instant::now() + window;
    while let Some(m) = watcher.next_message(deadline.saturating_duration_since(Instant::now())) {
        if m.text() == payload {
            copies += 1;
        }
    }
    copies
}

/// True while the process exists and is not a zombie.
fn still_running(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|s| s.rsplit_once(") ").is_some_and(|(_, rest)| !rest.starts_with('Z')))
}

#[test]
fn bridged_mosquittos_carry_messages_both_ways() {
    let Some((first, second)) = Broker::start_mosquitto_bridged_pair(false) else {
        return;
    };
    let window = Duration::from_millis(500);
    assert_eq!(crosses(&first, &second, "fixtures/pair/a", window), 1);
    assert_eq!(crosses(&second, &first, "fixtures/pair/b", window), 1);
}

#[test]
fn looped_mosquittos_circulate_messages() {
    let Some((first, second)) = Broker::start_mosquitto_bridged_pair(true) else {
        return;
    };
    let copies = crosses(&first, &second, "fixtures/loop", Duration::from_millis(300));
    assert!(copies > 2, "only {copies} copies: the loop does not circulate");
}

#[test]
fn rabbitmq_node_starts_restarts_and_stops_clean() {
    let started = Instant::now();
    let Some(mut node) = Broker::start_rabbitmq() else {
        return;
    };
    eprintln!("RabbitMQ node up in {:?} on {}", started.elapsed(), node.address());
    assert_eq!(node.kind, BrokerKind::RabbitMq);
    assert_eq!(crosses(&node, &node, "fixtures/rabbit", Duration::from_millis(300)), 1);
    let vm = node.pid();
    assert!(
        std::fs::read_to_string(format!("/proc/{vm}/comm")).is_ok_and(|c| c.trim() == "beam.smp"),
        "pid() is not the Erlang VM"
    );
    assert!(
        node.log_text().contains("started MQTT TCP listener"),
        "{}",
        node.log_text()
    );

    let restarted = Instant::now();
    node.restart();
    eprintln!("RabbitMQ node back in {:?}", restarted.elapsed());
    assert!(!still_running(vm), "the old VM survived the restart");
    assert_eq!(crosses(&node, &node, "fixtures/rabbit", Duration::from_millis(300)), 1);

    let vm = node.pid();
    node.stop();
    assert!(!still_running(vm), "the VM survived stop()");
}

#[test]
fn rabbitmq_cluster_carries_messages_between_nodes() {
    let started = Instant::now();
    let Some((first, second)) = Broker::start_rabbitmq_cluster() else {
        return;
    };
    eprintln!(
        "RabbitMQ cluster up in {:?} on {} and {}",
        started.elapsed(),
        first.address(),
        second.address()
    );
    let window = Duration::from_millis(500);
    assert_eq!(crosses(&first, &second, "fixtures/cluster/a", window), 1);
    assert_eq!(crosses(&second, &first, "fixtures/cluster/b", window), 1);
}
