//! The full-screen UI end to end: the real binary in a terminal (tmux on a
//! private socket), typing into it, and reading the screen back.

use komunikator_testkit as testkit;

use std::thread::sleep;
use std::time::{Duration, Instant};

use testkit::tmux::{ui_command, Tmux};
use testkit::{chat_payload, client_binary, with_each_broker, Komunikator, Probe, WAIT};

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
            testkit::is_chat_line(l, "general", "alice", "hello from the full screen 日本")
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
            s.contains("komunikator help") && s.contains("/join ROOM")
        });
        // Longer than 30 rows at 100 columns: End shows the rest.
        tmux.keys("alice", &["End"]);
        tmux.wait_screen("alice", "the end of the help", |s| {
            s.contains("/quit") && s.contains("online / away / offline")
        });
        tmux.keys("alice", &["Escape"]);

        tmux.keys("alice", &["C-c"]);
        bob.stdout
            .wait_for("alice going offline", WAIT, |l| l.ends_with("* alice left"));
        let until = Instant::now() + WAIT;
        while tmux.alive("alice") {
            assert!(Instant::now() < until, "the UI did not exit after Ctrl-C");
            sleep(Duration::from_millis(50));
        }
        bob.quit();
    });
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
                "exec env XDG_DATA_HOME={} {} -s 127.0.0.1 -p {} --scrollback 10000 alice",
                testkit::fresh_data_home().display(),
                client_binary(),
                broker.port
            ),
        );
        tmux.wait_screen("flooded", "the connected status", |s| s.contains(" connected "));
        let pid = tmux.pane_pid("flooded");
        let baseline = testkit::memory_kib(pid, "VmHWM");

        const N: usize = 200_000;
        let filler = "z".repeat(560);
        let mut raw = testkit::RawPublisher::connect(broker, "flood");
        raw.publish_all((0..N).map(|i| {
            let text = format!("{filler} n{i}");
            testkit::RawPublisher::packet("chat/general", chat_payload("flood", &text).as_bytes(), false)
        }));
        raw.finish();
        let last = format!(" n{}", N - 1);
        let until = Instant::now() + Duration::from_secs(180);
        while !tmux.screen("flooded").contains(&last) {
            assert!(tmux.alive("flooded"), "the UI exited during the flood");
            assert!(Instant::now() < until, "the UI never showed the last message");
            sleep(Duration::from_millis(250));
        }
        let rss = testkit::memory_kib(pid, "VmRSS");
        let hwm = testkit::memory_kib(pid, "VmHWM");
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

/// How many chat notices on `screen` contain `text`.
fn notices_with(screen: &str, text: &str) -> usize {
    screen
        .lines()
        .filter(|l| l.contains("-!- ") && l.contains(text))
        .count()
}

#[test]
fn an_outage_is_one_notice_and_one_live_status_line_and_typed_lines_go_out_after() {
    let Some(tmux) = Tmux::start() else { return };
    testkit::with_each_broker_mut("tui_reconnect", |broker| {
        tmux.open("down", &ui_command(broker, "alice"));
        tmux.wait_screen("down", "the connected status", |s| s.contains(" connected "));
        broker.stop();
        tmux.wait_screen("down", "the live status line with its reason", |s| {
            s.contains("connection lost: ") && s.contains(" · retry in ")
        });
        tmux.keys("down", &["-l", "typed while down"]);
        tmux.keys("down", &["Enter"]);
        // Failed retries change the reason to the refused connection: by
        // then several attempts were made.
        let screen = tmux.wait_screen("down", "the line pending, counted first on the status line", |s| {
            s.contains("<alice> typed while down ⧖") && s.lines().any(|l| l.starts_with(" 1 waiting · cannot reach "))
        });
        assert_eq!(
            notices_with(&screen, "connection lost"),
            1,
            "one notice per drop:\n{screen}"
        );
        assert_eq!(
            notices_with(&screen, "cannot reach"),
            0,
            "retries add no notice:\n{screen}"
        );
        assert!(
            !screen.contains("mosquitto -p"),
            "no broker advice after a connection:\n{screen}"
        );
        broker.restart();
        let mut bob = Komunikator::join(broker, "bob", &[]);
        let screen = tmux.wait_screen("down", "the line acknowledged after the reconnect", |s| {
            s.contains(" connected ") && s.contains("<alice> typed while down ✓")
        });
        assert_eq!(
            notices_with(&screen, "reconnected to "),
            1,
            "one notice when back:\n{screen}"
        );
        assert_eq!(notices_with(&screen, "connection lost"), 1, "{screen}");
        // A line typed now reaches bob, who came after the restart.
        tmux.keys("down", &["-l", "after the restart"]);
        tmux.keys("down", &["Enter"]);
        bob.stdout.wait_for("alice's message", WAIT, |l| {
            testkit::is_chat_line(l, "general", "alice", "after the restart")
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
