//! A private tmux server to run the full-screen UI in a real terminal, type
//! into it and read the screen back.

use std::process::{Command, Output};
use std::thread::sleep;
use std::time::{Duration, Instant};

use crate::{client_binary, find_program, tools_required, Broker, REQUIRE_MOSQUITTO, WAIT};

/// A tmux server of our own, so the test never touches anyone else's.
pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// `None` (with a notice) when tmux is missing, unless CI requires it.
    pub fn start() -> Option<Tmux> {
        if find_program("tmux").is_none() {
            assert!(
                !tools_required(),
                "tmux is required for the full-screen end-to-end tests ({REQUIRE_MOSQUITTO}=1)"
            );
            eprintln!("NOTICE: tmux not found: full-screen end-to-end test SKIPPED");
            return None;
        }
        Some(Tmux {
            // One server per test: tests run in parallel, and each kills its
            // own server when done.
            socket: format!("komunikator-test-{}-{}", std::process::id(), fastrand::u32(..)),
        })
    }

    pub fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs")
    }

    /// A new session of 100x30 running `command` (through `sh -c`).
    pub fn open(&self, session: &str, command: &str) {
        self.open_sized(session, command, 100, 30);
    }

    pub fn open_sized(&self, session: &str, command: &str, width: u16, height: u16) {
        let (width, height) = (width.to_string(), height.to_string());
        let out = self.run(&["new-session", "-d", "-s", session, "-x", &width, "-y", &height, command]);
        assert!(
            out.status.success(),
            "tmux new-session: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn keys(&self, session: &str, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", session];
        args.extend(keys);
        assert!(self.run(&args).status.success());
    }

    /// Types `text` literally, then Enter.
    pub fn type_line(&self, session: &str, text: &str) {
        self.keys(session, &["-l", text]);
        self.keys(session, &["Enter"]);
    }

    pub fn screen(&self, session: &str) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", session]).stdout).into_owned()
    }

    /// Polls the screen until `pred` holds; panics with the last screen if not.
    pub fn wait_screen(&self, session: &str, what: &str, pred: impl Fn(&str) -> bool) -> String {
        self.wait_screen_for(session, what, WAIT, pred)
    }

    pub fn wait_screen_for(&self, session: &str, what: &str, timeout: Duration, pred: impl Fn(&str) -> bool) -> String {
        let until = Instant::now() + timeout;
        loop {
            let screen = self.screen(session);
            if pred(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < until,
                "{session}: screen never showed {what} within {timeout:?}:\n{screen}"
            );
            sleep(Duration::from_millis(100));
        }
    }

    pub fn alive(&self, session: &str) -> bool {
        self.run(&["has-session", "-t", session]).status.success()
    }

    /// Waits (bounded) until the session has ended, i.e. its program exited.
    pub fn wait_gone(&self, session: &str, why: &str) {
        let until = Instant::now() + WAIT;
        while self.alive(session) {
            assert!(Instant::now() < until, "{session}: the UI did not exit {why}");
            sleep(Duration::from_millis(50));
        }
    }

    /// The pid of the program running in a pane (started with `exec`).
    pub fn pane_pid(&self, session: &str) -> i32 {
        let out = self.run(&["list-panes", "-t", session, "-F", "#{pane_pid}"]);
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or_else(|e| panic!("no pane pid for {session} ({e}): {out:?}"))
    }

    /// The pid of the tmux server process itself.
    pub fn server_pid(&self) -> i32 {
        let out = self.run(&["display-message", "-p", "#{pid}"]);
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or_else(|e| panic!("no tmux server pid ({e}): {out:?}"))
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

/// A tmux command that runs `command`, then shows its exit status as `EXIT=<n>`
/// and keeps the pane open, so the screen after the UI is left can be read.
pub fn keeping_the_exit_status(command: &str) -> String {
    format!("{command}; echo EXIT=$?; sleep 60")
}

/// The `EXIT=<n>` a pane shows, once its program has exited.
pub fn shown_exit(screen: &str) -> Option<i32> {
    screen
        .lines()
        .find_map(|l| l.trim().strip_prefix("EXIT=")?.parse().ok())
}

impl Tmux {
    /// Waits for the pane's program (run with [`keeping_the_exit_status`]) to exit; its status.
    pub fn wait_exit(&self, session: &str, timeout: Duration) -> (i32, String) {
        let screen = self.wait_screen_for(session, "the exit status", timeout, |s| shown_exit(s).is_some());
        (shown_exit(&screen).expect("an exit status"), screen)
    }
}

/// The command tmux runs: the client with no user config or log file of its
/// own, connecting to 127.0.0.1:`port`, with `extra` arguments before the name.
pub fn ui_command_with(port: u16, name: &str, extra: &[&str]) -> String {
    ui_command_home(port, name, extra, &crate::client::fresh_data_home())
}

/// [`ui_command_with`] with `data` as the client's data directory (its
/// history and client id): the same directory twice is the same client restarted.
pub fn ui_command_home(port: u16, name: &str, extra: &[&str], data: &std::path::Path) -> String {
    let scratch = std::env::temp_dir().join(format!("komunikator-test-home-{}", std::process::id()));
    let scratch = scratch.display();
    let mut command = format!(
        "env XDG_CONFIG_HOME={scratch}/config XDG_STATE_HOME={scratch}/state XDG_DATA_HOME={} TZ=UTC {} -s 127.0.0.1 -p {port}",
        data.display(),
        client_binary()
    );
    for arg in extra {
        command.push(' ');
        command.push_str(arg);
    }
    command.push(' ');
    command.push_str(name);
    command
}

/// [`ui_command_with`] for a broker, with no extra arguments.
pub fn ui_command(broker: &Broker, name: &str) -> String {
    ui_command_with(broker.port, name, &[])
}
