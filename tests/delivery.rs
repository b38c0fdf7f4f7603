//! Issue 10 end to end, against real brokers: nothing typed is lost, and a
//! slow terminal never stalls the session.
//!
//! - Quitting drains the outbox: a script ending in `/quit`, a pipe of
//!   100 000 lines and a quit while the broker is down deliver every line,
//!   or the client exits 3 naming what it did not send (`--drain-timeout`,
//!   the give-up keys). A further quit request never skips the drain.
//! - A reader that stops reading (a stalled pipe, a stopped terminal) costs
//!   output, said with a marker, never the connection: keep-alives go on and
//!   no will fires; memory stays under 64 MiB.
//! - Per-sender state is bounded: direct messages from 100 000 senders fit
//!   in 64 MiB, and the cap on conversations is said once.
//! - Without a terminal (pipes, `TERM=dumb`, `| cat`) the client runs line
//!   mode and says so.
//! - Every clean way out sends DISCONNECT: the will never fires.
//!
//! Texts, exit statuses and flags follow the behaviour spec. Tests
//! print what they measure (`--nocapture` shows it).

mod common;

use std::io::{BufWriter, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus};
use std::sync::mpsc;
use std::thread::sleep;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use common::tmux::{ui_command_with, Tmux};
use common::{
    chat_payload, is_chat_line, memory_kib, spawn_piped, with_each_broker, with_each_broker_mut, Broker, BrokerKind,
    Finished, Komunikator, Lines, Presence, Probe, Proxy, ProxyMode, RawPublisher, Received, WAIT,
};

/// Exit status of a quit that left messages unsent.
const EXIT_UNSENT: i32 = 3;

/// The bound on the client's memory (VmRSS and VmHWM) under floods and stalls.
const MEMORY_BOUND_KIB: u64 = 64 * 1024;

/// How long a reader stops reading in the slow-reader tests: six keep-alives of 5 s.
const STALL: Duration = Duration::from_secs(30);

/// How long an observer must stay quiet before we take it that nothing more comes.
const QUIET: Duration = Duration::from_secs(3);

// ---------------------------------------------------------------------------
// Helpers: observers, comparisons, and how a client left.

fn is_lost(line: &str) -> bool {
    line.starts_with("komunikator: connection lost: ")
}

fn strings<const N: usize>(lines: [&str; N]) -> Vec<String> {
    lines.map(str::to_owned).to_vec()
}

/// A raw MQTT client subscribed to each of `topics`.
fn observer(broker: &Broker, id: &str, topics: &[&str]) -> Probe {
    let mut probe = Probe::connect(broker, id);
    for topic in topics {
        probe.subscribe(topic);
    }
    probe
}

/// The `text` of a chat payload an observer received.
fn chat_text(m: &Received) -> String {
    m.json()["text"]
        .as_str()
        .unwrap_or_else(|| panic!("no text in the chat payload on {}: {}", m.topic, m.text()))
        .to_owned()
}

/// Chat texts `observer` receives, until `n` have arrived, none came for
/// [`QUIET`], or `limit` has passed.
fn receive_texts(observer: &mut Probe, n: usize, limit: Duration) -> Vec<String> {
    let deadline = Instant::now() + limit;
    let mut texts = Vec::with_capacity(n);
    while texts.len() < n && Instant::now() < deadline {
        let wait = QUIET.min(deadline.saturating_duration_since(Instant::now()));
        match observer.next_message(wait) {
            Some(m) => texts.push(chat_text(&m)),
            None => break,
        }
    }
    texts
}

/// Where `got` first differs from `want`; `None` when they are the same.
fn first_difference(got: &[String], want: &[String]) -> Option<String> {
    if got == want {
        return None;
    }
    let at = got.iter().zip(want).take_while(|(g, w)| g == w).count();
    Some(format!(
        "received {} of {} messages; the first {at} as sent, then got {:?} where {:?} was sent",
        got.len(),
        want.len(),
        got.get(at),
        want.get(at)
    ))
}

/// The first `n` lines of `lines`, for failure reports.
fn head(lines: &[String], n: usize) -> String {
    let mut text = lines.iter().take(n).cloned().collect::<Vec<_>>().join("\n");
    if lines.len() > n {
        text.push_str(&format!("\n… ({} lines in all)", lines.len()));
    }
    text
}

/// The client's next presence on the watcher's topic, which must be its online.
fn next_online(watcher: &mut Probe, name: &str) -> Presence {
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
fn wait_past(t: DateTime<Utc>) {
    while Utc::now() < t {
        sleep(Duration::from_millis(20));
    }
}

/// Presence messages the watcher receives until none came for 1.5 s (bounded by [`WAIT`]).
fn presence_until_quiet(watcher: &mut Probe) -> Vec<Presence> {
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
fn retained_presence(broker: &Broker, name: &str) -> Option<Presence> {
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
fn will_problems(
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
fn mosquitto_problem(broker: &Broker, name: &str) -> Option<String> {
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

/// Checks that `stderr` names `unsent`: `komunikator: N message(s) not sent: <reason>`,
/// then one `komunikator: not sent to …` line per message, in order.
fn assert_names_unsent(stderr: &[String], unsent: &[&str]) {
    let summary = format!("komunikator: {} message(s) not sent: ", unsent.len());
    let Some(at) = stderr.iter().position(|l| l.starts_with(&summary)) else {
        panic!("no `{summary}<reason>` on stderr:\n{}", stderr.join("\n"));
    };
    let named: Vec<&str> = stderr[at + 1..]
        .iter()
        .filter(|l| l.starts_with("komunikator: not sent to "))
        .map(String::as_str)
        .collect();
    let expected: Vec<String> = unsent.iter().map(|u| format!("komunikator: not sent to {u}")).collect();
    assert_eq!(named, expected, "stderr:\n{}", stderr.join("\n"));
}

// ---------------------------------------------------------------------------
// Quitting delivers what was typed.

/// Runs `name` in line mode with `lines` as its whole input, and waits for it
/// to exit. The input ends before the client has connected: the broker is
/// paused while the client starts and for 2 s after, which also stamps the
/// client's online at least a second after its will (see [`will_problems`]).
fn run_script(broker: &Broker, name: &str, lines: &[String]) -> Finished {
    broker.pause();
    let mut client = Komunikator::spawn(broker, name, &[]);
    let mut stdin = client.take_stdin();
    for line in lines {
        writeln!(stdin, "{line}").expect("write the script");
    }
    drop(stdin);
    sleep(Duration::from_secs(2));
    broker.resume();
    client.finish(WAIT)
}

#[test]
fn a_script_ending_with_quit_delivers_its_line_and_leaves_cleanly() {
    with_each_broker("script_quit", |broker| {
        let name = "deployer";
        let mut chat = observer(broker, "chat-observer", &["chat/general"]);
        let mut watcher = observer(broker, "presence-observer", &[&format!("presence/{name}")]);
        let done = run_script(broker, name, &strings(["deploy finished", "/quit"]));
        let got = receive_texts(&mut chat, 1, WAIT);
        assert_eq!(
            got,
            ["deploy finished"],
            "on chat/general; the client exited with {:?}, stderr:\n{}",
            done.status,
            done.stderr.join("\n")
        );
        assert_eq!(done.status.code(), Some(0), "stderr:\n{}", done.stderr.join("\n"));
        let online = next_online(&mut watcher, name);
        let problems = will_problems(broker, &mut watcher, name, &online, online.ts);
        assert!(problems.is_empty(), "the quit was not clean:\n{}", problems.join("\n"));
    });
}

#[test]
fn five_hundred_lines_before_quit_all_arrive_in_order() {
    with_each_broker("script_500", |broker| {
        let mut chat = observer(broker, "chat-observer", &["chat/general"]);
        let numbers: Vec<String> = (1..=500).map(|n| n.to_string()).collect();
        let mut script = numbers.clone();
        script.push("/quit".to_owned());
        let done = run_script(broker, "counter", &script);
        let got = receive_texts(&mut chat, numbers.len(), 3 * WAIT);
        eprintln!("500 lines then /quit: {} arrived, exit {:?}", got.len(), done.status);
        if let Some(difference) = first_difference(&got, &numbers) {
            panic!("{difference}; stderr:\n{}", head(&done.stderr, 20));
        }
        assert_eq!(done.status.code(), Some(0), "stderr:\n{}", done.stderr.join("\n"));
    });
}

fn numbered(n: usize) -> String {
    format!("msg {n:06}")
}

#[test]
fn a_pipe_of_100k_lines_is_delivered_whole_and_in_order() {
    const N: usize = 100_000;
    with_each_broker("pipe_100k", |broker| {
        let mut chat = observer(broker, "chat-observer", &["chat/general"]);
        let mut client = Komunikator::spawn(broker, "piper", &[]);
        let stdin = client.take_stdin();
        let started = Instant::now();
        // Written as fast as the client takes them; a write fails only once it has exited.
        let writer = std::thread::spawn(move || {
            let mut stdin = BufWriter::new(stdin);
            for n in 1..=N {
                if writeln!(stdin, "{}", numbered(n)).is_err() {
                    return n - 1;
                }
            }
            stdin.flush().map_or(0, |()| N)
        });
        let done = client.finish(Duration::from_secs(120));
        let took = started.elapsed();
        let written = writer.join().expect("the writer thread");
        let want: Vec<String> = (1..=N).map(numbered).collect();
        let got = receive_texts(&mut chat, N, Duration::from_secs(60));
        eprintln!(
            "pipe of {N} lines: {written} written, {} received, client exited {:?} after {took:?}",
            got.len(),
            done.status
        );
        let refused: Vec<&String> = done
            .stderr
            .iter()
            .filter(|l| l.contains("waiting to be sent already"))
            .collect();
        assert!(
            refused.is_empty(),
            "line mode refused {} line(s) for a full outbox instead of reading more slowly; the first: {:?}",
            refused.len(),
            refused[0]
        );
        if let Some(difference) = first_difference(&got, &want) {
            panic!("{difference}; stderr:\n{}", head(&done.stderr, 20));
        }
        assert_eq!(done.status.code(), Some(0), "stderr:\n{}", head(&done.stderr, 20));
    });
}

/// Lines typed while the broker is down, all to #general.
const TYPED_WHILE_DOWN: [&str; 3] = ["first while down", "second while down", "third while down"];

/// `name` connects through a proxy; the broker goes down; three lines are
/// typed and the input ends; `then` runs (a further quit request, say). A
/// second after the end of input the client must still be there, waiting.
/// Then the broker comes back (the proxy forwards again once an observer is
/// subscribed): the lines must arrive, soon, and the client exit 0.
fn quit_while_down_then_the_broker_returns(broker: &mut Broker, name: &str, then: impl Fn(&mut Komunikator)) {
    let proxy = Proxy::start(broker.port, ProxyMode::Forward);
    let mut client = Komunikator::spawn_via(proxy.port, name, &[]);
    client.wait_ready();
    proxy.set_mode(ProxyMode::Refuse);
    broker.stop();
    client.stderr.wait_for("saying the connection was lost", WAIT, is_lost);
    for line in TYPED_WHILE_DOWN {
        client.send_line(line);
    }
    client.close_stdin();
    let input_ended = Instant::now();
    then(&mut client);

    broker.restart();
    let mut chat = observer(broker, "chat-observer", &["chat/general"]);
    sleep(Duration::from_secs(1).saturating_sub(input_ended.elapsed()));
    if let Some(status) = client.exited() {
        panic!(
            "the client exited ({status:?}) with {} lines unsent instead of waiting for the broker; stderr:\n{}",
            TYPED_WHILE_DOWN.len(),
            client.stderr.seen().join("\n")
        );
    }
    client.stderr.wait_for("saying what it waits for", WAIT, |l| {
        l == "komunikator: quitting: waiting up to 10s for 3 message(s) to be sent (--drain-timeout)"
    });

    proxy.set_mode(ProxyMode::Forward);
    let back = Instant::now();
    let got = receive_texts(&mut chat, TYPED_WHILE_DOWN.len(), WAIT);
    let delay = back.elapsed();
    eprintln!(
        "the broker was back {:?} after the end of input; the lines arrived {delay:?} later",
        back - input_ended
    );
    let done = client.finish(WAIT);
    if let Some(difference) = first_difference(&got, &strings(TYPED_WHILE_DOWN)) {
        panic!("{difference}; stderr:\n{}", done.stderr.join("\n"));
    }
    // While draining, attempts come every ~0.5 s rather than after a growing backoff.
    assert!(
        delay < Duration::from_secs(5),
        "the lines took {delay:?} to arrive after the broker came back"
    );
    assert_eq!(done.status.code(), Some(0), "stderr:\n{}", done.stderr.join("\n"));
}

#[test]
fn quitting_while_the_broker_is_down_waits_and_sends_when_it_returns() {
    with_each_broker_mut("quit_while_down", |broker| {
        quit_while_down_then_the_broker_returns(broker, "alice", |_| {});
    });
}

#[test]
fn sigterm_while_draining_does_not_skip_the_drain() {
    with_each_broker_mut("sigterm_while_draining", |broker| {
        quit_while_down_then_the_broker_returns(broker, "alice", |client| {
            // After the end of input has been taken as a quit.
            sleep(Duration::from_millis(300));
            client.signal(libc::SIGTERM);
            sleep(Duration::from_millis(100));
            client.signal(libc::SIGHUP);
        });
    });
}

/// Typed while the broker is down in the give-up tests: two lines to #general, one direct.
const TYPED_TO_GIVE_UP: [&str; 3] = ["first while down", "second while down", "/msg bob third, for bob"];
const NAMED_UNSENT: [&str; 3] = [
    "#general: first while down",
    "#general: second while down",
    "@bob: third, for bob",
];

/// `alice` with `extra` connects, the broker goes down for good, and three
/// lines are typed.
fn typed_while_down_for_good(broker: &mut Broker, extra: &[&str]) -> Komunikator {
    let mut client = Komunikator::join(broker, "alice", extra);
    broker.stop();
    client.stderr.wait_for("saying the connection was lost", WAIT, is_lost);
    for line in TYPED_TO_GIVE_UP {
        client.send_line(line);
    }
    // Taken into the outbox (not only written into the pipe) before the test goes on.
    let waiting = format!(
        "not connected: {} message(s) waiting to be sent",
        TYPED_TO_GIVE_UP.len()
    );
    client
        .stderr
        .wait_for("taking every typed line", WAIT, |l| l.ends_with(&waiting));
    client
}

/// Ends the input of a client that cannot reach its broker, and waits for
/// its exit, which must be status 3; returns how it ended and how long it took.
fn end_input_and_exit_unsent(what: &str, mut client: Komunikator, timeout: Duration) -> (Finished, Duration) {
    client.close_stdin();
    let input_ended = Instant::now();
    let done = client.finish(timeout);
    let took = input_ended.elapsed();
    eprintln!("{what} with the broker gone: exited {:?} after {took:?}", done.status);
    assert_eq!(
        done.status.code(),
        Some(EXIT_UNSENT),
        "stderr:\n{}",
        done.stderr.join("\n")
    );
    (done, took)
}

#[test]
fn with_the_broker_gone_the_drain_gives_up_after_drain_timeout_and_names_what_was_not_sent() {
    with_each_broker_mut("drain_timeout", |broker| {
        let client = typed_while_down_for_good(broker, &["--drain-timeout", "2"]);
        let (done, took) = end_input_and_exit_unsent("--drain-timeout 2", client, Duration::from_secs(10));
        assert!(
            took >= Duration::from_millis(1500),
            "gave up after {took:?}, before the 2 s drain timeout"
        );
        assert!(
            done.stderr
                .iter()
                .any(|l| l == "komunikator: quitting: waiting up to 2s for 3 message(s) to be sent (--drain-timeout)"),
            "stderr:\n{}",
            done.stderr.join("\n")
        );
        assert_names_unsent(&done.stderr, &NAMED_UNSENT);
    });
}

#[test]
fn drain_timeout_zero_exits_at_once_with_status_3() {
    with_each_broker_mut("drain_timeout_zero", |broker| {
        let client = typed_while_down_for_good(broker, &["--drain-timeout", "0"]);
        let (done, took) = end_input_and_exit_unsent("--drain-timeout 0", client, WAIT);
        assert!(
            took < Duration::from_secs(3),
            "took {took:?} to exit with nothing to wait for"
        );
        assert_names_unsent(&done.stderr, &NAMED_UNSENT);
    });
}

#[test]
fn a_second_sigint_gives_up_the_drain_and_names_what_was_not_sent() {
    with_each_broker_mut("second_sigint", |broker| {
        let mut client = typed_while_down_for_good(broker, &[]);
        client.signal(libc::SIGINT);
        client.stderr.wait_for("saying it waits to send", WAIT, |l| {
            l == "komunikator: quitting: waiting up to 10s for 3 message(s) to be sent (--drain-timeout)"
        });
        client.signal(libc::SIGINT);
        let given_up = Instant::now();
        let done = client.finish(WAIT);
        let took = given_up.elapsed();
        eprintln!("second SIGINT: exited {:?} after {took:?}", done.status);
        assert_eq!(
            done.status.code(),
            Some(EXIT_UNSENT),
            "stderr:\n{}",
            done.stderr.join("\n")
        );
        assert!(
            took < Duration::from_secs(3),
            "took {took:?} to give up: the second SIGINT must not wait out the 10 s drain"
        );
        assert_names_unsent(&done.stderr, &NAMED_UNSENT);
    });
}

// ---------------------------------------------------------------------------
// Quitting in the full-screen UI.

/// A tmux command that runs `command`, then shows its exit status as `EXIT=<n>`
/// and keeps the pane open, so the screen after the UI is left can be read.
fn keeping_the_exit_status(command: &str) -> String {
    format!("{command}; echo EXIT=$?; sleep 60")
}

/// The `EXIT=<n>` a pane shows, once its program has exited.
fn shown_exit(screen: &str) -> Option<i32> {
    screen
        .lines()
        .find_map(|l| l.trim().strip_prefix("EXIT=")?.parse().ok())
}

/// Waits for the pane's program to exit; its status.
fn wait_exit(tmux: &Tmux, session: &str, timeout: Duration) -> (i32, String) {
    let screen = tmux.wait_screen_for(session, "the exit status", timeout, |s| shown_exit(s).is_some());
    (shown_exit(&screen).expect("an exit status"), screen)
}

/// The UI (as `alice`, through `port`, with `extra`) in a 160x30 pane;
/// connected, then the broker goes down (`stop`), a line is typed and Enter
/// pressed, then Ctrl-D: the status bar must say it is quitting with one
/// message waiting.
fn ui_quitting_with_one_line_waiting(tmux: &Tmux, session: &str, port: u16, extra: &[&str], stop: impl FnOnce()) {
    let command = keeping_the_exit_status(&ui_command_with(port, "alice", extra));
    tmux.open_sized(session, &command, 160, 30);
    tmux.wait_screen(session, "the connected status", |s| s.contains(" connected "));
    stop();
    tmux.wait_screen(session, "the reconnect countdown", |s| s.contains("reconnecting in "));
    tmux.type_line(session, "typed in the ui while down");
    tmux.wait_screen(session, "the line waiting", |s| s.contains("1 waiting to send"));
    tmux.keys(session, &["C-d"]);
    tmux.wait_screen(session, "the quitting status with the line waiting", |s| {
        s.contains("quitting") && s.contains("1 waiting")
    });
}

#[test]
fn the_ui_quitting_while_the_broker_is_down_shows_it_and_sends_when_it_returns() {
    let Some(tmux) = Tmux::start() else { return };
    with_each_broker_mut("ui_quit_while_down", |broker| {
        let session = format!("down-{}", broker.port);
        let proxy = Proxy::start(broker.port, ProxyMode::Forward);
        ui_quitting_with_one_line_waiting(&tmux, &session, proxy.port, &[], || {
            proxy.set_mode(ProxyMode::Refuse);
            broker.stop();
        });
        sleep(Duration::from_secs(1));
        let screen = tmux.screen(&session);
        assert!(
            shown_exit(&screen).is_none() && screen.contains("quitting"),
            "the UI did not wait for the line to be sent:\n{screen}"
        );
        broker.restart();
        let mut chat = observer(broker, "chat-observer", &["chat/general"]);
        proxy.set_mode(ProxyMode::Forward);
        let got = receive_texts(&mut chat, 1, WAIT);
        let (status, screen) = wait_exit(&tmux, &session, WAIT);
        assert_eq!(got, ["typed in the ui while down"], "screen after:\n{screen}");
        assert_eq!(status, 0, "screen after:\n{screen}");
    });
}

#[test]
fn the_ui_gives_up_after_drain_timeout_and_says_what_was_not_sent_after_leaving_the_screen() {
    let Some(tmux) = Tmux::start() else { return };
    with_each_broker_mut("ui_drain_timeout", |broker| {
        let session = format!("timeout-{}", broker.port);
        let port = broker.port;
        // 3 s: time enough to read the quitting status first.
        ui_quitting_with_one_line_waiting(&tmux, &session, port, &["--drain-timeout", "3"], || broker.stop());
        let (status, screen) = wait_exit(&tmux, &session, WAIT);
        eprintln!("the UI after giving up:\n{screen}");
        assert_eq!(status, EXIT_UNSENT, "{screen}");
        assert!(
            screen.contains("komunikator: 1 message(s) not sent: ")
                && screen.contains("komunikator: not sent to #general: typed in the ui while down"),
            "the normal screen must name the unsent line:\n{screen}"
        );
    });
}

#[test]
fn ctrl_c_while_the_ui_is_quitting_gives_up_at_once() {
    let Some(tmux) = Tmux::start() else { return };
    with_each_broker_mut("ui_give_up", |broker| {
        let session = format!("giveup-{}", broker.port);
        let port = broker.port;
        ui_quitting_with_one_line_waiting(&tmux, &session, port, &[], || broker.stop());
        tmux.wait_screen(session.as_str(), "the give-up key", |s| s.contains("Ctrl-C: quit now"));
        tmux.keys(&session, &["C-c"]);
        // The default drain timeout is 10 s: an exit within 5 s is the give-up key's.
        let (status, screen) = wait_exit(&tmux, &session, Duration::from_secs(5));
        assert_eq!(status, EXIT_UNSENT, "{screen}");
        assert!(
            screen.contains("komunikator: not sent to #general: typed in the ui while down"),
            "the normal screen must name the unsent line:\n{screen}"
        );
    });
}

// ---------------------------------------------------------------------------
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
        // SAFETY: kill(2) on a process of ours (the tmux server this test started).
        assert_eq!(unsafe { libc::kill(pid, libc::SIGSTOP) }, 0, "SIGSTOP {pid}");
        StoppedProcess(pid)
    }
}

impl Drop for StoppedProcess {
    fn drop(&mut self) {
        // SAFETY: as in `stop`.
        unsafe { libc::kill(self.0, libc::SIGCONT) };
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

// ---------------------------------------------------------------------------
// Bounded per-sender state.

#[test]
fn direct_messages_from_100k_senders_fit_in_64_mib_and_the_cap_is_said_once() {
    const SENDERS: usize = 100_000;
    const CHUNK: usize = 2_000;
    // Far above the bound: past it the test stops the client before it takes the machine's memory.
    const WATCHDOG_KIB: u64 = 512 * 1024;
    let sender = |i: usize| format!("s{i:06}");
    with_each_broker("dm_senders", |broker| {
        let mut alice = Komunikator::join(broker, "alice", &[]);
        let pid = alice.pid();
        let mut raw = RawPublisher::connect(broker, "dm-flood");
        raw.publish("dm/alice", chat_payload("bob", "before the flood").as_bytes(), false);
        alice.stdout.wait_for("with bob's first message", WAIT, |l| {
            l.ends_with(" @bob <bob> before the flood")
        });

        let started = Instant::now();
        let mut cursor = 0;
        let mut peak_rss_kib = 0;
        // Waits until `who`'s message is shown, watching memory meanwhile.
        let mut wait_shown = |alice: &mut Komunikator, who: &str| {
            let suffix = format!(" @{who} <{who}> hi");
            let deadline = Instant::now() + WAIT;
            loop {
                let seen = alice.stdout.seen();
                if let Some(at) = seen[cursor..].iter().position(|l| l.ends_with(&suffix)) {
                    cursor += at + 1;
                    return;
                }
                cursor = seen.len();
                let rss = memory_kib(pid, "VmRSS");
                peak_rss_kib = u64::max(peak_rss_kib, rss);
                assert!(
                    rss < WATCHDOG_KIB,
                    "VmRSS {rss} KiB before {who}'s message was shown ({:?} into the flood): stopped",
                    started.elapsed()
                );
                assert!(
                    Instant::now() < deadline,
                    "{who}'s message was not shown within {WAIT:?}"
                );
                sleep(Duration::from_millis(50));
            }
        };
        // Paced a chunk ahead of what is shown, so the watchdog sees memory grow.
        for chunk in 0..SENDERS / CHUNK {
            let from = chunk * CHUNK;
            raw.publish_all(
                (from..from + CHUNK)
                    .map(|i| RawPublisher::packet("dm/alice", chat_payload(&sender(i), "hi").as_bytes(), false)),
            );
            if chunk > 0 {
                wait_shown(&mut alice, &sender(from - 1));
            }
        }
        wait_shown(&mut alice, &sender(SENDERS - 1));
        raw.publish("dm/alice", chat_payload("bob", "after the flood").as_bytes(), false);
        raw.finish();
        alice.stdout.wait_for("with bob's message after the flood", WAIT, |l| {
            l.ends_with(" @bob <bob> after the flood")
        });
        let hwm = memory_kib(pid, "VmHWM");
        eprintln!(
            "{SENDERS} direct-message senders in {:?}: VmHWM {hwm} KiB, peak VmRSS sampled {peak_rss_kib} KiB \
             (bound {MEMORY_BOUND_KIB} KiB)",
            started.elapsed()
        );
        let done = alice.quit();
        assert!(hwm < MEMORY_BOUND_KIB, "VmHWM {hwm} KiB, bound {MEMORY_BOUND_KIB} KiB");
        let notices: Vec<&String> = done
            .stderr
            .iter()
            .filter(|l| l.contains("too many direct conversations"))
            .collect();
        assert_eq!(
            notices,
            ["komunikator: too many direct conversations (100): the least recently active are closed"],
            "the cap must be said exactly once; stderr begins:\n{}",
            head(&done.stderr, 20)
        );
    });
}

// ---------------------------------------------------------------------------
// The UI needs a terminal.

/// Runs the child in a session of its own, with no controlling terminal (a
/// full-screen UI started by mistake could not take over the one the tests
/// run in), and with a capable `TERM`, so that only the pipes say "no terminal".
fn detach(command: &mut Command) {
    command.env("TERM", "xterm-256color");
    // SAFETY: setsid(2) is async-signal-safe and touches nothing of the parent's.
    unsafe {
        command.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
}

#[test]
fn with_pipes_for_stdin_and_stdout_the_client_says_so_and_runs_line_mode() {
    with_each_broker("no_terminal", |broker| {
        let mut chat = observer(broker, "chat-observer", &["chat/general"]);
        let port = broker.port.to_string();
        let mut client = Komunikator::spawn_custom("piped", &["-s", "127.0.0.1", "-p", &port, "piped"], detach);
        let said = client.stderr.wait_for("saying it runs line mode", WAIT, |l| {
            l.ends_with(": running in line mode (--no-tui)")
        });
        assert!(
            [
                "komunikator: stdin is not a terminal: running in line mode (--no-tui)",
                "komunikator: stdout is not a terminal: running in line mode (--no-tui)",
            ]
            .contains(&said.as_str()),
            "{said}"
        );
        client.wait_ready();
        client.send_line("sent through a pipe");
        let m = chat.wait_message("the piped line", |_| true);
        assert_eq!(chat_text(&m), "sent through a pipe");
        client
            .stdout
            .wait_for("its own line, as line mode prints it", WAIT, |l| {
                is_chat_line(l, "general", "piped", "sent through a pipe")
            });
        let done = client.quit();
        let notices = done
            .stderr
            .iter()
            .filter(|l| l.contains("running in line mode"))
            .count();
        assert_eq!(notices, 1, "said once: {:?}", done.stderr);
    });
}

#[test]
fn on_a_dumb_terminal_or_with_stdout_into_a_pipe_the_client_runs_line_mode() {
    let Some(tmux) = Tmux::start() else { return };
    with_each_broker("dumb_terminal", |broker| {
        let mut chat = observer(broker, "chat-observer", &["chat/general"]);
        let cases = [
            (
                "dumbo",
                format!("TERM=dumb {}", ui_command_with(broker.port, "dumbo", &[])),
                "komunikator: TERM is dumb: running in line mode (--no-tui)",
            ),
            (
                "teeing",
                format!("{} | cat", ui_command_with(broker.port, "teeing", &[])),
                "komunikator: stdout is not a terminal: running in line mode (--no-tui)",
            ),
        ];
        for (name, command, notice) in cases {
            let session = format!("{name}-{}", broker.port);
            tmux.open_sized(&session, &keeping_the_exit_status(&command), 120, 30);
            tmux.wait_screen(&session, "the line-mode notice and the connected line", |s| {
                s.contains(notice) && s.contains("komunikator: connected to ")
            });
            let text = format!("typed by {name}");
            tmux.type_line(&session, &text);
            let m = chat.wait_message("the typed line", |_| true);
            assert_eq!(chat_text(&m), text);
            tmux.wait_screen(&session, "the line as line mode prints it", |s| {
                s.contains(&format!(" #general <{name}> {text}"))
            });
            tmux.keys(&session, &["C-d"]);
            let (status, screen) = wait_exit(&tmux, &session, WAIT);
            assert_eq!(status, 0, "{screen}");
        }
    });
}

// ---------------------------------------------------------------------------
// A clean quit never fires the will.

/// The ways out of line mode that must be clean.
#[derive(Debug, Clone, Copy)]
enum Leave {
    Quit,
    QuitThenEndOfInput,
    Sigterm,
    Sighup,
}

impl Leave {
    const ALL: [Leave; 4] = [Leave::Quit, Leave::QuitThenEndOfInput, Leave::Sigterm, Leave::Sighup];

    /// A username of its own for each way (none a prefix of another's client id).
    fn user(self) -> &'static str {
        match self {
            Leave::Quit => "byquit",
            Leave::QuitThenEndOfInput => "byquiteof",
            Leave::Sigterm => "bysigterm",
            Leave::Sighup => "bysighup",
        }
    }

    fn perform(self, client: &mut Komunikator) {
        match self {
            Leave::Quit => client.send_line("/quit"),
            Leave::QuitThenEndOfInput => {
                client.send_line("/quit");
                client.close_stdin();
            }
            Leave::Sigterm => client.signal(libc::SIGTERM),
            Leave::Sighup => client.signal(libc::SIGHUP),
        }
    }
}

/// Leaves after the clock has passed the online's second: then the client's
/// own offline is stamped at least a second after it, and the will (stamped
/// before the online) cannot be.
fn own_offline_not_before(online: &Presence) -> DateTime<Utc> {
    wait_past(online.ts + TimeDelta::milliseconds(1050));
    online.ts + TimeDelta::seconds(1)
}

#[test]
fn every_clean_way_out_of_line_mode_sends_disconnect_and_never_fires_the_will() {
    with_each_broker("clean_quit_line", |broker| {
        let mut failures = Vec::new();
        for way in Leave::ALL {
            let name = way.user();
            let mut watcher = observer(broker, &format!("watcher-{name}"), &[&format!("presence/{name}")]);
            let mut client = Komunikator::join(broker, name, &[]);
            let online = next_online(&mut watcher, name);
            let not_before = own_offline_not_before(&online);
            way.perform(&mut client);
            let done = client.finish(WAIT);
            let mut problems = Vec::new();
            if !done.status.success() {
                problems.push(format!("exit {:?}; stderr: {:?}", done.status, done.stderr));
            }
            problems.extend(will_problems(broker, &mut watcher, name, &online, not_before));
            eprintln!("{way:?}: {}", if problems.is_empty() { "clean" } else { "NOT clean" });
            if !problems.is_empty() {
                failures.push(format!("{way:?}:\n  {}", problems.join("\n  ")));
            }
        }
        assert!(failures.is_empty(), "not clean:\n{}", failures.join("\n"));
    });
}

#[test]
fn ctrl_d_in_the_ui_sends_disconnect_and_never_fires_the_will_even_pressed_twice() {
    let Some(tmux) = Tmux::start() else { return };
    with_each_broker("clean_quit_ui", |broker| {
        let mut failures = Vec::new();
        for (name, keys) in [("byctrld", &["C-d"][..]), ("byctrldtwice", &["C-d", "C-d"][..])] {
            let mut watcher = observer(broker, &format!("watcher-{name}"), &[&format!("presence/{name}")]);
            let session = format!("{name}-{}", broker.port);
            tmux.open(
                &session,
                &keeping_the_exit_status(&ui_command_with(broker.port, name, &[])),
            );
            tmux.wait_screen(&session, "the connected status", |s| s.contains(" connected "));
            let online = next_online(&mut watcher, name);
            let not_before = own_offline_not_before(&online);
            tmux.keys(&session, keys);
            let (status, screen) = wait_exit(&tmux, &session, WAIT);
            let mut problems = Vec::new();
            if status != 0 {
                problems.push(format!("exit {status}; the screen after:\n{screen}"));
            }
            problems.extend(will_problems(broker, &mut watcher, name, &online, not_before));
            eprintln!("{keys:?}: {}", if problems.is_empty() { "clean" } else { "NOT clean" });
            if !problems.is_empty() {
                failures.push(format!("{keys:?}:\n  {}", problems.join("\n  ")));
            }
        }
        assert!(failures.is_empty(), "not clean:\n{}", failures.join("\n"));
    });
}
