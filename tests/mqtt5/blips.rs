//! A link cut shorter or longer than the will delay, and what a room got
//! during a short cut arriving after the reconnect (the session resumed).

use super::*;

fn bob_behind_a_proxy(bob_extra: &[&str]) -> Option<(Broker, Proxy, Komunikator, Komunikator)> {
    let broker = mosquitto("")?;
    let proxy = Proxy::start(broker.port, ProxyMode::Forward);
    let mut alice = Komunikator::join(&broker, "alice", &["--json", "--mqtt", "5"]);
    let mut bob = Komunikator::spawn_via(proxy.port, "bob", &[&["--mqtt", "5"][..], bob_extra].concat());
    assert_connected_at(&mut bob, "5");
    wait_record(&mut alice, "with bob online", WAIT, |v| is_presence(v, "bob", "online"));
    Some((broker, proxy, alice, bob))
}

/// Closes bob's link at both ends, and waits until bob and the broker have noticed.
fn cut(broker: &Broker, proxy: &Proxy, bob: &mut Komunikator) -> Instant {
    let id = client_id(broker, "bob");
    let at = Instant::now();
    proxy.set_mode(ProxyMode::Refuse);
    bob.stderr.wait_for("saying the link was lost", WAIT, is_lost);
    wait_log(broker, &format!("Client {id} closed its connection"));
    at
}

#[test]
fn a_link_cut_shorter_than_the_will_delay_never_shows_the_person_offline() {
    let started = Instant::now();
    let Some((broker, proxy, mut alice, mut bob)) = bob_behind_a_proxy(&["--will-delay", "8"]) else {
        return;
    };
    let cut_at = cut(&broker, &proxy, &mut bob);
    sleep_until(cut_at + Duration::from_secs(2));
    proxy.set_mode(ProxyMode::Forward);
    bob.stderr.wait_for("saying it reconnected", WAIT, is_reconnected);
    let back = cut_at.elapsed();
    assert!(
        back < Duration::from_secs(7),
        "bob was back only {back:?} after the cut, too near his will delay (8 s) to tell anything"
    );
    sleep_until(cut_at + Duration::from_secs(10));
    let offline = records(&mut alice, |v| is_presence(v, "bob", "offline"));
    assert!(
        offline.is_empty(),
        "bob, back {back:?} after the cut, was shown offline: {offline:?}"
    );
    bob.send_line("never left");
    wait_record(&mut alice, "with bob's line", WAIT, |v| {
        is_message(v, "bob", "never left")
    });
    bob.quit();
    alice.quit();
    eprintln!("took {:?}", started.elapsed());
}

#[test]
fn a_link_cut_longer_than_the_will_delay_shows_the_person_lost_once_the_delay_is_over() {
    let started = Instant::now();
    let Some((broker, proxy, mut alice, mut bob)) = bob_behind_a_proxy(&["--will-delay", "5"]) else {
        return;
    };
    let cut_at = cut(&broker, &proxy, &mut bob);
    let offline = wait_record(&mut alice, "with bob offline", WAIT, |v| {
        is_presence(v, "bob", "offline")
    });
    let after = cut_at.elapsed();
    assert_eq!(offline["reason"], "lost", "{offline}");
    assert!(
        after >= Duration::from_secs(4),
        "bob was shown offline {after:?} after the cut: the will was not delayed 5 s"
    );
    assert!(after < Duration::from_secs(12), "the will came {after:?} after the cut");
    sleep_until(cut_at + Duration::from_secs(10));
    proxy.set_mode(ProxyMode::Forward);
    bob.stderr.wait_for("saying it reconnected", WAIT, is_reconnected);
    let online_again = |v: &Value| is_presence(v, "bob", "online");
    alice.stdout.wait_for_count("with bob online again", 2, WAIT, |l| {
        record(l).is_some_and(|v| online_again(&v))
    });
    bob.quit();
    alice.quit();
    eprintln!("took {:?}", started.elapsed());
}

/// With `--mqtt auto`, a broker that does not speak MQTT 5 is spoken to at
/// 3.1.1 at once (no reconnect delay) and chat works; `--mqtt 5` gives up
/// with exit status 1 and a hint.
#[test]
fn what_a_room_got_during_a_short_cut_arrives_once_after_the_reconnect() {
    let started = Instant::now();
    let Some((broker, proxy, mut alice, mut bob)) = bob_behind_a_proxy(&[]) else {
        return;
    };
    let alice_id = client_id(&broker, "alice");
    let sent_before = log_count(
        &broker,
        &[&format!("Received PUBLISH from {alice_id} "), "'chat/general'"],
    );
    let cut_at = cut(&broker, &proxy, &mut bob);
    let texts = ["while you were out 1", "while you were out 2", "while you were out 3"];
    for text in texts {
        alice.send_line(text);
    }
    for text in texts {
        wait_record(&mut alice, "with her own line", WAIT, |v| is_message(v, "alice", text));
    }
    let sent = log_count(
        &broker,
        &[&format!("Received PUBLISH from {alice_id} "), "'chat/general'"],
    );
    assert_eq!(
        sent - sent_before,
        3,
        "the broker took alice's lines while bob was away"
    );
    sleep_until(cut_at + Duration::from_secs(3));
    proxy.set_mode(ProxyMode::Forward);
    bob.stderr.wait_for("saying it reconnected", WAIT, is_reconnected);
    for text in texts {
        bob.stdout.wait_for(&format!("with {text:?}"), WAIT, |l| {
            is_chat_line(l, "general", "alice", text)
        });
    }
    sleep(Duration::from_secs(2));
    for text in texts {
        let times = bob
            .stdout
            .seen()
            .iter()
            .filter(|l| is_chat_line(l, "general", "alice", text))
            .count();
        assert_eq!(times, 1, "{text:?} shown {times} times\n{}", bob.transcript());
    }
    bob.quit();
    alice.quit();
    eprintln!("took {:?}", started.elapsed());
}
