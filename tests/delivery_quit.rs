//! Issue 10 end to end, against real brokers: quitting drains the outbox.
//! A script ending in `/quit`, a pipe of 100 000 lines and a quit while the
//! broker is down deliver every line, or the client exits 3 naming what it
//! did not send (`--drain-timeout`, the give-up keys). A further quit
//! request never skips the drain.
//!
//! Texts, exit statuses and flags follow the behaviour spec. Tests
//! print what they measure (`--nocapture` shows it).

use std::io::{BufWriter, Write};
use std::thread::sleep;
use std::time::{Duration, Instant};

use komunikator_testkit::observe::{next_online, observer, receive_texts, will_problems};
use komunikator_testkit::report::{assert_names_unsent, first_difference, head, is_lost, strings};
use komunikator_testkit::Signal;
use komunikator_testkit::{
    with_each_broker, with_each_broker_mut, Broker, Finished, Komunikator, Proxy, ProxyMode, WAIT,
};

/// How long an observer must stay quiet before we take it that nothing more comes.
const QUIET: Duration = Duration::from_secs(3);

/// Exit status of a quit that left messages unsent.
const EXIT_UNSENT: i32 = 3;

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
        let got = receive_texts(&mut chat, 1, QUIET, WAIT);
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
        let got = receive_texts(&mut chat, numbers.len(), QUIET, 3 * WAIT);
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
        let got = receive_texts(&mut chat, N, QUIET, Duration::from_secs(60));
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
    let got = receive_texts(&mut chat, TYPED_WHILE_DOWN.len(), QUIET, WAIT);
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
            client.signal(Signal::TERM);
            sleep(Duration::from_millis(100));
            client.signal(Signal::HUP);
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
        client.signal(Signal::INT);
        client.stderr.wait_for("saying it waits to send", WAIT, |l| {
            l == "komunikator: quitting: waiting up to 10s for 3 message(s) to be sent (--drain-timeout)"
        });
        client.signal(Signal::INT);
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
