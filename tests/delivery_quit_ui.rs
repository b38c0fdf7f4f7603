//! Issue 10 end to end: quitting the full-screen UI (in tmux) drains the
//! outbox too, shows that it waits, and gives up as line mode does.

use std::thread::sleep;
use std::time::Duration;

use komunikator_testkit::observe::{observer, receive_texts};
use komunikator_testkit::tmux::{keeping_the_exit_status, shown_exit, ui_command_with, Tmux};
use komunikator_testkit::{with_each_broker_mut, Proxy, ProxyMode, WAIT};

/// How long an observer must stay quiet before we take it that nothing more comes.
const QUIET: Duration = Duration::from_secs(3);

/// Exit status of a quit that left messages unsent.
const EXIT_UNSENT: i32 = 3;

// Quitting in the full-screen UI.

/// The UI (as `alice`, through `port`, with `extra`) in a 160x30 pane;
/// connected, then the broker goes down (`stop`), a line is typed and Enter
/// pressed, then Ctrl-D: the status bar must say it is quitting with one
/// message waiting.
fn ui_quitting_with_one_line_waiting(tmux: &Tmux, session: &str, port: u16, extra: &[&str], stop: impl FnOnce()) {
    let command = keeping_the_exit_status(&ui_command_with(port, "alice", extra));
    tmux.open_sized(session, &command, 160, 30);
    tmux.wait_screen(session, "the connected status", |s| s.contains(" connected "));
    stop();
    tmux.wait_screen(session, "the reconnect countdown", |s| s.contains(" · retry in "));
    tmux.type_line(session, "typed in the ui while down");
    tmux.wait_screen(session, "the line waiting", |s| s.contains(" 1 waiting · "));
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
        let got = receive_texts(&mut chat, 1, QUIET, WAIT);
        let (status, screen) = tmux.wait_exit(&session, WAIT);
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
        let (status, screen) = tmux.wait_exit(&session, WAIT);
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
        let (status, screen) = tmux.wait_exit(&session, Duration::from_secs(5));
        assert_eq!(status, EXIT_UNSENT, "{screen}");
        assert!(
            screen.contains("komunikator: not sent to #general: typed in the ui while down"),
            "the normal screen must name the unsent line:\n{screen}"
        );
    });
}
