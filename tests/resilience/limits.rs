//! At the limits: a retained message too large to receive, an outbox full
//! while the broker is down, and a quit that cannot reach the broker.

use super::*;

#[test]
fn a_retained_message_too_large_to_receive_is_reported_and_retried_slowly() {
    with_each_broker_mut("retained_oversize", |broker| {
        if !carries_oversize("retained_oversize", broker) {
            return;
        }
        // At MQTT 3.1.1, which cannot tell the broker the client's limit (at
        // MQTT 5 the broker drops the message for it: tests/mqtt5.rs).
        let mut alice = Komunikator::join(broker, "alice", &["--mqtt", "3.1.1"]);
        // 20 MiB, above the 16 MiB the client accepts, retained on a room it is in.
        let mut raw = RawPublisher::connect(broker, "big-retained");
        raw.publish("chat/general", &vec![b'x'; 20 << 20], true);
        raw.finish();
        let notice = alice.stderr.wait_for("explaining the loop", WAIT, |l| {
            l.contains("retained message") && l.contains("mosquitto_pub -r -n -t")
        });
        assert!(notice.contains("20.0 MiB"), "{notice}");
        let cpu_before = cpu_time(alice.pid());
        sleep(Duration::from_secs(4));
        let cpu = cpu_time(alice.pid()) - cpu_before;
        eprintln!(
            "CPU used in 4 s of the oversize loop: {cpu:?}; delays so far: {:?}",
            announced_delays(&mut alice)
        );
        assert!(cpu < Duration::from_millis(1500), "the loop used {cpu:?} of CPU in 4 s");
        let delays = announced_delays(&mut alice);
        assert!(
            delays.windows(2).all(|w| w[1] >= w[0]) && delays.last() > delays.first(),
            "retries after a short-lived connection must slow down: {delays:?}"
        );

        // Cleared by an operator: the client is back for good.
        let mut raw = RawPublisher::connect(broker, "clear-retained");
        raw.publish("chat/general", b"", true);
        raw.finish();
        let reconnects = alice.stderr.seen().iter().filter(|l| is_reconnected(l)).count();
        alice.stderr.wait_for_count(
            "saying it reconnected",
            reconnects + 1,
            Duration::from_secs(40),
            is_reconnected,
        );
        let mut bob = Komunikator::join(broker, "bob", &[]);
        bob.send_line("room is usable again");
        alice.stdout.wait_for("with bob's message", WAIT, |l| {
            is_chat_line(l, "general", "bob", "room is usable again")
        });
        bob.quit();
        alice.quit();
    });
}

/// alice, connected, then the broker stopped and `lines` lines typed: the
/// outbox (1000) full, the rest not yet read.
fn outbox_filled_while_down(broker: &mut Broker, lines: usize, extra: &[&str]) -> Komunikator {
    let mut alice = Komunikator::join(broker, "alice", extra);
    broker.stop();
    alice.stderr.wait_for("saying the connection was lost", WAIT, is_lost);
    for n in 0..lines {
        alice.send_line(&format!("queued {n}"));
    }
    alice.stderr.wait_for("queueing up to the outbox's size", WAIT, |l| {
        l.contains("not connected: 1000 message(s) waiting to be sent")
    });
    alice
}

#[test]
fn a_full_outbox_stops_reading_input_until_the_broker_takes_it() {
    with_each_broker_mut("outbox_full", |broker| {
        // More than the outbox holds: the rest waits in the pipe, unread.
        let mut alice = outbox_filled_while_down(broker, 1100, &[]);
        sleep(Duration::from_millis(300));
        broker.restart();
        // Her own room echoes it back: she re-subscribes before sending.
        alice.stdout.wait_for_count("all 1100 lines echoed", 1100, WAIT, |l| {
            l.contains(" #general <alice> queued ")
        });
        let echoed: Vec<&str> = chat_lines_from(alice.stdout.seen(), "general", "alice");
        let expected: Vec<String> = (0..1100).map(|n| format!("queued {n}")).collect();
        assert_eq!(echoed, expected, "every line, once, in order");
        let done = alice.quit();
        assert!(
            !done.stderr.iter().any(|l| l.contains("waiting to be sent already")),
            "a line was refused: {:?}",
            done.stderr
        );
    });
}

#[test]
fn a_quit_that_cannot_reach_the_broker_names_what_it_leaves_and_exits_3() {
    with_each_broker_mut("outbox_full_quit", |broker| {
        let alice = outbox_filled_while_down(broker, 1010, &["--drain-timeout", "1"]);
        alice.signal(Signal::TERM);
        let done = alice.finish(WAIT);
        assert_eq!(done.status.code(), Some(3), "{:?}", done.stderr);
        let said = |text: &str| done.stderr.iter().any(|l| l == text);
        assert!(
            done.stderr
                .iter()
                .any(|l| l.starts_with("komunikator: 1000 message(s) not sent: ")),
            "{:?}",
            done.stderr
        );
        assert!(said("komunikator: not sent to #general: queued 0"));
        assert!(said("komunikator: not sent to #general: queued 999"));
        // Lines read ahead of the outbox are named too; the rest never left the pipe.
        let read_ahead = done
            .stderr
            .iter()
            .filter(|l| l.starts_with("komunikator: not sent: queued "))
            .count();
        assert!(read_ahead <= 10, "{read_ahead}");
    });
}
