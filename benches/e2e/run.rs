//! One measurement: one subscriber, one test, from start to stop.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use komunikator_testkit::procfs;

use crate::publisher::Publisher;
use crate::subscriber::{read_lines, Seen, Sub};
use crate::{Options, Reaper, TOPIC};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Test {
    Flood(u8),
    Latency(u8),
}

impl Test {
    pub(crate) fn label(self) -> String {
        match self {
            Test::Flood(q) => format!("flood QoS {q}"),
            Test::Latency(q) => format!("latency QoS {q}"),
        }
    }
}

#[derive(Default, Debug, Clone)]
pub(crate) struct Outcome {
    pub(crate) missing: usize,
    pub(crate) throughput: f64,
    pub(crate) cpu_per_100k: f64,
    pub(crate) user_per_100k: f64,
    pub(crate) sys_per_100k: f64,
    pub(crate) rss_mib: f64,
    pub(crate) p50_us: f64,
    pub(crate) p99_us: f64,
    pub(crate) startup_ms: f64,
}

/// Where a run is: the subscriber, the broker, the test and its messages.
pub(crate) struct Run<'a> {
    pub(crate) builds: &'a [String],
    pub(crate) mosquitto_sub: &'a Path,
    pub(crate) port: u16,
    pub(crate) sub: Sub,
    pub(crate) test: Test,
    /// The publisher signs; komunikator knows its key.
    pub(crate) signed: bool,
}

/// The subscriber's CPU counters at one moment.
struct Cpu {
    scheduled_ns: u64,
    ticks: (u64, u64),
}

impl Cpu {
    fn read(pid: i32) -> Cpu {
        Cpu {
            scheduled_ns: procfs::scheduled_ns(pid),
            ticks: procfs::user_sys_ticks(pid),
        }
    }
}

static RUN: AtomicU64 = AtomicU64::new(0);

impl Run<'_> {
    pub(crate) fn measure(&self, opts: &Options) -> Outcome {
        let run = RUN.fetch_add(1, Ordering::Relaxed);
        let run_id = format!("r{run}-{}", std::process::id());
        let (qos, count, pace) = match self.test {
            Test::Flood(q) => (q, opts.msgs, None),
            Test::Latency(q) => (
                q,
                opts.latency_msgs,
                Some(Duration::from_micros(1_000_000 / opts.latency_rate)),
            ),
        };
        let started = Instant::now();
        let child = self
            .command(run, qos)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.name()));
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

        let mut publisher = Publisher::connect(self.port, &run_id, self.signed);
        let startup_ms = self.wait_until_subscribed(&mut publisher, &seen, started);
        let before = Cpu::read(pid);

        let publishing = thread::spawn(move || {
            publisher.publish(qos, &label, count as u64, pace);
            publisher
        });
        let limit = Duration::from_secs(60) + pace.map_or(Duration::ZERO, |p| p * count as u32);
        self.wait_for_all(&seen, count, limit);
        // Stragglers of a timed-out run must not be waited for forever.
        let after = Cpu::read(pid);
        let rss = procfs::try_memory_kib(pid, "VmHWM").unwrap_or(0);
        let publisher = publishing.join().expect("publisher");
        drop(publisher);

        self.stop(child, stdin);
        drop(reaper);
        let _ = reader.join();
        let seen = seen.lock().expect("seen");
        outcome(&seen, count, &before, &after, rss, startup_ms)
    }

    fn name(&self) -> String {
        self.sub.name(self.builds)
    }

    fn command(&self, run: u64, qos: u8) -> Command {
        let port = self.port.to_string();
        let qos = qos.to_string();
        match self.sub {
            Sub::Komunikator(i) => {
                let mut c = Command::new(&self.builds[i]);
                c.args(["--no-tui", "--json", "-s", "127.0.0.1", "-p", &port, "-r", "general"]);
                c.args(["--qos", &qos, &format!("k{run}")]);
                c.env("XDG_DATA_HOME", self.data_home(run));
                c
            }
            Sub::MosquittoSub => {
                let mut c = Command::new(self.mosquitto_sub);
                c.args(["-h", "127.0.0.1", "-p", &port, "-t", TOPIC, "-q", &qos]);
                c
            }
        }
    }

    /// A data directory of its own for this run, knowing the publisher's key when it signs.
    fn data_home(&self, run: u64) -> std::path::PathBuf {
        let home = std::env::temp_dir().join(format!("komunikator-e2e-{}-{run}", std::process::id()));
        let _ = std::fs::remove_dir_all(&home);
        let known = home.join("komunikator").join("known-keys");
        std::fs::create_dir_all(&known).expect("a data directory");
        if self.signed {
            let line = format!("pub {}\n", crate::publisher::signer_key());
            std::fs::write(known.join(format!("127.0.0.1_{}.txt", self.port)), line).expect("known keys");
        }
        home
    }

    /// Probes until the subscriber shows a message: then it is subscribed.
    /// Returns the milliseconds from its start until then.
    fn wait_until_subscribed(&self, publisher: &mut Publisher, seen: &Mutex<Seen>, started: Instant) -> f64 {
        let until = Instant::now() + Duration::from_secs(10);
        let mut probe = 0;
        loop {
            publisher.publish(0, "probe", 1, None);
            probe += 1;
            let deadline = Instant::now() + Duration::from_millis(5);
            while Instant::now() < deadline && seen.lock().expect("seen").probes == 0 {
                thread::sleep(Duration::from_micros(200));
            }
            if seen.lock().expect("seen").probes > 0 {
                return started.elapsed().as_secs_f64() * 1000.0;
            }
            assert!(
                Instant::now() < until,
                "{} did not subscribe within 10 s ({probe} probes)",
                self.name()
            );
        }
    }

    fn wait_for_all(&self, seen: &Mutex<Seen>, count: usize, limit: Duration) {
        let until = Instant::now() + limit;
        loop {
            if seen.lock().expect("seen").received >= count {
                return;
            }
            if Instant::now() > until {
                eprintln!("  {} {}: timed out", self.name(), self.test.label());
                return;
            }
            thread::sleep(Duration::from_millis(2));
        }
    }

    /// End of input for komunikator (a clean quit), a kill for mosquitto_sub.
    fn stop(&self, child: &mut Child, stdin: Option<std::process::ChildStdin>) {
        drop(stdin);
        let stop_by = Instant::now() + Duration::from_secs(3);
        while child.try_wait().ok().flatten().is_none() && Instant::now() < stop_by {
            if self.sub == Sub::MosquittoSub {
                let _ = child.kill();
            }
            thread::sleep(Duration::from_millis(10));
        }
    }
}

fn outcome(seen: &Seen, count: usize, before: &Cpu, after: &Cpu, rss_kib: u64, startup_ms: f64) -> Outcome {
    let cpu = after.scheduled_ns.saturating_sub(before.scheduled_ns);
    let user_ticks = after.ticks.0.saturating_sub(before.ticks.0);
    let sys_ticks = after.ticks.1.saturating_sub(before.ticks.1);
    let ticks_per_second = procfs::ticks_per_second() as f64;
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
        rss_mib: rss_kib as f64 / 1024.0,
        p50_us: pct(0.50),
        p99_us: pct(0.99),
        startup_ms,
    }
}
