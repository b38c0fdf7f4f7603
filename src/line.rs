//! Line mode (`--no-tui`): lines from stdin in, one line per event out.

mod format;

use std::io::{BufRead, Write};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc;

use crate::app::{Effect, Event, State};
use crate::edge::QuitClock;
use crate::net::{self, Handle};
use crate::settings::{Mode, Settings};
pub use format::{Clock, Formatter};

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
    let (handle, net_rx, session) = net::start(&settings);
    net::alongside(session, front_end(settings, handle, net_rx)).await
}

async fn front_end(settings: Settings, handle: Handle, mut net_rx: mpsc::Receiver<crate::app::NetEvent>) -> i32 {
    let json = matches!(settings.mode, Mode::Line { json: true });
    if let Some(listen) = settings.hosting {
        eprintln!(
            "komunikator: hosting a broker on {listen}; others join with: komunikator -s <this machine> -p {} NAME",
            listen.port()
        );
    }
    let mut stdin_rx = spawn_stdin_reader();
    let mut stdin_open = true;
    let mut sigint = signal(SignalKind::interrupt()).expect("SIGINT handler");
    let mut sigterm = signal(SignalKind::terminate()).expect("SIGTERM handler");
    let mut sighup = signal(SignalKind::hangup()).expect("SIGHUP handler");
    let mut state = State::new(settings, chrono::Utc::now());
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    let mut formatter = Formatter::new(json);
    let mut quit_clock = QuitClock::default();
    // Reused for every event: no allocation per message.
    let mut pending: Vec<Event> = Vec::new();
    let mut fx: Vec<Effect> = Vec::new();

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
            _ = quit_clock.expired() => Event::QuitTimeout,
        };
        pending.push(event);
        let mut handled = 0;
        // One clock reading per batch: a batch takes well under a millisecond.
        let now = chrono::Utc::now();
        while let Some(event) = pending.pop() {
            handled += 1;
            state.update_into(event, now, &mut fx);
            for effect in fx.drain(..) {
                match perform(&handle, effect, &mut formatter, &mut out, &mut quit_clock) {
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
        quit_clock.arm_if_quitting(&state);
        if out.flush().is_err() {
            // stdout is gone (a closed pipe): nobody is listening, leave cleanly.
            state.update(Event::Quit, chrono::Utc::now());
        }
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
    quit_clock: &mut QuitClock,
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
            quit_clock.disconnect_sent();
        }
        network => {
            if let Some(event) = handle.perform(network) {
                return Step::Then(event);
            }
        }
    }
    Step::Continue
}
