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
//! ```
//!
//! Needs `mosquitto` and `mosquitto_sub` (on PATH or in sbin). Every wait is bounded, and
//! everything started is stopped on the way out (also on panic).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use komunikator_testkit::{mosquitto_tool, mqtt, procfs, Broker, MosquittoLog};

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
    quick: bool,
}

fn options() -> Options {
    let mut o = Options {
        also: Vec::new(),
        only: None,
        msgs: 100_000,
        rounds: 5,
        latency_msgs: 2_000,
        latency_rate: 500,
        quick: false,
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
                o.quick = true;
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

// ---------------------------------------------------------------- publisher

/// A minimal MQTT 3.1.1 publisher over a plain socket: no library in the way.
struct Publisher {
    stream: TcpStream,
    acked: Option<mpsc::Receiver<u64>>,
    ts: String,
    run: String,
}

impl Publisher {
    fn connect(port: u16, run: &str) -> Publisher {
        let stream = mqtt::connect(port, &format!("e2e-pub-{run}"), 0);
        stream.set_nodelay(true).expect("nodelay");
        Publisher {
            stream,
            acked: None,
            ts: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            run: run.to_owned(),
        }
    }

    /// Counts PUBACKs on a thread of its own; the sender keeps a window.
    fn start_acks(&mut self) {
        let mut stream = self.stream.try_clone().expect("clone socket");
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut buf = vec![0u8; 64 * 1024];
            let mut pending = 0usize; // bytes of a PUBACK cut by a read boundary
            while let Ok(n) = stream.read(&mut buf) {
                if n == 0 {
                    return;
                }
                // Only PUBACKs (4 bytes each) come back on this connection.
                let total = pending + n;
                let acks = total / 4;
                pending = total % 4;
                if acks > 0 && tx.send(acks as u64).is_err() {
                    return;
                }
            }
        });
        self.acked = Some(rx);
    }

    fn packet(&self, out: &mut Vec<u8>, qos: u8, seq: u64, label: &str, pkid: u16) {
        let payload = format!(
            r#"{{"v":1,"id":"{}-{label}-{seq}","user":"pub","text":"{label} {seq} {}","ts":"{}"}}"#,
            self.run,
            now_us(),
            self.ts
        );
        mqtt::publish_header(out, TOPIC, qos, false, pkid, payload.len());
        out.extend_from_slice(payload.as_bytes());
    }

    /// Publishes `count` messages, `label seq time`, each at `pace` apart or
    /// as fast as possible (written in 32 KiB blocks).
    fn publish(&mut self, qos: u8, label: &str, count: u64, pace: Option<Duration>) {
        if qos > 0 && self.acked.is_none() {
            self.start_acks();
        }
        let mut sent = 0u64;
        let mut acked = 0u64;
        let mut buf = Vec::with_capacity(64 * 1024);
        let start = Instant::now();
        for seq in 0..count {
            if qos > 0 {
                let rx = self.acked.as_ref().expect("ack counter");
                while let Ok(n) = rx.try_recv() {
                    acked += n;
                }
                while sent - acked >= QOS1_WINDOW {
                    if !buf.is_empty() {
                        self.stream.write_all(&buf).expect("publish");
                        buf.clear();
                    }
                    acked += rx.recv_timeout(Duration::from_secs(30)).expect("PUBACKs stopped");
                }
            }
            if let Some(pace) = pace {
                let at = start + pace * seq as u32;
                let now = Instant::now();
                if at > now {
                    thread::sleep(at - now);
                }
            }
            let pkid = (seq % 65_000) as u16 + 1;
            self.packet(&mut buf, qos, seq, label, pkid);
            sent += 1;
            if pace.is_some() || buf.len() >= 32 * 1024 {
                self.stream.write_all(&buf).expect("publish");
                buf.clear();
            }
        }
        self.stream.write_all(&buf).expect("publish");
        if qos > 0 {
            let rx = self.acked.as_ref().expect("ack counter");
            while acked < sent {
                acked += rx.recv_timeout(Duration::from_secs(30)).expect("PUBACKs stopped");
            }
        }
    }
}

// ---------------------------------------------------------------- subscribers

/// A subscriber under test: komunikator builds (0: this one, then `--also`), or mosquitto_sub.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Sub {
    Komunikator(usize),
    MosquittoSub,
}

impl Sub {
    fn name(self, builds: &[String]) -> String {
        match self {
            Sub::Komunikator(0) => "komunikator".into(),
            Sub::Komunikator(i) => {
                let path = Path::new(&builds[i]);
                format!(
                    "k:{}",
                    path.file_name()
                        .map_or(builds[i].clone(), |f| f.to_string_lossy().into())
                )
            }
            Sub::MosquittoSub => "mosquitto_sub".into(),
        }
    }
}

#[derive(Default)]
struct Seen {
    probes: u64,
    /// Per test message: arrival − embedded publish time, in µs.
    latency: Vec<Option<u64>>,
    received: usize,
    first_sent: Option<u64>,
    last_arrival: u64,
}

/// Reads the subscriber's stdout: one line per message, in both programs the
/// payload's `"text":"label seq time"` is found the same way.
fn read_lines(stdout: impl Read, seen: Arc<Mutex<Seen>>, label: String) {
    let mut reader = BufReader::with_capacity(64 * 1024, stdout);
    let mut line = Vec::with_capacity(512);
    let key = b"\"text\":\"";
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let arrival = now_us();
        let Some(at) = line.windows(key.len()).position(|w| w == key) else {
            continue;
        };
        let text = &line[at + key.len()..];
        let end = text.iter().position(|&b| b == b'"').unwrap_or(text.len());
        let Ok(text) = std::str::from_utf8(&text[..end]) else {
            continue;
        };
        let mut parts = text.split(' ');
        let (Some(kind), Some(seq), Some(sent)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let mut seen = seen.lock().expect("seen");
        if kind == "probe" {
            seen.probes += 1;
            continue;
        }
        if kind != label {
            continue;
        }
        let (Ok(seq), Ok(sent)) = (seq.parse::<usize>(), sent.parse::<u64>()) else {
            continue;
        };
        if seq >= seen.latency.len() || seen.latency[seq].is_some() {
            continue;
        }
        seen.latency[seq] = Some(arrival.saturating_sub(sent));
        seen.received += 1;
        if seq == 0 {
            seen.first_sent = Some(sent);
        }
        seen.last_arrival = seen.last_arrival.max(arrival);
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Test {
    Flood(u8),
    Latency(u8),
}

impl Test {
    fn label(self) -> String {
        match self {
            Test::Flood(q) => format!("flood QoS {q}"),
            Test::Latency(q) => format!("latency QoS {q}"),
        }
    }
}

#[derive(Default, Debug, Clone)]
struct Outcome {
    missing: usize,
    throughput: f64,
    cpu_per_100k: f64,
    user_per_100k: f64,
    sys_per_100k: f64,
    rss_mib: f64,
    p50_us: f64,
    p99_us: f64,
    startup_ms: f64,
}

static RUN: AtomicU64 = AtomicU64::new(0);

fn run_one(builds: &[String], mosquitto_sub: &Path, port: u16, sub: Sub, test: Test, opts: &Options) -> Outcome {
    let run = RUN.fetch_add(1, Ordering::Relaxed);
    let run_id = format!("r{run}-{}", std::process::id());
    let (qos, count, pace) = match test {
        Test::Flood(q) => (q, opts.msgs, None),
        Test::Latency(q) => (
            q,
            opts.latency_msgs,
            Some(Duration::from_micros(1_000_000 / opts.latency_rate)),
        ),
    };
    let port_s = port.to_string();
    let qos_s = qos.to_string();
    let mut cmd = match sub {
        Sub::Komunikator(i) => {
            let mut c = Command::new(&builds[i]);
            c.args(["--no-tui", "--json", "-s", "127.0.0.1", "-p", &port_s, "-r", "general"]);
            c.args(["--qos", &qos_s, &format!("k{run}")]);
            c
        }
        Sub::MosquittoSub => {
            let mut c = Command::new(mosquitto_sub);
            c.args(["-h", "127.0.0.1", "-p", &port_s, "-t", TOPIC, "-q", &qos_s]);
            c
        }
    };
    let started = Instant::now();
    let child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", sub.name(builds)));
    let mut reaper = Reaper(vec![child]);
    let child = &mut reaper.0[0];
    let pid = child.id() as i32;
    let stdin = child.stdin.take();
    let stdout = child.stdout.take().expect("piped stdout");
    let label = format!("m{run}");
    let seen = Arc::new(Mutex::new(Seen {
        latency: vec![None; count],
        ..Seen::default()
    }));
    let reader = {
        let (seen, label) = (seen.clone(), label.clone());
        thread::spawn(move || read_lines(stdout, seen, label))
    };

    // Probe until the subscriber shows a message: then it is subscribed.
    let mut publisher = Publisher::connect(port, &run_id);
    let until = Instant::now() + Duration::from_secs(10);
    let mut probe = 0;
    let startup_ms = loop {
        publisher.publish(0, "probe", 1, None);
        probe += 1;
        let deadline = Instant::now() + Duration::from_millis(5);
        while Instant::now() < deadline && seen.lock().expect("seen").probes == 0 {
            thread::sleep(Duration::from_micros(200));
        }
        if seen.lock().expect("seen").probes > 0 {
            break started.elapsed().as_secs_f64() * 1000.0;
        }
        assert!(
            Instant::now() < until,
            "{} did not subscribe within 10 s ({probe} probes)",
            sub.name(builds)
        );
    };
    let cpu_before = procfs::scheduled_ns(pid);
    let ticks_before = procfs::user_sys_ticks(pid);

    let done = Arc::new(AtomicBool::new(false));
    let publishing = {
        let label = label.clone();
        let done = done.clone();
        thread::spawn(move || {
            publisher.publish(qos, &label, count as u64, pace);
            done.store(true, Ordering::Relaxed);
            publisher
        })
    };
    let limit = Duration::from_secs(60) + pace.map_or(Duration::ZERO, |p| p * count as u32);
    let until = Instant::now() + limit;
    loop {
        if seen.lock().expect("seen").received >= count {
            break;
        }
        if Instant::now() > until {
            eprintln!("  {} {}: timed out", sub.name(builds), test.label());
            break;
        }
        thread::sleep(Duration::from_millis(2));
    }
    // Stragglers of a timed-out run must not be waited for forever.
    let cpu = procfs::scheduled_ns(pid).saturating_sub(cpu_before);
    let ticks = procfs::user_sys_ticks(pid);
    let (user_ticks, sys_ticks) = (
        ticks.0.saturating_sub(ticks_before.0),
        ticks.1.saturating_sub(ticks_before.1),
    );
    let rss = procfs::try_memory_kib(pid, "VmHWM").unwrap_or(0);
    let publisher = publishing.join().expect("publisher");
    drop(publisher);

    // Stop: end of input for komunikator (a clean quit), a kill for mosquitto_sub.
    drop(stdin);
    let stop_by = Instant::now() + Duration::from_secs(3);
    while child.try_wait().ok().flatten().is_none() && Instant::now() < stop_by {
        if sub == Sub::MosquittoSub {
            let _ = child.kill();
        }
        thread::sleep(Duration::from_millis(10));
    }
    drop(reaper);
    let _ = reader.join();

    let ticks_per_second = procfs::ticks_per_second() as f64;
    let seen = seen.lock().expect("seen");
    let mut lat: Vec<u64> = seen.latency.iter().flatten().copied().collect();
    lat.sort_unstable();
    let pct = |p: f64| -> f64 {
        if lat.is_empty() {
            return f64::NAN;
        }
        lat[((lat.len() - 1) as f64 * p).round() as usize] as f64
    };
    let span = seen
        .first_sent
        .map_or(0, |first| seen.last_arrival.saturating_sub(first));
    Outcome {
        missing: count - seen.received,
        throughput: if span > 0 {
            seen.received as f64 / (span as f64 / 1e6)
        } else {
            f64::NAN
        },
        cpu_per_100k: cpu as f64 / 1e9 * 100_000.0 / count as f64,
        user_per_100k: user_ticks as f64 / ticks_per_second * 100_000.0 / count as f64,
        sys_per_100k: sys_ticks as f64 / ticks_per_second * 100_000.0 / count as f64,
        rss_mib: rss as f64 / 1024.0,
        p50_us: pct(0.50),
        p99_us: pct(0.99),
        startup_ms,
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.retain(|x| !x.is_nan());
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn main() {
    // Exit only after every child was stopped (process::exit skips destructors).
    std::process::exit(bench());
}

fn bench() -> i32 {
    let opts = options();
    let komunikator = env!("CARGO_BIN_EXE_komunikator");
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
        "e2e: mosquitto on 127.0.0.1:{port}; {} msgs/flood, {} msgs at {}/s for latency, {} round(s); {cores} cores",
        opts.msgs, opts.latency_msgs, opts.latency_rate, opts.rounds
    );
    let mut builds = vec![komunikator.to_owned()];
    builds.extend(opts.also.iter().cloned());
    for (i, build) in builds.iter().enumerate() {
        println!("{}: {build}", Sub::Komunikator(i).name(&builds));
    }
    let mut subs: Vec<Sub> = (0..builds.len()).map(Sub::Komunikator).collect();
    subs.push(Sub::MosquittoSub);

    let tests: Vec<Test> = [Test::Flood(0), Test::Flood(1), Test::Latency(0), Test::Latency(1)]
        .into_iter()
        .filter(|t| opts.only.as_ref().is_none_or(|w| t.label().contains(w.as_str())))
        .collect();
    let mut results: BTreeMap<(Test, Sub), Vec<Outcome>> = BTreeMap::new();
    for round in 0..opts.rounds {
        for (t, &test) in tests.iter().enumerate() {
            // A B, then B A, …: each goes first as often as the other.
            let mut order = subs.clone();
            order.rotate_left((round + t) % subs.len());
            if (round + t) % 2 == 1 {
                order.reverse();
            }
            for sub in order {
                let o = run_one(&builds, &mosquitto_sub, port, sub, test, &opts);
                println!(
                    "round {} {:<14} {:<14} missing {:>6}  {:>9.0}/s  cpu {:>6.3} s/100k  rss {:>5.1} MiB  p50 {:>7.0} µs  p99 {:>7.0} µs  ready {:>5.0} ms",
                    round + 1,
                    test.label(),
                    sub.name(&builds),
                    o.missing,
                    o.throughput,
                    o.cpu_per_100k,
                    o.rss_mib,
                    o.p50_us,
                    o.p99_us,
                    o.startup_ms
                );
                results.entry((test, sub)).or_default().push(o);
            }
        }
    }

    println!();
    println!(
        "medians of {} round(s); ratio = komunikator / mosquitto_sub",
        opts.rounds
    );
    let mut header = format!("{:<15} {:<22}", "test", "metric");
    for &sub in &subs {
        header.push_str(&format!(" {:>14}", sub.name(&builds)));
    }
    for &sub in &subs[..subs.len() - 1] {
        header.push_str(&format!(
            " {:>8}",
            if sub == Sub::Komunikator(0) {
                "ratio".into()
            } else {
                format!("ratio {}", sub.name(&builds).trim_start_matches("k:"))
            }
        ));
    }
    println!("{header}");
    let mut all_delivered = true;
    let row = |label: &str, metric: &str, value: &dyn Fn(Sub) -> f64, decimals: usize| {
        let mut line = format!("{label:<15} {metric:<22}");
        for &sub in &subs {
            line.push_str(&format!(" {:>14.*}", decimals, value(sub)));
        }
        let reference = value(Sub::MosquittoSub);
        for &sub in &subs[..subs.len() - 1] {
            let ratio = value(sub) / reference;
            if ratio.is_finite() {
                line.push_str(&format!(" {ratio:>8.2}"));
            } else {
                line.push_str(&format!(" {:>8}", "-"));
            }
        }
        println!("{line}");
    };
    let results = &results;
    for &test in &tests {
        let get = |f: fn(&Outcome) -> f64| move |sub: Sub| median(results[&(test, sub)].iter().map(f).collect());
        let label = test.label();
        row(
            &label,
            "missing (max)",
            &|sub| {
                results[&(test, sub)]
                    .iter()
                    .map(|o| o.missing as f64)
                    .fold(0.0, f64::max)
            },
            0,
        );
        match test {
            Test::Flood(_) => {
                row(&label, "throughput msgs/s", &get(|o| o.throughput), 0);
                row(&label, "CPU s per 100k", &get(|o| o.cpu_per_100k), 3);
                row(&label, " of which user (ticks)", &get(|o| o.user_per_100k), 2);
                row(&label, " of which sys (ticks)", &get(|o| o.sys_per_100k), 2);
                row(&label, "peak RSS MiB", &get(|o| o.rss_mib), 1);
            }
            Test::Latency(_) => {
                row(&label, "p50 latency µs", &get(|o| o.p50_us), 0);
                row(&label, "p99 latency µs", &get(|o| o.p99_us), 0);
            }
        }
        for &sub in &subs {
            all_delivered &= results[&(test, sub)].iter().all(|o| o.missing == 0);
        }
    }
    let ready = |sub: Sub| {
        median(
            results
                .iter()
                .filter(|((_, s), _)| *s == sub)
                .flat_map(|(_, v)| v.iter().map(|o| o.startup_ms))
                .collect(),
        )
    };
    row("start-up", "launch→first msg ms", &ready, 0);
    println!("e2e: finished in {:.1} s", started.elapsed().as_secs_f64());
    if !all_delivered {
        eprintln!("e2e: some messages were not delivered");
        return 1;
    }
    0
}
