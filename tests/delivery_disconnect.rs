//! Issue 10 end to end: every clean way out sends DISCONNECT, so the will
//! never fires.

use chrono::{DateTime, TimeDelta, Utc};
use komunikator_testkit::observe::{next_online, observer, wait_past, will_problems};
use komunikator_testkit::tmux::{keeping_the_exit_status, ui_command_with, Tmux};
use komunikator_testkit::Signal;
use komunikator_testkit::{with_each_broker, Komunikator, Presence, WAIT};

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
            Leave::Sigterm => client.signal(Signal::TERM),
            Leave::Sighup => client.signal(Signal::HUP),
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
            let (status, screen) = tmux.wait_exit(&session, WAIT);
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
