//! The full-screen UI in a tmux pane of its own, read back with
//! `capture-pane` as fast as tmux answers.

use std::path::Path;
use std::thread::sleep;
use std::time::{Duration, Instant};

use komunikator_testkit::client_binary;
use komunikator_testkit::tmux::Tmux;

pub(crate) const WIDTH: u16 = 200;
pub(crate) const HEIGHT: u16 = 60;
pub(crate) const ROOM: &str = "room-07";
/// The input line starts with the active room.
const PROMPT: &str = "[#room-07]";
/// Longest any one wait may take before the bench gives up on it.
pub(crate) const LIMIT: Duration = Duration::from_secs(120);

/// The client for `alice` on 127.0.0.1:`port` in `room-07`, its data,
/// configuration and state under `home`.
pub(crate) fn command(home: &Path, port: u16) -> String {
    let home = home.display();
    format!(
        "env XDG_DATA_HOME={home}/data XDG_CONFIG_HOME={home}/config XDG_STATE_HOME={home}/state TZ=UTC \
         {} -s 127.0.0.1 -p {port} -r {ROOM} alice",
        client_binary()
    )
}

/// One session of the UI.
pub(crate) struct Ui<'a> {
    pub(crate) tmux: &'a Tmux,
    pub(crate) name: String,
}

impl Ui<'_> {
    /// Opens the session; the instant just before tmux was asked to.
    pub(crate) fn open<'a>(tmux: &'a Tmux, name: &str, command: &str) -> (Ui<'a>, Instant) {
        let at = Instant::now();
        tmux.open_sized(name, command, WIDTH, HEIGHT);
        let ui = Ui {
            tmux,
            name: name.to_owned(),
        };
        (ui, at)
    }

    pub(crate) fn screen(&self) -> String {
        self.tmux.screen(&self.name)
    }

    pub(crate) fn keys(&self, keys: &[&str]) {
        self.tmux.keys(&self.name, keys);
    }

    /// Captures the pane without a pause until `pred` holds: the time from
    /// `from` until the capture that showed it returned, or `None` after LIMIT.
    pub(crate) fn poll(&self, from: Instant, pred: impl Fn(&str) -> bool) -> Option<Duration> {
        loop {
            let screen = self.screen();
            let at = from.elapsed();
            if pred(&screen) {
                return Some(at);
            }
            if at > LIMIT {
                return None;
            }
        }
    }

    /// [`Ui::poll`], but a timeout ends the bench with the screen it saw.
    pub(crate) fn wait(&self, what: &str, pred: impl Fn(&str) -> bool) -> Duration {
        let from = Instant::now();
        self.poll(from, &pred)
            .unwrap_or_else(|| panic!("{}: no {what} within {LIMIT:?}:\n{}", self.name, self.screen()))
    }

    /// Ctrl-C, then waits (bounded) for the program and the session to end.
    pub(crate) fn quit(self) {
        self.keys(&["C-c"]);
        let until = Instant::now() + LIMIT;
        while self.tmux.alive(&self.name) {
            assert!(
                Instant::now() < until,
                "{}: the UI did not exit after Ctrl-C",
                self.name
            );
            sleep(Duration::from_millis(20));
        }
    }
}

/// What the input line holds, if the screen shows it.
pub(crate) fn input(screen: &str) -> Option<&str> {
    let line = screen.lines().rev().find(|l| l.starts_with(PROMPT))?;
    Some(line[PROMPT.len()..].trim())
}

/// The results header of a search for `text`, if shown.
pub(crate) fn hits_header<'s>(screen: &'s str, text: &str, all: bool) -> Option<&'s str> {
    let where_ = if all { "every room" } else { "this room" };
    let tail = format!(" hit(s) for \"{text}\" in {where_} ");
    screen.lines().find(|l| l.contains(&tail))
}

/// The number of hits a results header announces.
pub(crate) fn hit_count(header: &str) -> usize {
    header
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}
