//! End-to-end: komunikator's line mode (`--no-tui --json`) against
//! `mosquitto_sub`, over the same broker, the same publisher and the same
//! measuring reader.
//!
//! Starts its own mosquitto on a free loopback port, then for every round runs
//! each test once with each subscriber, alternating which goes first (A B, B A, …):
//!
//! - flood: N valid chat messages to `chat/general` as fast as the broker takes
//!   them (QoS 0, then QoS 1 end to end); throughput = N / (last arrival − first
//!   publish), CPU = the subscriber's CPU time during the flood, normalised to
//!   100 000 messages, peak RSS = the subscriber's VmHWM;
//! - latency: 2 000 messages at 500/s; latency = arrival of the line on the
//!   subscriber's stdout (seen by this process) − publish time embedded in the
//!   payload.
//!
//! Prints medians over the rounds and the ratios komunikator/mosquitto_sub.
//!
//! ```text
//! cargo bench --bench e2e                 # 100 000-message floods, 5 rounds
//! cargo bench --bench e2e -- --quick      # 5 000 messages, 1 round (CI smoke)
//! cargo bench --bench e2e -- --rounds 3 --msgs 50000
//! cargo bench --bench e2e -- --signed     # every message signed by a sender komunikator knows
//! ```
//!
//! With `--signed` the publisher signs each payload as a komunikator sender
//! does (user `pub`, a fixed key) and every komunikator under test starts
//! knowing that key, so each message is a signature to check; mosquitto_sub
//! just prints them. Every komunikator runs with a data directory of its own,
//! new for each run (its history starts empty).
//!
//! Needs `mosquitto` and `mosquitto_sub` (on PATH or in sbin). Every wait is bounded, and
//! everything started is stopped on the way out (also on panic).

mod publisher;
mod report;
mod run;
mod subscriber;

use std::process::Child;
use std::thread;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use komunikator_testkit::{mosquitto_tool, Broker, MosquittoLog};

use report::{print_run, Results, Table};
use run::{Run, Test};
use subscriber::Sub;

const TOPIC: &str = "chat/general";
const QOS1_WINDOW: u64 = 1000;

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_micros() as u64
}

struct Options {
    /// Other komunikator binaries to measure in the same run (A/B of builds).
    also: Vec<String>,
    /// Only the tests whose label contains this (`flood`, `latency`, `QoS 1`).
    only: Option<String>,
    msgs: usize,
    rounds: usize,
    latency_msgs: usize,
    latency_rate: u64,
    /// The publisher signs every payload; komunikator knows its key.
    signed: bool,
}

fn options() -> Options {
    let mut o = Options {
        also: Vec::new(),
        only: None,
        msgs: 100_000,
        rounds: 5,
        latency_msgs: 2_000,
        latency_rate: 500,
        signed: false,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let value = |i: usize| -> usize {
            args.get(i + 1)
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{} needs a number", args[i]))
        };
        match args[i].as_str() {
            "--quick" => {
                o.msgs = 5_000;
                o.rounds = 1;
                o.latency_msgs = 500;
            }
            "--msgs" => {
                o.msgs = value(i);
                i += 1;
            }
            "--rounds" => {
                o.rounds = value(i);
                i += 1;
            }
            "--also" => {
                o.also.push(args.get(i + 1).expect("--also needs a path").clone());
                i += 1;
            }
            "--only" => {
                o.only = Some(args.get(i + 1).expect("--only needs a word").clone());
                i += 1;
            }
            "--signed" => o.signed = true,
            "--latency-msgs" => {
                o.latency_msgs = value(i);
                i += 1;
            }
            _ => {} // `cargo bench` passes --bench; filters are not used here
        }
        i += 1;
    }
    o
}

/// Children killed when dropped: nothing outlives the bench, even on panic.
struct Reaper(Vec<Child>);

impl Drop for Reaper {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn main() {
    // Exit only after every child was stopped (process::exit skips destructors).
    std::process::exit(bench());
}

/// A B, then B A, …: each subscriber goes first as often as the others.
fn turn_order(subs: &[Sub], turn: usize) -> Vec<Sub> {
    let mut order = subs.to_vec();
    order.rotate_left(turn % subs.len());
    if turn % 2 == 1 {
        order.reverse();
    }
    order
}

/// The builds under test: this one first, then those given with `--also`.
fn builds(opts: &Options) -> Vec<String> {
    let mut builds = vec![env!("CARGO_BIN_EXE_komunikator").to_owned()];
    builds.extend(opts.also.iter().cloned());
    for (i, build) in builds.iter().enumerate() {
        println!("{}: {build}", Sub::Komunikator(i).name(&builds));
    }
    builds
}

fn bench() -> i32 {
    let opts = options();
    let started = Instant::now();
    // Missing tools fail the bench (status 1); the notice says which.
    let Some(mosquitto_sub) = mosquitto_tool("mosquitto_sub") else {
        return 1;
    };
    // No queue limits: a slow subscriber must not lose messages.
    let Some(broker) = Broker::start_mosquitto_with(MosquittoLog::Off, "max_queued_bytes 0\nset_tcp_nodelay true\n")
    else {
        return 1;
    };
    let port = broker.port;
    let cores = thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "e2e: mosquitto on 127.0.0.1:{port}; {} msgs/flood, {} msgs at {}/s for latency, {} round(s); {cores} cores{}",
        opts.msgs,
        opts.latency_msgs,
        opts.latency_rate,
        opts.rounds,
        if opts.signed { "; signed by a known sender" } else { "" }
    );
    let builds = builds(&opts);
    let mut subs: Vec<Sub> = (0..builds.len()).map(Sub::Komunikator).collect();
    subs.push(Sub::MosquittoSub);

    let tests: Vec<Test> = [Test::Flood(0), Test::Flood(1), Test::Latency(0), Test::Latency(1)]
        .into_iter()
        .filter(|t| opts.only.as_ref().is_none_or(|w| t.label().contains(w.as_str())))
        .collect();
    let mut results = Results::new();
    for round in 0..opts.rounds {
        for (t, &test) in tests.iter().enumerate() {
            for sub in turn_order(&subs, round + t) {
                let run = Run {
                    builds: &builds,
                    mosquitto_sub: &mosquitto_sub,
                    port,
                    sub,
                    test,
                    signed: opts.signed,
                };
                let o = run.measure(&opts);
                print_run(round, test, &sub.name(&builds), &o);
                results.entry((test, sub)).or_default().push(o);
            }
        }
    }
    Table {
        subs: &subs,
        builds: &builds,
        results: &results,
    }
    .print(&tests, opts.rounds);
    println!("e2e: finished in {:.1} s", started.elapsed().as_secs_f64());
    if !results.values().flatten().all(|o| o.missing == 0) {
        eprintln!("e2e: some messages were not delivered");
        return 1;
    }
    0
}
