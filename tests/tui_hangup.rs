//! The terminal going away under the full-screen UI (its window closed, the
//! ssh session dropped): the client quits as on SIGHUP, saying goodbye to
//! the others, and exits instead of spinning on a terminal that is gone.
//!
//! SIGHUP usually comes first and hides what follows, so the client here
//! runs in a session of its own (`setsid`): no SIGHUP reaches it, and all it
//! learns is that its terminal hung up. crossterm alone reads such a
//! terminal for ever at full CPU, and the client never quits.

use komunikator_testkit as testkit;

use std::thread::sleep;
use std::time::{Duration, Instant};

use testkit::tmux::{ui_command, Tmux};
use testkit::{with_each_broker, Komunikator, WAIT};

/// True while the process runs (a zombie waiting to be reaped has exited).
fn running(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command name, which is in parentheses.
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| !rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

#[test]
fn closing_the_terminal_quits_cleanly_and_the_process_exits() {
    let Some(tmux) = Tmux::start() else { return };
    with_each_broker("tui_hangup", |broker| {
        let mut bob = Komunikator::join(broker, "bob", &[]);
        let pid_file = testkit::fresh_data_home().join("alice.pid");
        let command = format!(
            "setsid -w sh -c 'echo $$ > {}; exec {}'",
            pid_file.display(),
            ui_command(broker, "alice")
        );
        tmux.open("alice", &command);
        tmux.wait_screen("alice", "the connected status", |s| {
            s.contains(" connected ") && s.contains("bob")
        });
        let pid: i32 = std::fs::read_to_string(&pid_file)
            .expect("the client's pid")
            .trim()
            .parse()
            .expect("a pid");
        assert!(running(pid), "alice's client runs in the pane");
        // The window closes: the terminal hangs up under the client.
        tmux.run(&["kill-session", "-t", "alice"]);
        bob.stdout
            .wait_for("alice leaving, not losing the connection", WAIT, |l| {
                l.ends_with("* alice left")
            });
        let until = Instant::now() + WAIT;
        while running(pid) {
            assert!(
                Instant::now() < until,
                "alice's client still runs {WAIT:?} after its terminal went away"
            );
            sleep(Duration::from_millis(50));
        }
        bob.quit();
    });
}
