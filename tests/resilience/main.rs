//! Connection faults end to end: the broker stopped, restarted and paused, a
//! link that refuses or swallows traffic (a proxy the test runs), stale wills,
//! one name in two terminals, and QoS 1 duplicates. Nothing typed is lost,
//! nothing is shown twice, and a dead link costs no CPU.

mod limits;

use komunikator_testkit as testkit;
use komunikator_testkit::Signal;

use std::thread::sleep;
use std::time::{Duration, Instant};

use testkit::{
    carries_oversize, chat_payload, cpu_time, is_chat_line, with_each_broker, with_each_broker_mut, Broker,
    Komunikator, Presence, Probe, Proxy, ProxyMode, RawPublisher, WAIT,
};

fn is_lost(line: &str) -> bool {
    line.starts_with("komunikator: connection lost: ") && line.contains("; reconnecting in ")
}

fn is_reconnected(line: &str) -> bool {
    line.starts_with("komunikator: reconnected to ")
}

/// The `N` of every "reconnecting in Ns" notice so far.
fn announced_delays(client: &mut Komunikator) -> Vec<u64> {
    client
        .stderr
        .seen()
        .iter()
        .filter_map(|l| l.rsplit_once("reconnecting in ")?.1.strip_suffix('s')?.parse().ok())
        .collect()
}

fn chat_lines_from<'a>(lines: &'a [String], room: &str, user: &str) -> Vec<&'a str> {
    let prefix = format!(" #{room} <{user}> ");
    lines
        .iter()
        .filter_map(|l| l.get(8..)?.strip_prefix(prefix.as_str()))
        .collect()
}

#[test]
fn after_a_broker_restart_the_client_backs_off_cheaply_then_renews_everything() {
    with_each_broker_mut("broker_restart", |broker| {
        let mut watcher = Probe::connect(broker, "watcher-before");
        watcher.subscribe("presence/alice");
        let mut alice = Komunikator::join(broker, "alice", &["-r", "general", "-r", "side"]);
        let first = Presence::parse(&watcher.wait_message("alice's online", |m| m.topic == "presence/alice"));
        assert_eq!(first.status, "online");
        drop(watcher);

        broker.stop();
        alice.stderr.wait_for("saying the connection was lost", WAIT, is_lost);
        // While the broker is down: a few attempts with growing delays, and
        // next to no CPU (a retry loop without backoff burns a core).
        let cpu_before = cpu_time(alice.pid());
        sleep(Duration::from_secs(5));
        let cpu = cpu_time(alice.pid()) - cpu_before;
        eprintln!("CPU used in 5 s while the broker was down: {cpu:?}");
        assert!(
            cpu < Duration::from_millis(500),
            "alice used {cpu:?} of CPU in 5 s while the broker was down"
        );
        let delays = announced_delays(&mut alice);
        assert!(
            (3..=8).contains(&delays.len()),
            "expected a handful of attempts in ~5 s, got {delays:?}"
        );
        assert!(
            delays.windows(2).all(|w| w[1] >= w[0]) && delays.last() > delays.first(),
            "the delays must grow: {delays:?}"
        );

        broker.restart();
        let mut watcher = Probe::connect(broker, "watcher-after");
        watcher.subscribe("presence/alice");
        alice.stderr.wait_for("saying it reconnected", WAIT, is_reconnected);
        // The restarted broker kept nothing (no persistence): this online is re-published.
        let again = Presence::parse(&watcher.wait_message("alice's online again", |m| {
            m.topic == "presence/alice" && Presence::parse(m).status == "online"
        }));
        assert_ne!(again.session, first.session, "a new connection has a new session id");

        // Every subscription is back: both rooms, direct messages, presence/+.
        let mut bob = Komunikator::join(broker, "bob", &["-r", "general", "-r", "side"]);
        alice
            .stdout
            .wait_for("with bob coming online", WAIT, |l| l.ends_with(" * bob is online"));
        bob.send_line("to general");
        bob.send_line("/join side");
        bob.send_line("to side");
        bob.send_line("/msg alice direct");
        alice.stdout.wait_for("with bob's message in #general", WAIT, |l| {
            is_chat_line(l, "general", "bob", "to general")
        });
        alice.stdout.wait_for("with bob's message in #side", WAIT, |l| {
            is_chat_line(l, "side", "bob", "to side")
        });
        alice
            .stdout
            .wait_for("with bob's direct message", WAIT, |l| l.ends_with(" @bob <bob> direct"));
        alice.send_line("alice is back");
        bob.stdout.wait_for("with alice's message", WAIT, |l| {
            is_chat_line(l, "general", "alice", "alice is back")
        });
        // The will was registered anew, with the new session id.
        alice.kill_hard();
        let will = Presence::parse(&watcher.wait_message("alice's will", |m| {
            m.topic == "presence/alice" && Presence::parse(m).status == "offline"
        }));
        assert_eq!(will.session, again.session, "the will of the new connection");
        bob.quit();
    });
}

#[test]
fn lines_typed_while_disconnected_arrive_once_each_in_order() {
    with_each_broker_mut("outbox_across_restart", |broker| {
        // alice reaches the broker through a proxy, so that she comes back
        // only after bob has re-subscribed (the broker keeps no sessions).
        let proxy = Proxy::start(broker.port, ProxyMode::Forward);
        let mut alice = Komunikator::spawn_via(proxy.port, "alice", &[]);
        alice.wait_ready();
        let mut bob = Komunikator::join(broker, "bob", &[]);
        alice.send_line("before");
        bob.stdout.wait_for("with alice's first message", WAIT, |l| {
            is_chat_line(l, "general", "alice", "before")
        });

        proxy.set_mode(ProxyMode::Refuse);
        broker.stop();
        alice.stderr.wait_for("saying the connection was lost", WAIT, is_lost);
        bob.stderr.wait_for("saying the connection was lost", WAIT, is_lost);
        let typed: Vec<String> = (1..=5).map(|n| format!("offline {n}")).collect();
        for line in &typed {
            alice.send_line(line);
        }
        alice.stderr.wait_for("showing the lines as waiting", WAIT, |l| {
            l.contains("not connected: 5 message(s) waiting to be sent")
        });

        broker.restart();
        bob.stderr.wait_for("saying it reconnected", WAIT, is_reconnected);
        proxy.set_mode(ProxyMode::Forward);
        alice.stderr.wait_for("saying it reconnected", WAIT, is_reconnected);
        bob.stdout.wait_for("with the last line typed offline", WAIT, |l| {
            is_chat_line(l, "general", "alice", "offline 5")
        });

        let alice = alice.quit();
        let bob = bob.quit();
        let mut expected = vec!["before"];
        expected.extend(typed.iter().map(String::as_str));
        assert_eq!(chat_lines_from(&bob.stdout, "general", "alice"), expected);
        assert_eq!(chat_lines_from(&alice.stdout, "general", "alice"), expected);
    });
}

#[test]
fn a_half_open_link_is_noticed_and_the_message_in_flight_arrives_once() {
    with_each_broker("half_open_proxy", |broker| {
        let proxy = Proxy::start(broker.port, ProxyMode::Forward);
        // 5 s: the shortest keep-alive at MQTT 5 (rumqttc's minimum).
        let mut alice = Komunikator::spawn_via(proxy.port, "alice", &["--keep-alive", "5"]);
        alice.wait_ready();
        let mut bob = Komunikator::join(broker, "bob", &[]);
        alice.send_line("before");
        bob.stdout.wait_for("with alice's first message", WAIT, |l| {
            is_chat_line(l, "general", "alice", "before")
        });
        // Bob having it does not mean the broker's copy for alice has passed
        // the proxy yet; going silent before then would lose that copy.
        alice.stdout.wait_for("with its own first message", WAIT, |l| {
            is_chat_line(l, "general", "alice", "before")
        });

        // The link goes silent both ways with the sockets still open; the
        // message is written into it and never reaches the broker.
        proxy.set_mode(ProxyMode::Blackhole);
        let silent_since = Instant::now();
        alice.send_line("in flight");
        let lost = alice.stderr.wait_for("noticing the dead link", WAIT, is_lost);
        let noticed = silent_since.elapsed();
        eprintln!("dead link noticed after {noticed:?} (keep-alive 5 s)");
        assert!(
            noticed <= Duration::from_secs(3 * 5),
            "a dead link must be noticed within 3 keep-alives: took {noticed:?}"
        );
        assert!(lost.contains("keep-alive"), "{lost}");

        proxy.set_mode(ProxyMode::Forward);
        alice.stderr.wait_for("saying it reconnected", WAIT, is_reconnected);
        bob.stdout.wait_for("with the message that was in flight", WAIT, |l| {
            is_chat_line(l, "general", "alice", "in flight")
        });
        alice.send_line("after");
        bob.stdout.wait_for("with alice's last message", WAIT, |l| {
            is_chat_line(l, "general", "alice", "after")
        });
        let alice = alice.quit();
        let bob = bob.quit();
        let expected = ["before", "in flight", "after"];
        assert_eq!(chat_lines_from(&bob.stdout, "general", "alice"), expected);
        assert_eq!(chat_lines_from(&alice.stdout, "general", "alice"), expected);
    });
}

#[test]
fn a_paused_broker_is_noticed_within_three_keep_alives_and_the_client_comes_back() {
    with_each_broker("paused_broker", |broker| {
        let mut alice = Komunikator::join(broker, "alice", &["--keep-alive", "5"]);
        broker.pause();
        let paused_at = Instant::now();
        let lost = alice.stderr.wait_for("noticing the paused broker", WAIT, is_lost);
        let noticed = paused_at.elapsed();
        eprintln!("paused broker noticed after {noticed:?} (keep-alive 5 s)");
        broker.resume();
        assert!(
            noticed <= Duration::from_secs(3 * 5),
            "a silent broker must be noticed within 3 keep-alives: took {noticed:?}"
        );
        assert!(lost.contains("keep-alive"), "{lost}");
        alice.stderr.wait_for("saying it reconnected", WAIT, is_reconnected);
        let mut bob = Komunikator::join(broker, "bob", &[]);
        bob.send_line("still there?");
        alice.stdout.wait_for("with bob's message", WAIT, |l| {
            is_chat_line(l, "general", "bob", "still there?")
        });
        bob.quit();
        alice.quit();
    });
}

#[test]
fn a_stale_offline_for_me_is_answered_with_online() {
    with_each_broker("stale_will", |broker| {
        let alice = Komunikator::join(broker, "alice", &[]);
        let mut watcher = Probe::connect(broker, "watcher");
        watcher.subscribe("presence/alice");
        let online = Presence::parse(&watcher.wait_message("alice's online", |_| true));
        assert_eq!(online.status, "online");

        // What the broker does when it publishes an old connection's will late.
        let stale = format!(
            r#"{{"v":1,"user":"alice","status":"offline","ts":"{}","session":"old-session"}}"#,
            chrono::Utc::now().to_rfc3339()
        );
        let mut raw = Probe::connect(broker, "late-will");
        raw.publish("presence/alice", stale, true);
        let seen = Presence::parse(&watcher.wait_message("the stale offline", |_| true));
        assert_eq!(
            (seen.status.as_str(), seen.session.as_str()),
            ("offline", "old-session")
        );
        let answer = Presence::parse(&watcher.wait_message("alice's answer", |_| true));
        assert_eq!(
            (answer.status.as_str(), answer.session.as_str()),
            ("online", online.session.as_str())
        );

        // And that is what stays: a newcomer sees alice online.
        let mut carol = Komunikator::join(broker, "carol", &[]);
        carol
            .stdout
            .wait_for("with alice's retained presence", WAIT, |l| l.contains(" * alice "));
        carol.send_line("/who");
        carol
            .stderr
            .wait_for("listing alice online", WAIT, |l| l.ends_with("● alice"));
        carol.quit();
        alice.quit();
    });
}

#[test]
fn one_name_in_two_terminals_is_online_while_either_session_is() {
    with_each_broker("same_name_presence", |broker| {
        let mut carol = Komunikator::join(broker, "carol", &[]);
        let mut first = Komunikator::join(broker, "alice", &[]);
        let mut second = Komunikator::join(broker, "alice", &[]);
        carol
            .stdout
            .wait_for("with alice online", WAIT, |l| l.ends_with(" * alice is online"));

        // The first terminal dies: its will says offline, but the second is live.
        first.kill_hard();
        second.send_line("still here");
        carol.stdout.wait_for("with the second alice's message", WAIT, |l| {
            is_chat_line(l, "general", "alice", "still here")
        });
        // The second alice answers the will with online; wait until a fresh
        // client would see that, then ask carol.
        let mut late = Probe::connect(broker, "late");
        late.subscribe("presence/alice");
        let retained =
            Presence::parse(&late.wait_message("alice's retained presence", |m| Presence::parse(m).status == "online"));
        assert_eq!(retained.status, "online");
        carol.send_line("/who");
        carol
            .stderr
            .wait_for("listing alice online", WAIT, |l| l.ends_with("● alice"));
        assert!(
            !carol
                .stdout
                .seen()
                .iter()
                .any(|l| l.ends_with(" * alice lost the connection")),
            "carol saw alice go offline while a session was live:\n{}",
            carol.stdout.seen().join("\n")
        );

        second.kill_hard();
        carol.stdout.wait_for("with alice going offline", WAIT, |l| {
            l.ends_with(" * alice lost the connection")
        });
        carol.quit();
    });
}

#[test]
fn a_message_delivered_twice_is_shown_once() {
    with_each_broker("qos1_duplicates", |broker| {
        let mut alice = Komunikator::join(broker, "alice", &[]);
        let mut raw = Probe::connect(broker, "duplicator");
        let payload = chat_payload("dave", "said once");
        raw.publish("chat/general", payload.clone(), false);
        raw.publish("chat/general", payload, false);
        raw.publish("chat/general", chat_payload("dave", "and then this"), false);
        alice
            .stdout
            .wait_for("with the message after the duplicate", WAIT, |l| {
                is_chat_line(l, "general", "dave", "and then this")
            });
        let alice = alice.quit();
        let shown = chat_lines_from(&alice.stdout, "general", "dave");
        assert_eq!(shown, ["said once", "and then this"]);
    });
}
