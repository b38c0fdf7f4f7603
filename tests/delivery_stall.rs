//! Issue 10 end to end: a reader that stops reading (a stalled pipe, a
//! stopped terminal) costs output, said with a marker, never the
//! connection: keep-alives go on and no will fires; memory stays under
//! 64 MiB. Tests print what they measure (`--nocapture` shows it).

use std::process::{Child, ChildStdin, ChildStdout, ExitStatus};
use std::sync::mpsc;
use std::thread::sleep;
use std::time::{Duration, Instant};

use komunikator_testkit::observe::{next_online, observer};
use komunikator_testkit::procfs::{send_signal, try_send_signal};
use komunikator_testkit::report::{head, is_lost};
use komunikator_testkit::tmux::{ui_command_with, Tmux};
use komunikator_testkit::{
    chat_payload, memory_kib, spawn_piped, with_each_broker, Broker, Lines, Presence, Probe, RawPublisher, Signal, WAIT,
};

/// The bound on the client's memory (VmRSS and VmHWM) under floods and stalls.
const MEMORY_BOUND_KIB: u64 = 64 * 1024;
/// How long a reader stops reading in the slow-reader tests: six keep-alives of 5 s.
const STALL: Duration = Duration::from_secs(30);

// Slow readers never stall the session.

/// The client in line mode with its stdout a pipe nobody reads until
/// [`Stalled::read_stdout`]. Its stdin stays open (the end of input would be
/// a quit). Killed on drop.
struct Stalled {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Option<ChildStdout>,
    stderr: Lines,
}

impl Stalled {
    fn start(broker: &Broker, name: &str, extra: &[&str]) -> Stalled {
        let port = broker.port.to_string();
        let mut args = vec!["--no-tui", "-s", "127.0.0.1", "-p", &port];
        args.extend(extra);
        args.push(name);
        let mut child = spawn_piped(&args, |_| {});
        let stderr = Lines::spawn(format!("{name} stderr"), child.stderr.take().expect("piped stderr"));
        let mut stalled = Stalled {
            stdin: child.stdin.take(),
            stdout: child.stdout.take(),
            child,
            stderr,
        };
        stalled.stderr.wait_for("saying it is connected", WAIT, |l| {
            l.starts_with("komunikator: connected to ")
        });
        stalled
    }

    fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Starts reading the client's output, from the first line it wrote.
    fn read_stdout(&mut self) -> Lines {
        Lines::spawn("stdout".to_owned(), self.stdout.take().expect("stdout not yet read"))
    }

    /// Ends the input and waits (bounded) for the exit.
    fn quit(mut self) -> ExitStatus {
        self.stdin = None;
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "the client did not exit at end of input");
            sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Stalled {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// What happened while a reader stalled.
struct StallReport {
    /// Offline presences of the client the watcher saw.
    offlines: Vec<Presence>,
    /// The highest VmRSS sampled, KiB.
    peak_rss_kib: u64,
}

/// How long a flood lasts, within the stall: messages keep coming while
/// nothing reads, so a client that writes its output in line with the
/// network has to block.
const FLOOD_SPREAD: Duration = Duration::from_secs(20);

/// Floods `chat/general` with `texts` (from user `flood`, in 100 bursts over
/// [`FLOOD_SPREAD`]) while, for [`STALL`], nothing reads the client's
/// output; samples the client's memory and watches its presence meanwhile.
/// `watcher` is on `presence/<name>` and has read the client's online.
fn flood_during_stall(broker: &Broker, pid: i32, watcher: &mut Probe, texts: Vec<String>) -> StallReport {
    const BURSTS: u32 = 100;
    let stall_started = Instant::now();
    let n = texts.len();
    let mut raw = RawPublisher::connect(broker, "flood");
    let (flooded_tx, flooded) = mpsc::channel();
    std::thread::spawn(move || {
        let per_burst = texts.len().div_ceil(BURSTS as usize);
        for (k, burst) in (0..).zip(texts.chunks(per_burst)) {
            sleep((stall_started + FLOOD_SPREAD * k / BURSTS).saturating_duration_since(Instant::now()));
            raw.publish_all(
                burst
                    .iter()
                    .map(|t| RawPublisher::packet("chat/general", chat_payload("flood", t).as_bytes(), false)),
            );
        }
        raw.finish();
        let _ = flooded_tx.send(Instant::now());
    });
    let mut offlines = Vec::new();
    let mut peak_rss_kib = 0;
    while stall_started.elapsed() < STALL {
        peak_rss_kib = peak_rss_kib.max(memory_kib(pid, "VmRSS"));
        if let Some(m) = watcher.next_message(Duration::from_millis(250)) {
            let p = Presence::parse(&m);
            eprintln!("{:?} into the stall, presence: {p:?}", stall_started.elapsed());
            if p.status == "offline" {
                offlines.push(p);
            }
        }
    }
    let flooded_at = flooded
        .recv_timeout(WAIT)
        .expect("the flood was not taken in by the broker");
    eprintln!(
        "{n} messages flooded in {:?}; stalled {STALL:?}; peak VmRSS sampled {peak_rss_kib} KiB; offlines seen: {}",
        flooded_at - stall_started,
        offlines.len()
    );
    StallReport { offlines, peak_rss_kib }
}

/// Checks the client stayed connected and within the memory bound through
/// the stall; `stderr` is what it said meanwhile (line mode).
fn assert_stall_survived(report: &StallReport, pid: i32, stderr: &[String]) {
    assert!(
        report.offlines.is_empty(),
        "observers saw the client go offline during the stall (a blocked client stops its keep-alives \
         and the broker fires its will): {:?}; stderr:\n{}",
        report.offlines,
        stderr.join("\n")
    );
    let lost: Vec<&String> = stderr.iter().filter(|l| is_lost(l)).collect();
    assert!(lost.is_empty(), "the connection was lost during the stall: {lost:?}");
    let hwm = memory_kib(pid, "VmHWM");
    eprintln!(
        "memory through the stall: peak VmRSS sampled {} KiB, VmHWM {hwm} KiB (bound {MEMORY_BOUND_KIB} KiB)",
        report.peak_rss_kib
    );
    assert!(
        report.peak_rss_kib < MEMORY_BOUND_KIB && hwm < MEMORY_BOUND_KIB,
        "memory not bounded while the reader stalled: peak VmRSS {} KiB, VmHWM {hwm} KiB",
        report.peak_rss_kib
    );
}

/// Flood texts long enough that their output (about 150 bytes a line, 7 MB
/// for 50 000) is well beyond what the client holds for a stalled reader
/// (4 MiB); short enough that the whole flood (11 MB of payloads) fits in
/// what the embedded broker keeps for one room (16 MiB), so no message is
/// lost before it reaches the client.
fn long_flood_texts(n: usize) -> Vec<String> {
    let filler = "f".repeat(120);
    (0..n).map(|i| format!("{filler} n{i:05}")).collect()
}

/// The `N` of a line `HH:MM:SS -!- N messages not shown: output was not being read`.
fn text_gap(line: &str) -> Option<u64> {
    let (before, _) = line.split_once(" messages not shown")?;
    before.rsplit(' ').next()?.parse().ok()
}

/// The `missed` of a `{"event":"gap","missed":N,...}` line.
fn json_gap(line: &str) -> Option<u64> {
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    (v["event"] == "gap").then(|| v["missed"].as_u64())?
}

/// Runs the stalled-reader check in line mode (`--json` or not): flood
/// while the output is not read, then read it and find the marker(s) and
/// the last message. `gap` reads a marker line, `text_of` a flood message line.
fn stalled_line_mode_reader(
    broker: &Broker,
    json: bool,
    gap: fn(&str) -> Option<u64>,
    text_of: fn(&str) -> Option<String>,
) {
    const N: usize = 50_000;
    let name = "stalled";
    let mut watcher = observer(broker, "presence-watcher", &[&format!("presence/{name}")]);
    let extra: &[&str] = if json {
        &["--keep-alive", "5", "--json"]
    } else {
        &["--keep-alive", "5"]
    };
    let mut client = Stalled::start(broker, name, extra);
    next_online(&mut watcher, name);
    let texts = long_flood_texts(N);
    let last = texts[N - 1].clone();
    let report = flood_during_stall(broker, client.pid(), &mut watcher, texts);
    assert_stall_survived(&report, client.pid(), client.stderr.seen());

    let mut out = client.read_stdout();
    out.wait_for("with the last message of the flood", WAIT, |l| {
        text_of(l).as_deref() == Some(last.as_str())
    });
    let lines = out.seen().to_vec();
    let last_at = lines
        .iter()
        .position(|l| text_of(l).as_deref() == Some(last.as_str()))
        .expect("the last message");
    let gaps: Vec<(usize, u64)> = lines
        .iter()
        .enumerate()
        .filter_map(|(i, l)| Some((i, gap(l)?)))
        .collect();
    let missed: u64 = gaps.iter().map(|(_, n)| n).sum();
    let shown = lines.iter().filter(|l| text_of(l).is_some()).count() as u64;
    eprintln!(
        "after the stall: {shown} flood messages shown, {} marker(s) for {missed} not shown",
        gaps.len()
    );
    assert!(
        !gaps.is_empty() && gaps.iter().all(|&(_, n)| n > 0),
        "no marker line saying how many messages were not shown; the output begins:\n{}",
        head(&lines, 10)
    );
    assert!(
        gaps[0].0 < last_at,
        "the marker must stand where the dropped lines were"
    );
    assert!(
        (N as u64..=N as u64 + 100).contains(&(shown + missed)),
        "{shown} shown + {missed} said not shown, of {N} flooded: the count must account for every message"
    );
    let status = client.quit();
    assert!(status.success(), "exit {status:?} after end of input");
}

#[test]
fn a_stalled_stdout_reader_costs_output_with_a_marker_not_the_connection() {
    with_each_broker("stalled_text", |broker| {
        stalled_line_mode_reader(broker, false, text_gap, |l| {
            l.get(8..)?.strip_prefix(" #general <flood> ").map(str::to_owned)
        });
    });
}

#[test]
fn a_stalled_json_reader_gets_a_gap_event_and_stays_connected() {
    with_each_broker("stalled_json", |broker| {
        stalled_line_mode_reader(broker, true, json_gap, |l| {
            let v: serde_json::Value = serde_json::from_str(l).ok()?;
            (v["event"] == "message" && v["user"] == "flood").then(|| v["text"].as_str().map(str::to_owned))?
        });
    });
}

/// A process stopped with SIGSTOP; continued (SIGCONT) when dropped, panic or not.
struct StoppedProcess(i32);

impl StoppedProcess {
    fn stop(pid: i32) -> StoppedProcess {
        // The tmux server this test started.
        send_signal(pid, Signal::STOP);
        StoppedProcess(pid)
    }
}

impl Drop for StoppedProcess {
    fn drop(&mut self) {
        let _ = try_send_signal(self.0, Signal::CONT);
    }
}

#[test]
fn a_stopped_terminal_does_not_stall_the_ui_and_it_says_how_many_messages_it_did_not_show() {
    const N: usize = 20_000;
    let Some(tmux) = Tmux::start() else { return };
    with_each_broker("stalled_ui", |broker| {
        let session = format!("stalled-{}", broker.port);
        let mut watcher = observer(broker, "presence-watcher", &["presence/alice"]);
        let command = ui_command_with(broker.port, "alice", &["--scrollback", "1000", "--keep-alive", "5"]);
        tmux.open(&session, &format!("exec {command}"));
        tmux.wait_screen(&session, "the connected status", |s| s.contains(" connected "));
        next_online(&mut watcher, "alice");
        let pid = tmux.pane_pid(&session);
        let texts: Vec<String> = (0..N).map(|i| format!("flood n{i:05}")).collect();
        let report = {
            // The terminal stops reading: tmux is stopped, the pane's buffer fills.
            let _stopped = StoppedProcess::stop(tmux.server_pid());
            flood_during_stall(broker, pid, &mut watcher, texts)
        };
        assert_stall_survived(&report, pid, &[]);
        let screen = tmux.wait_screen(&session, "the notice of messages not shown", |s| {
            s.contains("messages not shown")
        });
        eprintln!("the UI after the stall:\n{screen}");
        tmux.wait_screen(&session, "the last message of the flood", |s| {
            s.contains(&format!("flood n{:05}", N - 1))
        });
        tmux.keys(&session, &["C-c"]);
        tmux.wait_gone(&session, "after Ctrl-C");
    });
}
