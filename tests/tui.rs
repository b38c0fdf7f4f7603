//! The full-screen UI end to end: the real binary in a terminal (tmux on a
//! private socket), typing into it, and reading the screen back.

mod common;

use std::process::{Command, Output};
use std::thread::sleep;
use std::time::{Duration, Instant};

use common::{binary, chat_payload, find_program, with_each_broker, Broker, Komunikator, Probe, WAIT};

/// A tmux server of our own, so the test never touches anyone else's.
struct Tmux {
    socket: String,
}

impl Tmux {
    /// `None` (with a notice) when tmux is missing, unless CI requires it.
    fn start() -> Option<Tmux> {
        if find_program("tmux").is_none() {
            assert!(
                std::env::var(common::REQUIRE_MOSQUITTO).as_deref() != Ok("1"),
                "tmux is required for the full-screen end-to-end test"
            );
            eprintln!("NOTICE: tmux not found: full-screen end-to-end test SKIPPED");
            return None;
        }
        Some(Tmux {
            // One server per test: tests in this file run in parallel, and
            // each kills its own server when done.
            socket: format!("komunikator-test-{}-{}", std::process::id(), fastrand::u32(..)),
        })
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs")
    }

    fn open(&self, session: &str, command: &str) {
        let out = self.run(&["new-session", "-d", "-s", session, "-x", "100", "-y", "30", command]);
        assert!(
            out.status.success(),
            "tmux new-session: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn keys(&self, session: &str, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", session];
        args.extend(keys);
        assert!(self.run(&args).status.success());
    }

    fn screen(&self, session: &str) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", session]).stdout).into_owned()
    }

    /// Polls the screen until `pred` holds; panics with the last screen if not.
    fn wait_screen(&self, session: &str, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let until = Instant::now() + WAIT;
        loop {
            let screen = self.screen(session);
            if pred(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < until,
                "{session}: screen never showed {what}:\n{screen}"
            );
            sleep(Duration::from_millis(100));
        }
    }

    fn alive(&self, session: &str) -> bool {
        self.run(&["has-session", "-t", session]).status.success()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

/// The command tmux runs: the client with no user config or log file of its own.
fn ui_command(broker: &Broker, name: &str) -> String {
    let scratch = std::env::temp_dir().join(format!("komunikator-test-home-{}", std::process::id()));
    let scratch = scratch.display();
    format!(
        "env XDG_CONFIG_HOME={scratch}/config XDG_STATE_HOME={scratch}/state TZ=UTC {} -s 127.0.0.1 -p {} {name}",
        binary(),
        broker.port
    )
}

#[test]
fn typing_in_the_full_screen_ui_reaches_another_client_and_back() {
    let Some(tmux) = Tmux::start() else { return };
    with_each_broker("tui_chat", |broker| {
        let mut bob = Komunikator::join(broker, "bob", &[]);
        tmux.open("alice", &ui_command(broker, "alice"));
        tmux.wait_screen("alice", "the connected status", |s| {
            s.contains(" connected ") && s.contains("bob")
        });

        tmux.keys("alice", &["-l", "hello from the full screen 日本"]);
        tmux.keys("alice", &["Enter"]);
        bob.stdout.wait_for("alice's message", WAIT, |l| {
            common::is_chat_line(l, "general", "alice", "hello from the full screen 日本")
        });
        tmux.wait_screen("alice", "her own message acknowledged", |s| {
            s.contains("<alice> hello from the full screen 日本 ✓")
        });

        bob.send_line("hi alice, I read you");
        tmux.wait_screen("alice", "bob's answer", |s| s.contains("<bob> hi alice, I read you"));

        // Hostile text arrives escaped, and the screen is still intact.
        let mut probe = Probe::connect(broker, "hostile");
        probe.publish(
            "chat/general",
            chat_payload("mallory", "\u{1b}[2J\u{1b}]0;pwned\u{7}cleared?"),
            false,
        );
        tmux.wait_screen("alice", "the escaped hostile text", |s| {
            s.contains("␛[2J␛]0;pwned␇cleared?") && s.contains("<bob> hi alice")
        });

        tmux.keys("alice", &["F1"]);
        tmux.wait_screen("alice", "the help overlay", |s| {
            s.contains("komunikator help") && s.contains("/quit")
        });
        tmux.keys("alice", &["Escape"]);

        tmux.keys("alice", &["C-c"]);
        bob.stdout
            .wait_for("alice going offline", WAIT, |l| l.ends_with("* alice went offline"));
        let until = Instant::now() + WAIT;
        while tmux.alive("alice") {
            assert!(Instant::now() < until, "the UI did not exit after Ctrl-C");
            sleep(Duration::from_millis(50));
        }
        bob.quit();
    });
}

/// The pid of the program running in a pane (started with `exec`).
fn pane_pid(tmux: &Tmux, session: &str) -> i32 {
    let out = tmux.run(&["list-panes", "-t", session, "-F", "#{pane_pid}"]);
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("no pane pid for {session} ({e}): {out:?}"))
}

#[test]
fn a_flood_of_200k_messages_keeps_the_full_screen_ui_within_a_fixed_memory_bound() {
    let Some(tmux) = Tmux::start() else { return };
    with_each_broker("tui_memory", |broker| {
        // 200 000 messages of about 600 bytes: 120 MB kept whole, a few MB
        // within a 10 000-message scrollback.
        tmux.open(
            "flooded",
            &format!(
                "exec {} -s 127.0.0.1 -p {} --scrollback 10000 alice",
                binary(),
                broker.port
            ),
        );
        tmux.wait_screen("flooded", "the connected status", |s| s.contains(" connected "));
        let pid = pane_pid(&tmux, "flooded");
        let baseline = common::memory_kib(pid, "VmHWM");

        const N: usize = 200_000;
        let filler = "z".repeat(560);
        let mut raw = common::RawPublisher::connect(broker, "flood");
        raw.publish_all((0..N).map(|i| {
            let text = format!("{filler} n{i}");
            common::RawPublisher::packet("chat/general", chat_payload("flood", &text).as_bytes(), false)
        }));
        raw.finish();
        let last = format!(" n{}", N - 1);
        let until = Instant::now() + Duration::from_secs(180);
        while !tmux.screen("flooded").contains(&last) {
            assert!(tmux.alive("flooded"), "the UI exited during the flood");
            assert!(Instant::now() < until, "the UI never showed the last message");
            sleep(Duration::from_millis(250));
        }
        let rss = common::memory_kib(pid, "VmRSS");
        let hwm = common::memory_kib(pid, "VmHWM");
        eprintln!("full-screen UI after {N} messages: VmRSS {rss} KiB, VmHWM {hwm} KiB (at start {baseline} KiB)");
        const BOUND_KIB: u64 = 64 * 1024;
        assert!(
            hwm < BOUND_KIB && rss < BOUND_KIB,
            "memory not bounded: VmRSS {rss} KiB, VmHWM {hwm} KiB (bound {BOUND_KIB} KiB)"
        );
        tmux.keys("flooded", &["C-c"]);
        let until = Instant::now() + WAIT;
        while tmux.alive("flooded") {
            assert!(Instant::now() < until, "the UI did not exit after Ctrl-C");
            sleep(Duration::from_millis(50));
        }
    });
}

#[test]
fn the_full_screen_ui_marks_a_message_sent_only_once_the_broker_acknowledges_it() {
    let Some(tmux) = Tmux::start() else { return };
    with_each_broker("tui_ack", |broker| {
        tmux.open("acked", &ui_command(broker, "alice"));
        tmux.wait_screen("acked", "the connected status", |s| s.contains(" connected "));
        // The broker takes the message into its socket but answers nothing.
        broker.pause();
        tmux.keys("acked", &["-l", "wait for the broker"]);
        tmux.keys("acked", &["Enter"]);
        tmux.wait_screen("acked", "the message pending", |s| {
            s.contains("<alice> wait for the broker ⧖") && s.contains("1 waiting to send")
        });
        sleep(Duration::from_secs(1));
        let screen = tmux.screen("acked");
        assert!(
            screen.contains("wait for the broker ⧖") && !screen.contains("wait for the broker ✓"),
            "marked sent without an acknowledgement:\n{screen}"
        );
        broker.resume();
        tmux.wait_screen("acked", "the message acknowledged", |s| {
            s.contains("<alice> wait for the broker ✓") && !s.contains("waiting to send")
        });
        tmux.keys("acked", &["C-c"]);
        let until = Instant::now() + WAIT;
        while tmux.alive("acked") {
            assert!(Instant::now() < until, "the UI did not exit after Ctrl-C");
            sleep(Duration::from_millis(50));
        }
    });
}

#[test]
fn the_status_bar_counts_down_while_the_broker_is_down_and_typed_lines_go_out_after() {
    let Some(tmux) = Tmux::start() else { return };
    common::with_each_broker_mut("tui_reconnect", |broker| {
        tmux.open("down", &ui_command(broker, "alice"));
        tmux.wait_screen("down", "the connected status", |s| s.contains(" connected "));
        broker.stop();
        tmux.wait_screen("down", "the reconnect countdown with its reason", |s| {
            s.contains(" reconnecting in ") && s.contains("connection lost")
        });
        tmux.keys("down", &["-l", "typed while down"]);
        tmux.keys("down", &["Enter"]);
        tmux.wait_screen("down", "the line pending", |s| {
            s.contains("<alice> typed while down ⧖") && s.contains("1 waiting to send")
        });
        broker.restart();
        let mut bob = Komunikator::join(broker, "bob", &[]);
        tmux.wait_screen("down", "the line acknowledged after the reconnect", |s| {
            s.contains(" connected ") && s.contains("<alice> typed while down ✓")
        });
        // A line typed now reaches bob, who came after the restart.
        tmux.keys("down", &["-l", "after the restart"]);
        tmux.keys("down", &["Enter"]);
        bob.stdout.wait_for("alice's message", WAIT, |l| {
            common::is_chat_line(l, "general", "alice", "after the restart")
        });
        tmux.keys("down", &["C-c"]);
        let until = Instant::now() + WAIT;
        while tmux.alive("down") {
            assert!(Instant::now() < until, "the UI did not exit after Ctrl-C");
            sleep(Duration::from_millis(50));
        }
        bob.quit();
    });
}
