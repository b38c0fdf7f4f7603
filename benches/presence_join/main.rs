//! What one client joining costs with many people online, and how long until
//! its people list is complete.
//!
//! For each broker (mosquitto, then RabbitMQ when installed), freshly started:
//!
//! - N simulated users (`sim0000`…), one MQTT connection each, connected in
//!   batches: each publishes its retained presence (`presence/simNNNN`, QoS 1,
//!   `seq` 1, `rooms` `["general"]`, `refresh` 60) and subscribes to
//!   `presence/+/rollcall`; a roll call is answered after a random 0–300 ms
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

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use komunikator_testkit::{binaries, client_binary, procfs, use_binaries, Broker, MosquittoLog};

mod joiner;
mod sims;

use joiner::*;
use sims::*;

/// Longest wait without progress before the bench gives up.
pub(crate) const LIMIT: Duration = Duration::from_secs(60);
/// The observer counts at least this long after the joiner starts…
pub(crate) const WINDOW: Duration = Duration::from_secs(5);
/// …and at least this long after the joiner's list is complete.
pub(crate) const AFTER_COMPLETE: Duration = Duration::from_secs(2);
/// A session that asked this recently is not answered again.
pub(crate) const ANSWER_QUIET: Duration = Duration::from_secs(5);
/// Answers are spread over this many milliseconds.
pub(crate) const JITTER_MS: u64 = 300;
pub(crate) const JOINER: &str = "joiner";
/// How long the broker's CPU time is measured with nothing happening, for comparison.
pub(crate) const IDLE: Duration = Duration::from_secs(2);

pub(crate) struct Options {
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
