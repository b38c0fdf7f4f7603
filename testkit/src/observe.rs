//! Watching what clients publish from the outside: raw observers on topics,
//! presence, and whether a client left with a DISCONNECT or by its will.

use std::thread::sleep;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::{Broker, BrokerKind, Presence, Probe, Received, WAIT};

/// A raw MQTT client subscribed to each of `topics`.
pub fn observer(broker: &Broker, id: &str, topics: &[&str]) -> Probe {
    let mut probe = Probe::connect(broker, id);
    for topic in topics {
        probe.subscribe(topic);
    }
    probe
}

/// The `text` of a chat payload an observer received.
pub fn chat_text(m: &Received) -> String {
    m.json()["text"]
        .as_str()
        .unwrap_or_else(|| panic!("no text in the chat payload on {}: {}", m.topic, m.text()))
        .to_owned()
}

/// Chat texts `observer` receives, until `n` have arrived, none came for
/// `quiet`, or `limit` has passed.
pub fn receive_texts(observer: &mut Probe, n: usize, quiet: Duration, limit: Duration) -> Vec<String> {
    let deadline = Instant::now() + limit;
    let mut texts = Vec::with_capacity(n);
    while texts.len() < n && Instant::now() < deadline {
        let wait = quiet.min(deadline.saturating_duration_since(Instant::now()));
        match observer.next_message(wait) {
            Some(m) => texts.push(chat_text(&m)),
            None => break,
        }
    }
    texts
}

/// The client's next presence on the watcher's topic, which must be its online.
pub fn next_online(watcher: &mut Probe, name: &str) -> Presence {
    let m = watcher
        .next_message(WAIT)
        .unwrap_or_else(|| panic!("no presence from {name} within {WAIT:?}"));
    let online = Presence::parse(&m);
    assert_eq!(
        (online.user.as_str(), online.status.as_str()),
        (name, "online"),
        "{online:?}"
    );
    online
}

/// Sleeps until the clock is past `t` (so a presence stamped now has a later second).
pub fn wait_past(t: DateTime<Utc>) {
    while Utc::now() < t {
        sleep(Duration::from_millis(20));
    }
}

/// Presence messages the watcher receives until none came for 1.5 s (bounded by [`WAIT`]).
pub fn presence_until_quiet(watcher: &mut Probe) -> Vec<Presence> {
    let deadline = Instant::now() + WAIT;
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        match watcher.next_message(Duration::from_millis(1500)) {
            Some(m) => seen.push(Presence::parse(&m)),
            None => break,
        }
    }
    seen
}

/// What a client subscribing now gets for `presence/<name>`, if anything.
pub fn retained_presence(broker: &Broker, name: &str) -> Option<Presence> {
    let mut late = observer(
        broker,
        &format!("late-{name}-{}", fastrand::u32(..)),
        &[&format!("presence/{name}")],
    );
    late.next_message(Duration::from_secs(2)).map(|m| Presence::parse(&m))
}

/// What is wrong with how `name` left, once it has exited; empty when it
/// left cleanly. `watcher` is on `presence/<name>` and has read the client's
/// `online`. The only presence after it must be the client's own offline:
/// same session, stamped `not_before` or later, which the will (stamped when
/// the client connected, before the online) cannot be, and retained. On
/// mosquitto the log must show the client's DISCONNECT.
pub fn will_problems(
    broker: &Broker,
    watcher: &mut Probe,
    name: &str,
    online: &Presence,
    not_before: DateTime<Utc>,
) -> Vec<String> {
    let mut problems = Vec::new();
    let seen = presence_until_quiet(watcher);
    let own = |p: &Presence| p.status == "offline" && p.session == online.session && p.ts >= not_before;
    match seen.as_slice() {
        [offline] if own(offline) => {}
        _ => problems.push(format!(
            "after its online ({online:?}) expected only its own offline, stamped {not_before} or later \
             (the will is stamped before the online); saw {seen:?}"
        )),
    }
    match retained_presence(broker, name) {
        Some(retained) if own(&retained) => {}
        other => problems.push(format!(
            "the retained presence is {other:?}, not the client's own offline"
        )),
    }
    problems.extend(mosquitto_problem(broker, name));
    problems
}

/// mosquitto's account of how the last connection of `komunikator-<name>-…`
/// ended: `None` when it got a DISCONNECT (`Client <id> disconnected.`), or
/// when the broker is not mosquitto.
pub fn mosquitto_problem(broker: &Broker, name: &str) -> Option<String> {
    if broker.kind != BrokerKind::Mosquitto {
        return None;
    }
    let marker = format!(" as komunikator-{name}-");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let log = broker.log_text();
        let id = log
            .lines()
            .rev()
            .find_map(|l| l[l.find(&marker)? + 4..].split_whitespace().next())
            .map(str::to_owned);
        let Some(id) = id else {
            return Some(format!("mosquitto's log shows no connection of komunikator-{name}-…"));
        };
        let dropped = [
            format!("Client {id} closed its connection"),
            format!("Client {id} has exceeded timeout"),
            format!("Socket error on client {id}"),
            format!("Bad socket read/write on client {id}"),
        ];
        if let Some(line) = log.lines().find(|l| dropped.iter().any(|d| l.contains(d.as_str()))) {
            return Some(format!("mosquitto saw no DISCONNECT (so it sent the will): {line}"));
        }
        let clean = format!("Client {id} disconnected.");
        if log.lines().any(|l| l.ends_with(&clean)) {
            return None;
        }
        if Instant::now() >= deadline {
            return Some(format!("mosquitto's log has no `{clean}`"));
        }
        sleep(Duration::from_millis(100));
    }
}
