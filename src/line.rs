//! Line mode (`--no-tui`): lines from stdin in, one line per event out.

mod format;

use std::io::{BufRead, Write};
use std::time::Duration;

use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::app::{Effect, Event, State, QUIT_GRACE};
use crate::net::{self, Handle};
use crate::settings::{Mode, Settings};
pub use format::{Clock, Formatter};

/// After DISCONNECT, how long to wait for the broker to close the socket.
const CLOSE_WAIT: Duration = Duration::from_millis(1500);

/// Events handled before output is flushed, so a flood is written in large blocks.
const BATCH: usize = 1024;

fn spawn_stdin_reader() -> mpsc::Receiver<Option<String>> {
    let (tx, rx) = mpsc::channel(64);
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        let mut lock = stdin.lock();
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match lock.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let line = String::from_utf8_lossy(&buf);
                    let line = line.strip_suffix('\n').unwrap_or(&line).to_owned();
                    if tx.blocking_send(Some(line)).is_err() {
                        return;
                    }
                }
            }
        }
        let _ = tx.blocking_send(None);
    });
    rx
}

/// Runs line mode to the end; returns the process exit status.
pub async fn run(settings: Settings) -> i32 {
    let json = matches!(settings.mode, Mode::Line { json: true });
    let (handle, mut net_rx) = net::spawn(&settings);
    let mut stdin_rx = spawn_stdin_reader();
    let mut stdin_open = true;
    let mut sigint = signal(SignalKind::interrupt()).expect("SIGINT handler");
    let mut sigterm = signal(SignalKind::terminate()).expect("SIGTERM handler");
    let mut sighup = signal(SignalKind::hangup()).expect("SIGHUP handler");
    let mut state = State::new(settings, chrono::Utc::now());
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    let mut formatter = Formatter::new(json);
    let mut deadline: Option<Instant> = None;

    loop {
        let event = tokio::select! {
            Some(net) = net_rx.recv() => Event::Net(net),
            line = stdin_rx.recv(), if stdin_open => match line.flatten() {
                Some(line) => Event::Line(line),
                None => {
                    stdin_open = false;
                    Event::Quit
                }
            },
            _ = sigint.recv() => Event::Quit,
            _ = sigterm.recv() => Event::Quit,
            _ = sighup.recv() => Event::Quit,
            _ = sleep_until(deadline) => Event::QuitTimeout,
        };
        let mut pending = vec![event];
        let mut handled = 0;
        while let Some(event) = pending.pop() {
            handled += 1;
            for effect in state.update(event, chrono::Utc::now()) {
                match perform(&handle, effect, &mut formatter, &mut out, &mut deadline) {
                    Step::Continue => {}
                    Step::Then(event) => pending.push(event),
                    Step::Exit(code) => {
                        let _ = out.flush();
                        return code;
                    }
                }
            }
            if pending.is_empty() && handled < BATCH {
                if let Ok(net) = net_rx.try_recv() {
                    pending.push(Event::Net(net));
                }
            }
        }
        if deadline.is_none() && state.is_quitting() {
            deadline = Some(Instant::now() + QUIT_GRACE);
        }
        if out.flush().is_err() {
            // stdout is gone (a closed pipe): nobody is listening, leave cleanly.
            state.update(Event::Quit, chrono::Utc::now());
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

enum Step {
    Continue,
    Then(Event),
    Exit(i32),
}

fn perform(
    handle: &Handle,
    effect: Effect,
    formatter: &mut Formatter,
    out: &mut impl Write,
    deadline: &mut Option<Instant>,
) -> Step {
    match effect {
        Effect::Print(record) => {
            let _ = formatter.write(out, &record);
        }
        Effect::Report(text) => {
            let _ = out.flush();
            eprintln!("komunikator: {text}");
        }
        Effect::Fail(text) => {
            let _ = out.flush();
            eprintln!("komunikator: {text}");
            return Step::Exit(1);
        }
        Effect::Exit => return Step::Exit(0),
        Effect::Disconnect => {
            if handle.disconnect().is_err() {
                return Step::Exit(0);
            }
            let close_by = Instant::now() + CLOSE_WAIT;
            *deadline = Some(deadline.map_or(close_by, |d| d.min(close_by)));
        }
        network => {
            if let Some(event) = handle.perform(network) {
                return Step::Then(event);
            }
        }
    }
    Step::Continue
}
