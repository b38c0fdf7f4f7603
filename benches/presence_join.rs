//! What one client joining costs with many people online, and how long until
//! its people list is complete.
//!
//! For each broker (mosquitto, then RabbitMQ when installed), freshly started:
//!
//! - N simulated users (`sim0000`…), one MQTT connection each, connected in
//!   batches: each publishes its retained presence (`presence/simNNNN`, QoS 1,
//!   `seq` 1, `rooms` `["general"]`, `refresh` 60) and subscribes to
//!   `presence/+/rollcall`; a roll call is answered after a random 0–500 ms
//!   with the same presence and `"repeat":true`, not retained, QoS 1, on
//!   `presence/simNNNN/answer/<asker>`, once per asking session (by the roll
//!   call's `session`) within 5 s (docs/protocol.md, "Presence extensions").
//!   Like real clients they would also subscribe to `presence/+`; they do not
//!   here (it would cost N² deliveries while connecting), so what the joiner's
//!   own presence and heartbeat cost the others is not simulated;
//! - an observer subscribed to `presence/#`, counting what crosses the broker
//!   from the moment the joiner starts: roll calls (`presence/+/rollcall`),
//!   answers (`presence/+/answer/+`), presence (`presence/+`) and heartbeats
//!   (`presence/+/alive`);
//! - the joiner: the real client, `komunikator --no-tui --json joiner`; the time
//!   from its "connected" notice until it has printed every simulated user online.
//!
//! mosquitto hands retained presence to wildcard subscriptions: the list comes
//! with the subscription. RabbitMQ 3.x does not: the joiner has to call the roll,
//! and the answers reach it alone (nobody else subscribes to its answer topic).
//! Nothing is asserted about timings; the figures are printed.
//!
//! ```text
//! cargo bench --bench presence_join                  # 1000 users
//! cargo bench --bench presence_join -- --quick       # 200 users
//! cargo bench --bench presence_join -- --users 500 --batch 25
//! ```
//!
//! Every wait is bounded (60 s without progress), and everything started is
//! stopped on the way out (also on panic).

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use komunikator_testkit::{binaries, client_binary, procfs, spawn_piped, use_binaries, Broker, MosquittoLog};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};

/// Longest wait without progress before the bench gives up.
const LIMIT: Duration = Duration::from_secs(60);
/// The observer counts at least this long after the joiner starts…
const WINDOW: Duration = Duration::from_secs(5);
/// …and at least this long after the joiner's list is complete.
const AFTER_COMPLETE: Duration = Duration::from_secs(2);
/// A session that asked this recently is not answered again.
const ANSWER_QUIET: Duration = Duration::from_secs(5);
/// Answers are spread over this many milliseconds.
const JITTER_MS: u64 = 500;
const JOINER: &str = "joiner";
/// How long the broker's CPU time is measured with nothing happening, for comparison.
const IDLE: Duration = Duration::from_secs(2);

struct Options {
    users: usize,
    /// Simulated users connecting at once.
    batch: usize,
}

fn options() -> Options {
    let mut o = Options { users: 1000, batch: 50 };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let value = |i: usize| -> usize {
            args.get(i + 1)
                .and_then(|v| v.parse().ok())
                .filter(|&n| n > 0)
                .unwrap_or_else(|| panic!("{} needs a number above 0", args[i]))
        };
        match args[i].as_str() {
            "--quick" => o.users = 200,
            "--users" => {
                o.users = value(i);
                i += 1;
            }
            "--batch" => {
                o.batch = value(i);
                i += 1;
            }
            _ => {} // `cargo bench` passes --bench
        }
        i += 1;
    }
    o
}

/// What the simulated users and the observer count, shared with the main thread.
#[derive(Default)]
struct Counters {
    /// Simulated users whose presence was acknowledged and subscription granted.
    ready: AtomicUsize,
    /// Why simulated users failed (connection refused or lost).
    failures: Mutex<Vec<String>>,
    observer_ready: AtomicBool,
    /// Everything the observer received, counting or not (to see the setup settle).
    observed: AtomicU64,
    /// True during the measured window.
    counting: AtomicBool,
    /// When the observer saw the first roll call of the window.
    first_call: Mutex<Option<Instant>>,
    // What the observer saw during the window.
    roll_calls: AtomicU64,
    answers: AtomicU64,
    presence: AtomicU64,
    heartbeats: AtomicU64,
    /// `presence/+` with `"repeat":true`: answers the old way (retained, on the presence topic).
    presence_repeats: AtomicU64,
    /// Anything else under `presence/#`.
    unknown: AtomicU64,
    // What the simulated users did during the window.
    roll_calls_to_sims: AtomicU64,
    answers_sent: AtomicU64,
}

impl Counters {
    fn counting(&self) -> bool {
        self.counting.load(Ordering::Relaxed)
    }

    fn add(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn fail(&self, why: String) {
        self.failures.lock().expect("failures").push(why);
    }

    fn failures(&self) -> Vec<String> {
        self.failures.lock().expect("failures").clone()
    }
}

fn get(counter: &AtomicU64) -> u64 {
    counter.load(Ordering::Relaxed)
}

fn mqtt_options(client_id: String, port: u16) -> MqttOptions {
    let mut o = MqttOptions::new(client_id, "127.0.0.1", port);
    o.set_keep_alive(Duration::from_secs(60)).set_clean_session(true);
    o
}

/// One simulated user's presence, as komunikator would publish it.
fn presence(user: &str, session: &str, ts: &str, repeat: bool) -> String {
    let repeat = if repeat { ",\"repeat\":true" } else { "" };
    format!(
        "{{\"v\":1,\"user\":\"{user}\",\"status\":\"online\",\"ts\":\"{ts}\",\"session\":\"{session}\",\
         \"seq\":1,\"rooms\":[\"general\"],\"refresh\":60{repeat}}}"
    )
}

/// A roll call: who asks (the name in the topic) and from which session.
fn roll_call(topic: &str, payload: &[u8]) -> Option<(String, String)> {
    let asker = topic.strip_prefix("presence/")?.strip_suffix("/rollcall")?;
    let v: serde_json::Value = serde_json::from_slice(payload).ok()?;
    Some((asker.to_owned(), v["session"].as_str()?.to_owned()))
}

/// One simulated user: connects, publishes its presence, answers roll calls.
async fn sim(i: usize, port: u16, c: Arc<Counters>) {
    let user = format!("sim{i:04}");
    let topic = format!("presence/{user}");
    let session = format!("{:012x}", fastrand::u64(..) & 0xffff_ffff_ffff);
    let ts = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let answer = presence(&user, &session, &ts, true);
    let (client, mut events) = AsyncClient::new(mqtt_options(format!("{user}-{}", std::process::id()), port), 16);
    let (mut acked, mut subscribed, mut ready) = (false, false, false);
    // Asking sessions answered, and when.
    let mut answered: HashMap<String, Instant> = HashMap::new();
    loop {
        let event = match events.poll().await {
            Ok(event) => event,
            Err(e) => {
                c.fail(format!("{user}: {e}"));
                return;
            }
        };
        match event {
            Event::Incoming(Packet::ConnAck(_)) => {
                let payload = presence(&user, &session, &ts, false);
                let sent = client
                    .try_publish(&topic, QoS::AtLeastOnce, true, payload)
                    .and_then(|()| client.try_subscribe("presence/+/rollcall", QoS::AtMostOnce));
                if let Err(e) = sent {
                    c.fail(format!("{user}: {e}"));
                    return;
                }
            }
            Event::Incoming(Packet::PubAck(_)) => acked = true,
            Event::Incoming(Packet::SubAck(_)) => subscribed = true,
            Event::Incoming(Packet::Publish(p)) => {
                if c.counting() {
                    Counters::add(&c.roll_calls_to_sims);
                }
                let now = Instant::now();
                answered.retain(|_, at| now.duration_since(*at) < ANSWER_QUIET);
                match roll_call(&p.topic, &p.payload) {
                    Some((asker, asking)) if asking != session && !answered.contains_key(&asking) => {
                        answered.insert(asking, now);
                        let to = format!("presence/{user}/answer/{asker}");
                        let (client, answer, c) = (client.clone(), answer.clone(), c.clone());
                        tokio::spawn(async move {
                            tokio::time::sleep(Duration::from_millis(fastrand::u64(0..=JITTER_MS))).await;
                            if client.publish(to, QoS::AtLeastOnce, false, answer).await.is_ok() && c.counting() {
                                Counters::add(&c.answers_sent);
                            }
                        });
                    }
                    _ => {}
                }
            }
            _ => {}
        }
        if acked && subscribed && !ready {
            ready = true;
            c.ready.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Subscribed to `presence/#`; sorts what arrives during the window by topic.
async fn observer(port: u16, c: Arc<Counters>) {
    let id = format!("presence-join-observer-{}", std::process::id());
    let (client, mut events) = AsyncClient::new(mqtt_options(id, port), 16);
    loop {
        let event = match events.poll().await {
            Ok(event) => event,
            Err(e) => {
                c.fail(format!("observer: {e}"));
                return;
            }
        };
        match event {
            Event::Incoming(Packet::ConnAck(_)) => {
                if let Err(e) = client.try_subscribe("presence/#", QoS::AtMostOnce) {
                    c.fail(format!("observer: {e}"));
                    return;
                }
            }
            Event::Incoming(Packet::SubAck(_)) => c.observer_ready.store(true, Ordering::Relaxed),
            Event::Incoming(Packet::Publish(p)) => {
                Counters::add(&c.observed);
                if !c.counting() {
                    continue;
                }
                let levels: Vec<&str> = p.topic.split('/').collect();
                let counter = match levels.as_slice() {
                    ["presence", user] if !user.is_empty() => {
                        if serde_json::from_slice::<serde_json::Value>(&p.payload)
                            .is_ok_and(|v| v["repeat"] == serde_json::Value::Bool(true))
                        {
                            Counters::add(&c.presence_repeats);
                        }
                        &c.presence
                    }
                    ["presence", _, "rollcall"] => {
                        c.first_call
                            .lock()
                            .expect("first call")
                            .get_or_insert_with(Instant::now);
                        &c.roll_calls
                    }
                    ["presence", _, "answer", _] => &c.answers,
                    ["presence", _, "alive"] => &c.heartbeats,
                    _ => &c.unknown,
                };
                Counters::add(counter);
            }
            _ => {}
        }
    }
}

/// The simulated users and the observer, on a runtime of their own thread;
/// all disconnected (dropped) when this is dropped.
struct Sims {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Sims {
    fn start(port: u16, opts: &Options, c: Arc<Counters>) -> Sims {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (users, batch) = (opts.users, opts.batch);
        let thread = thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a tokio runtime");
            runtime.block_on(async move {
                tokio::spawn(observer(port, c.clone()));
                for first in (0..users).step_by(batch) {
                    let end = (first + batch).min(users);
                    for i in first..end {
                        tokio::spawn(sim(i, port, c.clone()));
                    }
                    // The next batch once this one is in (or gave up): the main thread judges.
                    let since = Instant::now();
                    while c.ready.load(Ordering::Relaxed) < end && c.failures().is_empty() && since.elapsed() < LIMIT {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                }
                let _ = stopped.await;
            });
        });
        Sims {
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for Sims {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Waits until every simulated user and the observer are in; panics after
/// [`LIMIT`] without progress or at the first failure. Returns how long it took.
fn wait_ready(c: &Counters, users: usize, broker: &str) -> Duration {
    let started = Instant::now();
    let (mut last, mut progress) = (0, Instant::now());
    loop {
        let failures = c.failures();
        assert!(
            failures.is_empty(),
            "{broker}: {} simulated connections failed, the first: {}",
            failures.len(),
            failures[0]
        );
        let ready = c.ready.load(Ordering::Relaxed);
        if ready >= users && c.observer_ready.load(Ordering::Relaxed) {
            return started.elapsed();
        }
        if ready != last {
            (last, progress) = (ready, Instant::now());
        }
        assert!(
            progress.elapsed() < LIMIT,
            "{broker}: only {ready} of {users} simulated users online, none more for {LIMIT:?}"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until the observer has received nothing for a second (the retained
/// presence it got on subscribing, the last simulated users' publishes).
fn wait_quiet(c: &Counters, broker: &str) {
    let started = Instant::now();
    let (mut last, mut since) = (get(&c.observed), Instant::now());
    while since.elapsed() < Duration::from_secs(1) {
        thread::sleep(Duration::from_millis(50));
        let now = get(&c.observed);
        if now != last {
            (last, since) = (now, Instant::now());
        }
        assert!(
            started.elapsed() < LIMIT,
            "{broker}: presence traffic did not settle within {LIMIT:?}"
        );
    }
}

/// What the joiner printed, with the moments that matter.
#[derive(Default)]
struct Seen {
    sims_online: HashSet<String>,
    presence_lines: usize,
    /// When simulated users were printed with `"retained":true`: state, not news (the
    /// client says so of answers to its roll call too).
    retained_sims: Vec<Instant>,
    first_sim: Option<Instant>,
    complete: Option<Instant>,
    connected: Option<Instant>,
    stderr: Vec<String>,
    ended: bool,
}

/// The real client, `--no-tui --json`, with its output read on two threads.
struct Joiner {
    child: Child,
    stdin: Option<ChildStdin>,
    seen: Arc<Mutex<Seen>>,
    started: Instant,
}

impl Joiner {
    fn spawn(port: u16, users: usize) -> Joiner {
        let port = port.to_string();
        let started = Instant::now();
        let mut child = spawn_piped(&["--no-tui", "--json", "-s", "127.0.0.1", "-p", &port, JOINER], |_| {});
        let seen = Arc::new(Mutex::new(Seen::default()));
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        {
            let seen = seen.clone();
            thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    let at = Instant::now();
                    let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
                        continue;
                    };
                    if v["event"] != "presence" {
                        continue;
                    }
                    let mut seen = seen.lock().expect("seen");
                    seen.presence_lines += 1;
                    let user = v["user"].as_str().unwrap_or_default();
                    if user.starts_with("sim") && v["status"] == "online" {
                        seen.first_sim.get_or_insert(at);
                        if v["retained"] == true {
                            seen.retained_sims.push(at);
                        }
                        seen.sims_online.insert(user.to_owned());
                        if seen.sims_online.len() >= users {
                            seen.complete.get_or_insert(at);
                        }
                    }
                }
                seen.lock().expect("seen").ended = true;
            });
        }
        {
            let seen = seen.clone();
            thread::spawn(move || {
                for line in BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    let mut seen = seen.lock().expect("seen");
                    if line.starts_with("komunikator: connected to ") {
                        seen.connected.get_or_insert_with(Instant::now);
                    }
                    seen.stderr.push(line);
                }
            });
        }
        Joiner {
            stdin: child.stdin.take(),
            child,
            seen,
            started,
        }
    }

    /// Waits until every simulated user was printed online; panics with what
    /// it saw after [`LIMIT`] without progress.
    fn wait_complete(&self, users: usize, broker: &str) {
        let (mut last, mut progress) = (0, Instant::now());
        loop {
            {
                let seen = self.seen.lock().expect("seen");
                if seen.complete.is_some() {
                    return;
                }
                let n = seen.sims_online.len();
                if n != last {
                    (last, progress) = (n, Instant::now());
                }
                assert!(
                    progress.elapsed() < LIMIT && !seen.ended,
                    "{broker}: the joiner listed {n} of {users} simulated users online, none more for {:?}{}; \
                     its stderr:\n{}",
                    progress.elapsed(),
                    if seen.ended { " (its output ended)" } else { "" },
                    seen.stderr.join("\n")
                );
            }
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// End of input: a clean quit, waited for (bounded), then killed if need be.
    fn quit(&mut self) {
        self.stdin = None;
        let until = Instant::now() + Duration::from_secs(10);
        while self.child.try_wait().ok().flatten().is_none() && Instant::now() < until {
            thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Joiner {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// One line of the table.
struct Row {
    broker: &'static str,
    users: usize,
    setup: Duration,
    connected_ms: f64,
    call_ms: f64,
    first_sim_ms: f64,
    complete_ms: f64,
    window: Duration,
    roll_calls: u64,
    answers: u64,
    presence: u64,
    heartbeats: u64,
    presence_repeats: u64,
    unknown: u64,
    roll_calls_to_sims: u64,
    answers_sent: u64,
    retained_to_joiner: usize,
    joiner_lines: usize,
    broker_cpu_ms: f64,
    /// The broker's CPU time in as long a window without a join.
    broker_idle_ms: f64,
    joiner_cpu_ms: f64,
}

fn ms_between(from: Instant, to: Instant) -> f64 {
    if to >= from {
        (to - from).as_secs_f64() * 1000.0
    } else {
        -((from - to).as_secs_f64() * 1000.0)
    }
}

fn scenario(broker: &Broker, opts: &Options) -> Row {
    let label = broker.kind.label();
    let c = Arc::new(Counters::default());
    let sims = Sims::start(broker.port, opts, c.clone());
    let setup = wait_ready(&c, opts.users, label);
    eprintln!(
        "{label}: {} simulated users online after {:.1} s",
        opts.users,
        setup.as_secs_f64()
    );
    wait_quiet(&c, label);
    // The broker's CPU time when nothing happens (RabbitMQ is never quite idle).
    let idle_from = (Instant::now(), procfs::scheduled_ns(broker.pid()));
    thread::sleep(IDLE);
    let idle_ns_per_s =
        procfs::scheduled_ns(broker.pid()).saturating_sub(idle_from.1) as f64 / idle_from.0.elapsed().as_secs_f64();

    let broker_cpu = procfs::scheduled_ns(broker.pid());
    c.counting.store(true, Ordering::Relaxed);
    let mut joiner = Joiner::spawn(broker.port, opts.users);
    joiner.wait_complete(opts.users, label);
    let complete = joiner.seen.lock().expect("seen").complete.expect("complete");
    let end = (joiner.started + WINDOW).max(complete + AFTER_COMPLETE);
    thread::sleep(end.saturating_duration_since(Instant::now()));
    c.counting.store(false, Ordering::Relaxed);
    let window = joiner.started.elapsed();
    let broker_cpu_ms = procfs::scheduled_ns(broker.pid()).saturating_sub(broker_cpu) as f64 / 1e6;
    let joiner_cpu_ms = procfs::scheduled_ns(joiner.child.id() as i32) as f64 / 1e6;
    joiner.quit();

    let seen = joiner.seen.lock().expect("seen");
    let connected = seen.connected.unwrap_or(joiner.started);
    let first_call = *c.first_call.lock().expect("first call");
    // Retained presence handed over with the subscription: what was printed before
    // any roll call (the answers come after it).
    let retained_to_joiner = seen
        .retained_sims
        .iter()
        .filter(|&&at| first_call.is_none_or(|call| at < call))
        .count();
    let row = Row {
        broker: label,
        users: opts.users,
        setup,
        connected_ms: ms_between(joiner.started, connected),
        call_ms: first_call.map_or(f64::NAN, |t| ms_between(connected, t)),
        first_sim_ms: seen.first_sim.map_or(f64::NAN, |t| ms_between(connected, t)),
        complete_ms: ms_between(connected, complete),
        window,
        roll_calls: get(&c.roll_calls),
        answers: get(&c.answers),
        presence: get(&c.presence),
        heartbeats: get(&c.heartbeats),
        presence_repeats: get(&c.presence_repeats),
        unknown: get(&c.unknown),
        roll_calls_to_sims: get(&c.roll_calls_to_sims),
        answers_sent: get(&c.answers_sent),
        retained_to_joiner,
        joiner_lines: seen.presence_lines,
        broker_cpu_ms,
        broker_idle_ms: idle_ns_per_s * window.as_secs_f64() / 1e6,
        joiner_cpu_ms,
    };
    drop(seen);
    drop(joiner);
    drop(sims);
    row
}

fn print_table(rows: &[Row]) {
    println!();
    println!(
        "{:<10} {:>5} {:>7} {:>6} {:>7} {:>7} {:>9} {:>6} {:>6} {:>8} {:>8} {:>6} {:>8} {:>9} {:>8} {:>6} {:>7} {:>8} {:>7}",
        "broker",
        "users",
        "setup",
        "conn",
        "call",
        "first",
        "complete",
        "window",
        "calls",
        "answers",
        "presence",
        "alive",
        "to sims",
        "to joiner",
        "per join",
        "lines",
        "brk CPU",
        "brk idle",
        "cli CPU"
    );
    for r in rows {
        let to_joiner = r.answers + r.retained_to_joiner as u64;
        println!(
            "{:<10} {:>5} {:>6.1}s {:>4.0}ms {:>7} {:>5.0}ms {:>7.0}ms {:>5.1}s {:>6} {:>8} {:>8} {:>6} {:>8} {:>9} {:>8} {:>6} {:>5.0}ms {:>6.0}ms {:>5.0}ms",
            r.broker,
            r.users,
            r.setup.as_secs_f64(),
            r.connected_ms,
            if r.call_ms.is_nan() {
                "-".to_owned()
            } else {
                format!("{:.0}ms", r.call_ms)
            },
            r.first_sim_ms,
            r.complete_ms,
            r.window.as_secs_f64(),
            r.roll_calls,
            r.answers,
            r.presence,
            r.heartbeats,
            r.roll_calls_to_sims,
            to_joiner,
            r.roll_calls_to_sims + to_joiner,
            r.joiner_lines,
            r.broker_cpu_ms,
            r.broker_idle_ms,
            r.joiner_cpu_ms,
        );
        if r.answers_sent != r.answers {
            println!(
                "  ({} answers sent by the simulated users in the window, {} seen by the observer)",
                r.answers_sent, r.answers
            );
        }
        if r.presence_repeats > 0 {
            println!(
                "  ({} of the presence messages carried \"repeat\":true: answers on presence/+, the old way)",
                r.presence_repeats
            );
        }
        if r.unknown > 0 {
            println!("  ({} other messages under presence/#)", r.unknown);
        }
    }
    println!();
    println!("setup: connecting the simulated users (not measured); conn: joiner start → its \"connected\" notice;");
    println!("call: \"connected\" → the roll call seen by the observer;");
    println!("first / complete: \"connected\" → the first / last simulated user printed online by the joiner;");
    println!(
        "window: joiner start → end of counting (≥ 5 s, ≥ 2 s after complete); published in the window, by topic:"
    );
    println!(
        "calls: presence/+/rollcall, answers: presence/+/answer/+, presence: presence/+, alive: presence/+/alive;"
    );
    println!("to sims: messages delivered to the simulated users (roll calls; real clients get one each too);");
    println!("to joiner: answers (each reaches the joiner alone) + retained presence it got with its subscription");
    println!("  (simulated users it printed before any roll call); per join: to sims + to joiner. Not included:");
    println!(
        "  the joiner's own presence and heartbeat, which real clients (on presence/+) would get: 2 × users more;"
    );
    println!("lines: presence lines the joiner printed;");
    println!("brk CPU: the broker's CPU time in the window; brk idle: the same without a join (measured just before);");
    println!("cli CPU: the joiner's CPU time from its start until the window ended.");
}

fn main() {
    use_binaries(binaries!());
    let opts = options();
    println!(
        "presence join: {} simulated users, batches of {}; joiner {}",
        opts.users,
        opts.batch,
        client_binary()
    );
    let mut rows = Vec::new();
    match Broker::start_mosquitto_with(MosquittoLog::Off, "") {
        Some(broker) => rows.push(scenario(&broker, &opts)),
        None => komunikator_testkit::notice("mosquitto is not installed: skipped"),
    }
    // start_rabbitmq gives a notice of its own when it is missing.
    if let Some(broker) = Broker::start_rabbitmq() {
        rows.push(scenario(&broker, &opts));
    }
    print_table(&rows);
}
