//! Line mode (`--no-tui`): lines from stdin in, one line per event out.
//!
//! Reading stdin applies back-pressure: while the outbox is full no line is
//! read, so a pipe of any length is sent whole, at the broker's pace. stdout
//! and stderr are written on threads of their own ([`Output`]): a reader that
//! stops reading never stops the session.

mod delivery;
mod format;
mod input;
mod presence;
mod topic;

use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc;

use crate::app::{Effect, Event, NetEvent, State, EXIT_OK, EXIT_UNSENT};
use crate::deadline::{instant_of, sleep_until};
use crate::history_store::Taken;
use crate::net::{self, Handle};
use crate::output::pipe::Pipe;
use crate::output::{GapMarker, Output};
use crate::settings::{Mode, Settings};
pub use format::{gap_line, Clock, Formatter, GAP_REASON};
use input::Input;

/// Events handled before output is handed to the writer, so a flood is
/// written in large blocks.
const BATCH: usize = 1024;
/// Output held for a reader that does not keep up, per stream; past it the
/// oldest lines are dropped and a marker says how many.
pub const OUTPUT_BOUND: usize = 4 * 1024 * 1024;
/// Lines read ahead of the client at most (they wait in memory, not in the outbox).
const READ_AHEAD: usize = 64;

/// Runs line mode to the end; returns the process exit status.
pub async fn run(settings: Settings) -> i32 {
    let mut prepared = crate::history_store::prepare(&settings);
    let (handle, net_rx, session) = net::start(&settings, &prepared.identity);
    let code = net::alongside(session, front_end(settings, handle, net_rx, &mut prepared)).await;
    // Said after the screen is restored (after the last notice in line mode).
    if let Some(unsaid) = prepared.history.take().and_then(|h| h.close()) {
        eprintln!("komunikator: {unsaid}");
    }
    code
}

/// stdout: written by the event loop itself when it is a pipe (non-blocking:
/// the hot path of scripts), else by a thread of its own (a terminal, which
/// cannot be made non-blocking without touching the shell's own terminal, a
/// file, or a socket).
enum Stdout {
    Pipe(Pipe),
    Thread(Output),
}

impl Stdout {
    fn start(json: bool) -> Stdout {
        let gap = move || -> GapMarker { Box::new(move |n| gap_line(json, n, chrono::Utc::now())) };
        let fd = std::io::stdout();
        if let Ok(pipe) = Pipe::stdout(OUTPUT_BOUND, gap()) {
            return Stdout::Pipe(pipe);
        }
        Stdout::Thread(Output::spawn("stdout", fd, Some(OUTPUT_BOUND), Some(gap()), || {}))
    }

    fn push(&mut self, bytes: &[u8]) {
        match self {
            Stdout::Pipe(pipe) => pipe.push(bytes),
            Stdout::Thread(output) => output.push(bytes),
        }
    }

    fn broken(&self) -> bool {
        match self {
            Stdout::Pipe(pipe) => pipe.broken(),
            Stdout::Thread(output) => output.broken(),
        }
    }

    /// True while the event loop has output to write when the reader is ready.
    fn pending(&self) -> bool {
        matches!(self, Stdout::Pipe(pipe) if pipe.pending())
    }

    async fn flush_some(&mut self) {
        if let Stdout::Pipe(pipe) = self {
            pipe.flush_some().await;
        }
    }

    /// Writes everything still queued, however long the reader takes.
    async fn finish(&mut self) {
        match self {
            Stdout::Pipe(pipe) => pipe.finish().await,
            Stdout::Thread(output) => output.finish(),
        }
    }
}

/// stderr (notices) on a thread of its own.
struct Notices(Output);

impl Notices {
    fn start() -> Notices {
        let gap: GapMarker = Box::new(|n| format!("komunikator: {n} notices not shown: {GAP_REASON}\n").into_bytes());
        Notices(Output::spawn(
            "stderr",
            std::io::stderr(),
            Some(OUTPUT_BOUND),
            Some(gap),
            || {},
        ))
    }

    fn report(&self, text: &str) {
        self.0.push(format!("komunikator: {text}\n").as_bytes());
    }
}

/// Line mode's loop. Long because the loop's locals (buffers reused for
/// every batch, the pending events, the output streams) are shared by its
/// parts; split up, they would be passed around as a dozen arguments.
async fn front_end(
    settings: Settings,
    handle: Handle,
    mut net_rx: mpsc::Receiver<NetEvent>,
    prepared: &mut crate::history_store::Prepared,
) -> i32 {
    let json = matches!(settings.mode, Mode::Line { json: true });
    let mut stdout = Stdout::start(json);
    let notices = Notices::start();
    if let Some(text) = crate::app::hosting::announcement(&settings) {
        notices.report(&text);
    }
    let input = Input::spawn(std::io::BufReader::with_capacity(64 * 1024, std::io::stdin()));
    let mut stdin_open = true;
    let mut signals = Signals::new();
    let mut state = State::new(settings, chrono::Utc::now(), fastrand::u64(..));
    state.zone = chrono::Offset::fix(chrono::Local::now().offset());
    prepared.arm(&mut state);
    let mut formatter = Formatter::new(json);
    // Reused for every batch: no allocation per message.
    let mut out: Vec<u8> = Vec::with_capacity(64 * 1024);
    let mut pending: Vec<Event> = Vec::new();
    let mut fx: Vec<Effect> = Vec::new();
    let mut reader_gone = false;
    let history = &mut prepared.history;
    let known_keys = prepared.known_keys.clone();
    pending.extend(prepared.notices.drain(..).rev().map(Event::Notice));

    let code = 'run: loop {
        if pending.is_empty() {
            input.want(state.lines_wanted().min(READ_AHEAD));
            let waits = Waits {
                net_rx: &mut net_rx,
                input: &input,
                stdin_open: &mut stdin_open,
                signals: &mut signals,
                stdout: &mut stdout,
            };
            match next_event(waits, &state).await {
                Some(quit @ (Event::Quit | Event::Interrupt)) if !state.is_quitting() => {
                    // Lines already read were typed before the signal: they go first.
                    pending.push(quit);
                    pending.extend(input.take_queued().into_iter().rev().map(Event::Line));
                }
                Some(event) => pending.push(event),
                // Only output was written: nothing for the state.
                None => continue,
            }
        }
        let mut handled = 0;
        // One clock reading per batch: a batch takes well under a millisecond.
        let now = chrono::Utc::now();
        while let Some(event) = pending.pop() {
            handled += 1;
            state.update_into(event, now, &mut fx);
            for effect in fx.drain(..) {
                if let Effect::SaveKnownKeys(text) = &effect {
                    pending.extend(crate::keys::save_effect(known_keys.as_deref(), text));
                    continue;
                }
                let effect = match history.as_mut() {
                    Some(history) => match history.take(effect) {
                        Taken::Done => continue,
                        Taken::Answer(answer) => {
                            pending.push(answer);
                            continue;
                        }
                        Taken::NotMine(effect) => effect,
                    },
                    None => effect,
                };
                match carry_out_in_line_mode(&handle, effect, &mut formatter, &mut out, &notices) {
                    Step::Continue => {}
                    Step::Then(event) => pending.push(event),
                    Step::Exit(code) => break 'run code,
                }
            }
            if pending.is_empty() && handled < BATCH {
                if let Ok(net) = net_rx.try_recv() {
                    pending.push(Event::Net(net));
                }
            }
        }
        if let Some(trouble) = history.as_mut().and_then(|h| h.trouble()) {
            pending.push(Event::Notice(trouble));
        }
        stdout.push(&out);
        out.clear();
        if !reader_gone && stdout.broken() {
            // stdout is gone (a closed pipe): nobody is listening, leave cleanly.
            reader_gone = true;
            pending.push(Event::Quit);
        }
    };
    stdout.push(&out);
    let code = report_unread(input.stop(), code, &notices);
    stdout.finish().await;
    notices.0.finish();
    code
}

/// Lines read but never taken (the client was leaving): named, never
/// dropped silently, and a clean exit becomes [`EXIT_UNSENT`].
fn report_unread(unread: Vec<String>, code: i32, notices: &Notices) -> i32 {
    if unread.is_empty() {
        return code;
    }
    notices.report(&format!("{} line(s) read from input but not sent:", unread.len()));
    for line in &unread {
        notices.report(&format!("not sent: {}", crate::protocol::sanitize::name(line)));
    }
    if code == EXIT_OK {
        EXIT_UNSENT
    } else {
        code
    }
}

/// The signals that end line mode.
struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
    hangup: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> Signals {
        Signals {
            interrupt: signal(SignalKind::interrupt()).expect("SIGINT handler"),
            terminate: signal(SignalKind::terminate()).expect("SIGTERM handler"),
            hangup: signal(SignalKind::hangup()).expect("SIGHUP handler"),
        }
    }
}

/// What the loop waits on besides the state's own deadline.
struct Waits<'a> {
    net_rx: &'a mut mpsc::Receiver<NetEvent>,
    input: &'a Input,
    stdin_open: &'a mut bool,
    signals: &'a mut Signals,
    stdout: &'a mut Stdout,
}

/// Waits for the next thing to happen; `None` when only output was written.
/// stdin is read only while the state takes input: that is the
/// back-pressure on a pipe.
async fn next_event(w: Waits<'_>, state: &State) -> Option<Event> {
    let quit_at = instant_of(state.quit_deadline());
    let wake_at = instant_of(state.wake_at());
    let reading = *w.stdin_open && state.takes_input();
    let writing = w.stdout.pending();
    let event = tokio::select! {
        Some(net) = w.net_rx.recv() => Event::Net(net),
        line = w.input.next(), if reading => match line {
            Some(line) => Event::Line(line),
            None => {
                *w.stdin_open = false;
                Event::Quit
            }
        },
        _ = w.signals.interrupt.recv() => Event::Interrupt,
        _ = w.signals.terminate.recv() => Event::Quit,
        _ = w.signals.hangup.recv() => Event::Quit,
        _ = sleep_until(quit_at) => Event::QuitTimeout,
        _ = sleep_until(wake_at) => Event::Wake,
        _ = w.stdout.flush_some(), if writing => return None,
    };
    Some(event)
}

/// What the loop does after an effect.
enum Step {
    Continue,
    Then(Event),
    Exit(i32),
}

/// Carries out one effect of the state: on stdout and stderr, the session
/// or the process.
fn carry_out_in_line_mode(
    handle: &Handle,
    effect: Effect,
    formatter: &mut Formatter,
    out: &mut Vec<u8>,
    notices: &Notices,
) -> Step {
    let then = match effect {
        Effect::Publish(p) => handle.publish_or_report(p),
        Effect::Subscribe(topics) => {
            handle.subscribe(topics);
            None
        }
        Effect::Unsubscribe(topic) => {
            handle.unsubscribe(topic);
            None
        }
        Effect::Disconnect => handle.disconnect(),
        Effect::Hurry => {
            handle.hurry();
            None
        }
        Effect::Print(record) => {
            let _ = formatter.write(out, &record);
            None
        }
        Effect::Report(text) | Effect::Farewell(text) => {
            notices.report(&text);
            None
        }
        Effect::Fail(text) => {
            notices.report(&text);
            return Step::Exit(crate::app::EXIT_FAILED);
        }
        Effect::Exit(code) => return Step::Exit(code),
        // Screen effects: line mode has no screen.
        Effect::Bell | Effect::Notify(_) | Effect::Ticking(_) | Effect::Repaint => None,
        // The history's, when it is kept (else nothing to do).
        Effect::Store(_)
        | Effect::LoadHistory { .. }
        | Effect::Search { .. }
        | Effect::LoadContext { .. }
        | Effect::Forget(_)
        | Effect::SaveKnownKeys(_) => None,
    };
    then.map_or(Step::Continue, Step::Then)
}
