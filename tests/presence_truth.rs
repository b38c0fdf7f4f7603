//! Presence that tells the truth, end to end against mosquitto: broker
//! restarts with and without persistence (a client killed while the broker
//! is down), last seen after a crash, quit versus lost, notices only in the
//! rooms concerned, no wall of offline lines at start, plain-text presence
//! of simpler clients, and a flood of forged offlines.

use komunikator_testkit as testkit;

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use testkit::tmux::{ui_command_with, Tmux};
use testkit::{Broker, Komunikator, MosquittoLog, Presence, Probe, RawPublisher, WAIT};

/// Heartbeats every 10 s: a client that stops answering is dropped 25 s after its last one.
const HEARTBEAT: &[&str] = &["--heartbeat", "10"];

fn mosquitto(extra: &str) -> Option<Broker> {
    Broker::start_mosquitto_with(MosquittoLog::All, extra)
}

fn is_reconnected(l: &str) -> bool {
    l.contains("reconnected to")
}

fn ts_of(v: &serde_json::Value) -> DateTime<Utc> {
    v["ts"].as_str().and_then(|t| t.parse().ok()).expect("a ts")
}

/// `/who *` in line mode: the lines it printed on stderr, after the header.
fn who_everyone(client: &mut Komunikator) -> Vec<String> {
    client.send_line("/who *");
    client
        .stderr
        .wait_for("the /who header", WAIT, |l| l.contains("everyone seen:"));
    std::thread::sleep(Duration::from_millis(300));
    let seen = client.stderr.seen().to_vec();
    let start = seen.iter().rposition(|l| l.contains("everyone seen:")).unwrap();
    seen[start + 1..].iter().filter(|l| l.contains("  ")).cloned().collect()
}

#[test]
fn a_broker_restart_without_persistence_leaves_no_ghosts_and_raises_no_false_alarms() {
    let Some(mut broker) = mosquitto("") else { return };
    let mut alice = Komunikator::join(&broker, "alice", HEARTBEAT);
    let bob = Komunikator::join(&broker, "bob", HEARTBEAT);
    let mut carol = Komunikator::join(&broker, "carol", HEARTBEAT);
    alice
        .stdout
        .wait_for("bob and carol", WAIT, |l| l.ends_with(" * carol is online"));

    broker.stop();
    let mut bob = bob;
    bob.kill_hard(); // dies while the broker is down: no will can ever fire
    broker.restart();
    alice.stderr.wait_for("alice back", WAIT, is_reconnected);
    carol.stderr.wait_for("carol back", WAIT, is_reconnected);
    std::thread::sleep(Duration::from_secs(3));

    let who = who_everyone(&mut carol);
    assert!(who.iter().any(|l| l.ends_with("● alice")), "{who:?}");
    assert!(!who.iter().any(|l| l.contains("bob")), "a ghost: {who:?}");
    for client in [&mut alice, &mut carol] {
        let false_alarms: Vec<&String> = client
            .stdout
            .seen()
            .iter()
            .filter(|l| l.contains(" left") || l.contains(" lost the connection") || l.contains("went offline"))
            .collect();
        assert!(false_alarms.is_empty(), "{false_alarms:?}");
    }
    carol.quit();
    alice.quit();
}

#[test]
fn with_persistence_a_client_that_died_while_the_broker_was_down_expires_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    let extra = format!(
        "persistence true\npersistence_location {}/\nautosave_interval 1\n",
        dir.path().display()
    );
    let Some(mut broker) = mosquitto(&extra) else { return };
    let mut alice = Komunikator::join(&broker, "alice", &[&["--json"], HEARTBEAT].concat());
    let mut bob = Komunikator::join(&broker, "bob", HEARTBEAT);
    alice
        .stdout
        .wait_for("bob online", WAIT, |l| l.contains(r#""user":"bob","status":"online""#));
    std::thread::sleep(Duration::from_secs(3)); // saved

    broker.stop();
    let died = Utc::now();
    bob.kill_hard();
    broker.restart();
    alice
        .stderr
        .wait_for("alice back", WAIT, |l| l.contains("reconnected to"));

    // A newcomer is told bob is online (the broker kept it), until his heartbeats are overdue.
    let mut dave = Komunikator::join(&broker, "dave", &["--json"]);
    for client in [&mut alice, &mut dave] {
        let line = client.stdout.wait_for("bob expiring", Duration::from_secs(60), |l| {
            l.contains(r#""user":"bob","status":"offline","reason":"expired""#)
        });
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert!(ts_of(&v) <= died, "last seen {} after bob died at {died}", v["ts"]);
        assert!(
            died - ts_of(&v) <= chrono::TimeDelta::seconds(12),
            "last seen {} too early",
            v["ts"]
        );
    }
    dave.quit();
    alice.quit();
}

#[test]
fn last_seen_after_a_crash_is_the_last_heartbeat_not_the_connect_time() {
    let Some(broker) = mosquitto("") else { return };
    let mut alice = Komunikator::join(&broker, "alice", &[]);
    let connected = Utc::now();
    let mut bob = Komunikator::join(&broker, "bob", HEARTBEAT);
    std::thread::sleep(Duration::from_secs(23)); // heartbeats at 0, 10, 20 s
    let killed = Utc::now();
    bob.kill_hard();
    alice
        .stdout
        .wait_for("the will", WAIT, |l| l.ends_with(" * bob lost the connection"));

    let mut carol = Komunikator::join(&broker, "carol", &["--json"]);
    let line = carol.stdout.wait_for("bob's retained offline", WAIT, |l| {
        l.contains(r#""user":"bob","status":"offline","reason":"lost""#)
    });
    let seen = ts_of(&serde_json::from_str(&line).unwrap());
    assert!(seen <= killed, "last seen {seen} is later than the crash at {killed}");
    // The will says "connected"; a heartbeat at 10 or 20 s says better.
    assert!(
        seen >= connected + chrono::TimeDelta::seconds(8),
        "last seen {seen} is the connect time ({connected}), not the last heartbeat"
    );
    carol.quit();
    alice.quit();
}

#[test]
fn quit_and_crash_read_differently_with_the_quit_message_as_a_field() {
    let Some(broker) = mosquitto("") else { return };
    let mut alice = Komunikator::join(&broker, "alice", &[]);
    let mut json = Komunikator::join(&broker, "watcher", &["--json"]);
    let mut bob = Komunikator::join(&broker, "bob", &[]);
    alice.stdout.wait_for("bob", WAIT, |l| l.ends_with(" * bob is online"));
    bob.send_line("/quit gotta go");
    assert!(bob.finish(WAIT).status.success());
    alice
        .stdout
        .wait_for("bob's quit", WAIT, |l| l.ends_with(" * bob left (gotta go)"));
    let line = json
        .stdout
        .wait_for("bob's quit as fields", WAIT, |l| l.contains(r#""reason":"quit""#));
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(
        (&v["user"], &v["status"], &v["message"]),
        (&"bob".into(), &"offline".into(), &"gotta go".into())
    );
    assert!(
        !alice.stdout.seen().iter().any(|l| l.contains("quit: gotta go")),
        "said once, as presence"
    );

    let mut bob = Komunikator::join(&broker, "bob", &[]);
    alice
        .stdout
        .wait_for("bob again", WAIT, |l| l.ends_with(" * bob is online"));
    bob.kill_hard();
    alice
        .stdout
        .wait_for("bob's crash", WAIT, |l| l.ends_with(" * bob lost the connection"));
    json.stdout.wait_for("the crash as fields", WAIT, |l| {
        l.contains(r#""user":"bob","status":"offline","reason":"lost""#)
    });
    json.quit();
    alice.quit();
}

#[test]
fn notices_appear_only_in_the_rooms_the_person_shares() {
    let Some(tmux) = Tmux::start() else { return };
    let Some(broker) = mosquitto("") else { return };
    // alice: #rust on screen, #general behind it; bob is only in #general.
    tmux.open(
        "alice",
        &ui_command_with(broker.port, "alice", &["-r", "rust", "-r", "general"]),
    );
    tmux.wait_screen("alice", "connected", |s| s.contains(" connected "));
    let mut bob = Komunikator::join(&broker, "bob", &["-r", "general"]);
    tmux.wait_screen("alice", "bob in the list", |s| s.contains("bob"));
    bob.send_line("/quit see you");
    assert!(bob.finish(WAIT).status.success());
    std::thread::sleep(Duration::from_secs(1));
    let rust = tmux.screen("alice");
    assert!(
        !rust.contains("bob is online") && !rust.contains("bob left"),
        "in #rust:\n{rust}"
    );
    tmux.type_line("alice", "/join general");
    tmux.wait_screen("alice", "the notices in #general", |s| {
        s.contains("bob is online") && s.contains("bob left (see you)")
    });
    tmux.keys("alice", &["C-c"]);
}

#[test]
fn line_mode_does_not_start_with_a_wall_of_offline_people() {
    let Some(broker) = mosquitto("") else { return };
    let mut raw = RawPublisher::connect(&broker, "old-timers");
    for i in 0..25 {
        let p =
            format!(r#"{{"v":1,"user":"gone{i}","status":"offline","ts":"2026-11-01T10:00:00Z","session":"s{i}"}}"#);
        raw.publish(&format!("presence/gone{i}"), p.as_bytes(), true);
    }
    raw.finish();
    let mut text = Komunikator::join(&broker, "alice", &[]);
    let mut json = Komunikator::join(&broker, "bob", &["--json"]);
    json.stdout.wait_for_count("the 25 as JSON", 25, WAIT, |l| {
        l.contains(r#""status":"offline""#) && l.contains(r#""retained":true"#)
    });
    std::thread::sleep(Duration::from_millis(500));
    let offline: Vec<&String> = text.stdout.seen().iter().filter(|l| l.contains("gone")).collect();
    assert!(offline.is_empty(), "{offline:?}");
    let who = who_everyone(&mut text);
    assert_eq!(who.iter().filter(|l| l.contains("○ gone")).count(), 25, "{who:?}");
    json.quit();
    text.quit();
}

#[test]
fn plain_online_and_offline_from_simple_clients_are_understood() {
    let Some(broker) = mosquitto("") else { return };
    let mut alice = Komunikator::join(&broker, "alice", &[]);
    let mut py = Probe::connect(&broker, "python-client");
    py.publish("presence/py", "online", true);
    alice
        .stdout
        .wait_for("py online", WAIT, |l| l.ends_with(" * py is online"));
    let who = who_everyone(&mut alice);
    assert!(who.iter().any(|l| l.ends_with("● py (rooms unknown)")), "{who:?}");
    py.publish("presence/py", "offline", true);
    alice
        .stdout
        .wait_for("py offline", WAIT, |l| l.ends_with(" * py went offline"));
    assert!(!alice.stderr.seen().iter().any(|l| l.contains("unreadable")));
    alice.quit();
}

#[test]
fn five_thousand_forged_offlines_are_answered_a_handful_of_times() {
    let Some(broker) = mosquitto("") else { return };
    let mut watcher = Probe::connect(&broker, "watcher");
    watcher.subscribe("presence/alice");
    let alice = Komunikator::join(&broker, "alice", &[]);
    let own = Presence::parse(&watcher.wait_message("alice online", |m| Presence::parse(m).status == "online"));
    let forged = br#"{"v":1,"user":"alice","status":"offline","ts":"2026-11-01T10:00:00Z","session":"forger"}"#;
    let mut raw = RawPublisher::connect(&broker, "forger");
    let started = Instant::now();
    raw.publish_all((0..5000).map(|_| RawPublisher::packet("presence/alice", forged, false)));
    raw.finish();
    let mut onlines = 0;
    let until = Instant::now() + Duration::from_secs(13);
    while let Some(m) = watcher.next_message(until.saturating_duration_since(Instant::now())) {
        let p = Presence::parse(&m);
        if p.status == "online" && p.session == own.session {
            onlines += 1;
        }
    }
    eprintln!(
        "5000 forged offlines in {:?}: {onlines} onlines republished",
        started.elapsed()
    );
    assert!((1..=3).contains(&onlines), "{onlines} republished");
    alice.quit();
}
