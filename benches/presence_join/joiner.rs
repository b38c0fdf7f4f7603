//! The real client joining, and what it printed.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use komunikator_testkit::spawn_piped;

use crate::*;

/// What the joiner printed, with the moments that matter.
#[derive(Default)]
pub(crate) struct Seen {
    pub(crate) sims_online: HashSet<String>,
    pub(crate) presence_lines: usize,
    /// When simulated users were printed with `"retained":true`: state, not news (the
    /// client says so of answers to its roll call too).
    pub(crate) retained_sims: Vec<Instant>,
    pub(crate) first_sim: Option<Instant>,
    pub(crate) complete: Option<Instant>,
    pub(crate) connected: Option<Instant>,
    pub(crate) stderr: Vec<String>,
    pub(crate) ended: bool,
}

/// The real client, `--no-tui --json`, with its output read on two threads.
pub(crate) struct Joiner {
    pub(crate) child: Child,
    pub(crate) stdin: Option<ChildStdin>,
    pub(crate) seen: Arc<Mutex<Seen>>,
    pub(crate) started: Instant,
}

impl Joiner {
    pub(crate) fn spawn(port: u16, users: usize) -> Joiner {
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
    pub(crate) fn wait_complete(&self, users: usize, broker: &str) {
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
    pub(crate) fn quit(&mut self) {
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
