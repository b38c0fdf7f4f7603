//! Issue 10 end to end: without a terminal (pipes, `TERM=dumb`, `| cat`)
//! the client runs line mode and says so.

use std::process::Command;

use komunikator_testkit::observe::{chat_text, observer};
use komunikator_testkit::tmux::{keeping_the_exit_status, ui_command_with, Tmux};
use komunikator_testkit::{detach_from_terminal, is_chat_line, with_each_broker, Komunikator, WAIT};

// The UI needs a terminal.

/// Runs the child with no controlling terminal, and with a capable `TERM`,
/// so that only the pipes say "no terminal".
fn detach(command: &mut Command) {
    command.env("TERM", "xterm-256color");
    detach_from_terminal(command);
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
            let (status, screen) = tmux.wait_exit(&session, WAIT);
            assert_eq!(status, 0, "{screen}");
        }
    });
}
