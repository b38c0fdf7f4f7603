//! MQTT 5 end to end: what the client gets from speaking 5 to mosquitto (a
//! huge retained message dropped by the broker, refused publishes reported,
//! the broker's maximum packet size respected, a delayed will, the session
//! resumed after a cut), falling back to 3.1.1 where the broker does not
//! speak 5 (RabbitMQ, the embedded broker), clients of both versions in one
//! room, and several brokers in order (failover).
//!
//! Each file holds one part: [`limits`] (sizes and refusals), [`blips`]
//! (will delay and catch-up across a cut), [`versions`] (fallback, mixed
//! versions, failover).
//!
//! Every test that needs a version passes `--mqtt`, so the file passes under
//! `KOMUNIKATOR_TEST_MQTT=3.1.1` too. The RabbitMQ test is skipped with a
//! notice where it is not installed, unless KOMUNIKATOR_REQUIRE_RABBITMQ=1.

use komunikator_testkit as testkit;

use testkit::records::{is_message, record, records};

use std::process::{Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use serde_json::Value;
use testkit::observe::{chat_text, observer};
use testkit::{
    chat_payload, is_chat_line, mosquitto_tool, notice, Access, Broker, BrokerKind, Komunikator, MosquittoLog, Probe,
    Proxy, ProxyMode, RawPublisher, Received, WAIT,
};

/// Larger than the 16 MiB the client announces as its maximum packet size.
const HUGE: usize = 20 << 20;

mod blips;
mod limits;
mod versions;

fn mosquitto(extra: &str) -> Option<Broker> {
    Broker::start_mosquitto_with(MosquittoLog::All, extra)
}

/// Line mode on 127.0.0.1:`port` with the defaults: not even the version
/// `KOMUNIKATOR_TEST_MQTT` would set.
fn spawn_with_defaults(port: u16, name: &str) -> Komunikator {
    let port = port.to_string();
    Komunikator::spawn_custom(name, &["--no-tui", "-s", "127.0.0.1", "-p", &port, name], |command| {
        command.env_remove("KOMUNIKATOR_MQTT");
    })
}

/// `komunikator: connected to … as NAME, in #room (MQTT 5)`.
fn connected_notice(client: &mut Komunikator) -> String {
    client.stderr.wait_for("saying it is connected", WAIT, |l| {
        l.starts_with("komunikator: connected to ")
    })
}

/// The version a (re)connected notice ends with: `… (MQTT 5)` gives `5`.
fn notice_version(line: &str) -> Option<&str> {
    line.strip_suffix(')')?.rsplit_once(" (MQTT ").map(|(_, v)| v)
}

fn assert_connected_at(client: &mut Komunikator, version: &str) {
    let line = connected_notice(client);
    if notice_version(&line) != Some(version) {
        let transcript = client.transcript();
        panic!("{}: not at MQTT {version}: {line:?}\n{transcript}", client.name);
    }
}

fn is_lost(line: &str) -> bool {
    line.starts_with("komunikator: connection") && line.contains(" lost") && line.contains("reconnecting in ")
}

fn is_reconnected(line: &str) -> bool {
    line.starts_with("komunikator: reconnected to ")
}

/// A notice about the connection dropping or coming back.
fn is_trouble(line: &str) -> bool {
    ["lost", "reconnect", "cannot"].iter().any(|w| line.contains(w))
}

/// The first `--json` record so far (from the start) that matches, waiting up to `within`.
fn wait_record(client: &mut Komunikator, what: &str, within: Duration, pred: impl Fn(&Value) -> bool) -> Value {
    match client
        .stdout
        .try_wait_for(within, |l| record(l).is_some_and(|v| pred(&v)))
    {
        Some(line) => record(&line).expect("it parsed a moment ago"),
        None => {
            let transcript = client.transcript();
            panic!("{}: no record {what} within {within:?}\n{transcript}", client.name)
        }
    }
}

fn is_presence(v: &Value, user: &str, status: &str) -> bool {
    v["event"] == "presence" && v["user"] == user && v["status"] == status
}

/// The client id mosquitto logged for the last connection of `komunikator-NAME-…`.
fn client_id(broker: &Broker, name: &str) -> String {
    let marker = format!(" as komunikator-{name}-");
    broker
        .log_text()
        .lines()
        .rev()
        .find_map(|l| l[l.find(&marker)? + 4..].split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| panic!("mosquitto logged no connection of komunikator-{name}-…"))
}

/// The protocol of each connection of `komunikator-NAME-…` in mosquitto's
/// log, in order: `p5` for MQTT 5, `p2` for 3.1.1.
fn logged_protocols(broker: &Broker, name: &str) -> Vec<String> {
    let marker = format!(" as komunikator-{name}-");
    broker
        .log_text()
        .lines()
        .filter(|l| l.contains(&marker))
        .filter_map(|l| Some(l.rsplit_once(" (")?.1.split(',').next()?.to_owned()))
        .collect()
}

/// Waits until mosquitto's log has `needle`.
fn wait_log(broker: &Broker, needle: &str) {
    let deadline = Instant::now() + WAIT;
    while !broker.log_text().contains(needle) {
        assert!(
            Instant::now() < deadline,
            "mosquitto did not log {needle:?} within {WAIT:?}"
        );
        sleep(Duration::from_millis(50));
    }
}

/// Lines of mosquitto's log that have each of `needles`.
fn log_count(broker: &Broker, needles: &[&str]) -> usize {
    broker
        .log_text()
        .lines()
        .filter(|l| needles.iter().all(|n| l.contains(n)))
        .count()
}

/// Everything a raw observer receives until nothing came for `quiet` (bounded by [`WAIT`]).
fn messages_until_quiet(watcher: &mut Probe, quiet: Duration) -> Vec<Received> {
    let deadline = Instant::now() + WAIT;
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        match watcher.next_message(quiet) {
            Some(m) => seen.push(m),
            None => break,
        }
    }
    seen
}

/// What a raw observer receives until a message matches `last` (bounded by
/// [`WAIT`]) and then nothing came for 2 s.
fn messages_through(watcher: &mut Probe, last: impl Fn(&Received) -> bool) -> Vec<Received> {
    let deadline = Instant::now() + WAIT;
    let mut seen = Vec::new();
    while let Some(m) = watcher.next_message(deadline.saturating_duration_since(Instant::now())) {
        let done = last(&m);
        seen.push(m);
        if done {
            break;
        }
    }
    seen.extend(messages_until_quiet(watcher, Duration::from_secs(2)));
    seen
}

/// No notice so far of the connection dropping or coming back.
fn assert_stayed_connected(client: &mut Komunikator) {
    let trouble: Vec<String> = client.stderr.seen().iter().filter(|l| is_trouble(l)).cloned().collect();
    if !trouble.is_empty() {
        let transcript = client.transcript();
        panic!(
            "{}: the connection did not stay up: {trouble:?}\n{transcript}",
            client.name
        );
    }
}

/// Ends input and expects exit status 3: something typed was not sent (README).
fn quit_with_unsent(mut client: Komunikator) {
    client.close_stdin();
    let status = client.wait_exit(WAIT);
    if status.code() != Some(3) {
        let transcript = client.transcript();
        panic!(
            "{} exited with {status}, not 3 (a message not sent)\n{transcript}",
            client.name
        );
    }
}

fn sleep_until(t: Instant) {
    sleep(t.saturating_duration_since(Instant::now()));
}
