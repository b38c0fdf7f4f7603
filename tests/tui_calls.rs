//! What calls the user in the full-screen UI, end to end: a direct message
//! marks its conversation and rings the terminal's bell, Alt-A goes to it,
//! and the room left behind shows where reading stopped.

use komunikator_testkit as testkit;

use testkit::tmux::{ui_command, Tmux};
use testkit::{with_each_broker, Komunikator, WAIT};

#[test]
fn a_direct_message_rings_and_marks_alt_a_goes_there_and_the_read_marker_shows_on_return() {
    let Some(tmux) = Tmux::start() else { return };
    with_each_broker("tui_calls", |broker| {
        let mut bob = Komunikator::join(broker, "bob", &[]);
        tmux.open("alice", &ui_command(broker, "alice"));
        // tmux flags a window whose program rang the bell (`monitor-bell`).
        tmux.run(&["set-option", "-g", "monitor-bell", "on"]);
        tmux.wait_screen("alice", "bob online", |s| {
            s.contains(" connected ") && s.contains("bob")
        });
        assert_eq!(bell_flag(&tmux), "0", "no bell before anything calls alice");

        bob.send_line("/msg alice psst, a word?");
        tmux.wait_screen("alice", "the @bob conversation marked in the side panel", |s| {
            // (a 🔒 between the name and the mark when the conversation is sealed)
            s.lines()
                .any(|l| l.contains("2 @bob") && l.trim_end().ends_with(" @ 1"))
        });
        let until = std::time::Instant::now() + WAIT;
        while bell_flag(&tmux) != "1" {
            assert!(std::time::Instant::now() < until, "the bell never rang");
            std::thread::sleep(std::time::Duration::from_millis(100));
        }

        tmux.keys("alice", &["M-a"]);
        tmux.wait_screen("alice", "Alt-A in @bob", |s| {
            s.contains("[@bob") && s.contains("<bob> psst, a word?")
        });

        bob.send_line("meanwhile in general");
        tmux.wait_screen("alice", "general counting it", |s| {
            s.lines().any(|l| l.trim_end().ends_with("1 #general 1"))
        });
        tmux.keys("alice", &["M-1"]);
        let screen = tmux.wait_screen("alice", "the read marker above what came meanwhile", |s| {
            s.contains("[#general]") && s.contains("<bob> meanwhile in general")
        });
        let lines: Vec<&str> = screen.lines().collect();
        let rule = lines
            .iter()
            .position(|l| l.contains("── new since "))
            .unwrap_or_else(|| panic!("no rule:\n{screen}"));
        let news = lines
            .iter()
            .position(|l| l.contains("<bob> meanwhile in general"))
            .unwrap();
        assert_eq!(rule + 1, news, "the rule right above the unread line:\n{screen}");

        tmux.keys("alice", &["C-c"]);
        tmux.wait_gone("alice", "after Ctrl-C");
        bob.quit();
    });
}

fn bell_flag(tmux: &Tmux) -> String {
    let out = tmux.run(&["display-message", "-p", "-t", "alice", "#{window_bell_flag}"]);
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}
