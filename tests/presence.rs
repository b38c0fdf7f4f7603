//! Presence end to end: online, the will after a crash, retained offline for
//! late joiners, and clean exits that say goodbye themselves.

use komunikator_testkit as testkit;
use komunikator_testkit::Signal;

use std::time::Duration;

use chrono::Utc;
use testkit::{is_chat_line, with_each_broker, Broker, Komunikator, Presence, Probe, WAIT};

#[test]
fn a_killed_client_goes_offline_and_late_joiners_see_it_retained() {
    with_each_broker("killed_client", |broker| {
        let mut alice = Komunikator::join(broker, "alice", &[]);
        let mut bob = Komunikator::join(broker, "bob", &[]);
        alice
            .stdout
            .wait_for("with bob coming online", WAIT, |l| l.ends_with(" * bob is online"));

        bob.kill_hard();
        alice
            .stdout
            .wait_for("with bob's will", WAIT, |l| l.ends_with(" * bob lost the connection"));

        let mut carol = Komunikator::join(broker, "carol", &["--json"]);
        carol.stdout.wait_for("with bob's retained offline", WAIT, |l| {
            l.contains(r#""user":"bob","status":"offline","reason":"lost""#) && l.contains(r#""retained":true"#)
        });
        carol.quit();
        alice.quit();
    });
}

/// How a client is asked to leave cleanly.
#[derive(Debug, Clone, Copy)]
enum CleanExit {
    EndOfInput,
    QuitCommand,
    Sigterm,
}

impl CleanExit {
    const ALL: [CleanExit; 3] = [CleanExit::EndOfInput, CleanExit::QuitCommand, CleanExit::Sigterm];

    fn perform(self, client: &mut Komunikator) {
        match self {
            CleanExit::EndOfInput => client.close_stdin(),
            CleanExit::QuitCommand => client.send_line("/quit"),
            CleanExit::Sigterm => client.signal(Signal::TERM),
        }
    }
}

/// Starts `name`, lets it leave the `how` way, and checks with `watcher`
/// (subscribed to `presence/<name>`, with nothing unread) that the next two
/// presence messages are this connection's online and its own offline.
///
/// The will carries the same session id as the online message, so the two
/// offlines are told apart by time: the will is stamped when connecting,
/// before the online; the client's own offline when it leaves. The client
/// stays until the clock has passed the online's second (presence times
/// have whole seconds), so its own offline is stamped strictly later.
fn leaves_cleanly_without_its_will(broker: &Broker, watcher: &mut Probe, name: &str, how: CleanExit) -> Presence {
    let mut client = Komunikator::join(broker, name, &[]);
    let online = Presence::parse(&watcher.next_message(WAIT).expect("the client's online presence"));
    assert_eq!(
        (online.user.as_str(), online.status.as_str()),
        (name, "online"),
        "{online:?}"
    );

    let stamped_later = online.ts + chrono::TimeDelta::milliseconds(1050);
    while Utc::now() < stamped_later {
        std::thread::sleep(Duration::from_millis(20));
    }
    how.perform(&mut client);
    let done = client.finish(WAIT);
    assert!(
        done.status.success(),
        "{how:?}: exit {:?}; stderr:\n{}",
        done.status,
        done.stderr.join("\n")
    );
    assert!(
        !done.stderr.iter().any(|l| l.contains("connection lost")),
        "{how:?}: {}",
        done.stderr.join("\n")
    );

    let offline = Presence::parse(
        &watcher
            .next_message(WAIT)
            .unwrap_or_else(|| panic!("{how:?}: no offline presence after the client left")),
    );
    assert_eq!(
        (offline.status.as_str(), offline.session.as_str()),
        ("offline", online.session.as_str()),
        "{how:?}: expected this session's offline after {online:?}"
    );
    assert!(
        offline.ts > online.ts,
        "{how:?}: the offline is stamped {} like the will, not after the online ({}): the will fired",
        offline.ts,
        online.ts
    );
    assert_eq!(
        retained_presence(broker, name),
        offline,
        "{how:?}: the offline must be retained"
    );
    online
}

/// What a client subscribing now gets for `presence/<name>`.
fn retained_presence(broker: &Broker, name: &str) -> Presence {
    let mut late = Probe::connect(broker, &format!("late-{name}-{}", fastrand::u32(..)));
    late.subscribe(&format!("presence/{name}"));
    let message = late.next_message(WAIT).expect("a retained presence");
    assert!(message.retain, "not flagged as retained: {:?}", message.text());
    Presence::parse(&message)
}

fn presence_watcher(broker: &Broker, name: &str) -> Probe {
    let mut watcher = Probe::connect(broker, &format!("watcher-{name}"));
    watcher.subscribe(&format!("presence/{name}"));
    watcher
}

#[test]
fn a_clean_exit_publishes_offline_itself_and_others_see_it() {
    with_each_broker("clean_exit", |broker| {
        let mut alice = Komunikator::join(broker, "alice", &[]);
        let mut watcher = presence_watcher(broker, "bob");
        for (round, how) in CleanExit::ALL.into_iter().enumerate() {
            leaves_cleanly_without_its_will(broker, &mut watcher, "bob", how);
            alice
                .stdout
                .wait_for_count("with bob leaving", round + 1, WAIT, |l| l.ends_with(" * bob left"));
        }
        alice.quit();
    });
}

#[test]
fn twenty_clean_exits_in_a_row_never_fire_the_will() {
    with_each_broker("twenty_clean_exits", |broker| {
        let mut watcher = presence_watcher(broker, "quitter");
        let mut sessions = Vec::new();
        for run in 0..20 {
            let how = CleanExit::ALL[run % CleanExit::ALL.len()];
            sessions.push(leaves_cleanly_without_its_will(broker, &mut watcher, "quitter", how).session);
        }
        // A will from the last run would come before the next client's online.
        let next = Komunikator::join(broker, "quitter", &[]);
        let after = Presence::parse(&watcher.next_message(WAIT).expect("the next client's online"));
        assert_eq!(
            after.status, "online",
            "a stray offline after the last clean exit: {after:?}"
        );
        next.quit();
        sessions.sort();
        sessions.dedup();
        assert_eq!(sessions.len(), 20, "session ids must differ per connection");
    });
}

#[test]
fn the_same_username_twice_stays_connected_and_both_receive() {
    with_each_broker("same_username_twice", |broker| {
        let mut watcher = presence_watcher(broker, "alice");
        let mut first = Komunikator::join(broker, "alice", &[]);
        let mut second = Komunikator::join(broker, "alice", &[]);
        let mut bob = Komunikator::join(broker, "bob", &[]);
        bob.send_line("hello both of you");
        for alice in [&mut first, &mut second] {
            alice.stdout.wait_for("with bob's message", WAIT, |l| {
                is_chat_line(l, "general", "bob", "hello both of you")
            });
        }

        // A kick loop (the broker dropping one for the other) or a presence
        // ping-pong would show within a few seconds: as reconnect notices,
        // and as more presence traffic than the two onlines.
        let window = Duration::from_secs(3);
        let mut traffic = Vec::new();
        let until = std::time::Instant::now() + window;
        while let Some(m) = watcher.next_message(until.saturating_duration_since(std::time::Instant::now())) {
            traffic.push(Presence::parse(&m));
        }
        let onlines: Vec<&Presence> = traffic.iter().filter(|p| p.status == "online").collect();
        assert_eq!(
            (onlines.len(), traffic.len()),
            (2, 2),
            "expected exactly two onlines: {traffic:?}"
        );
        assert_ne!(onlines[0].session, onlines[1].session);
        for (which, alice) in [("first", &mut first), ("second", &mut second)] {
            let lost: Vec<String> = alice
                .stderr
                .seen()
                .iter()
                .filter(|l| l.contains("connection lost") || l.contains("reconnect"))
                .cloned()
                .collect();
            assert!(lost.is_empty(), "the {which} alice was disconnected: {lost:?}");
        }

        bob.quit();
        second.quit();
        first.quit();
    });
}
