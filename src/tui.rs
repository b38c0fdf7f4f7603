//! The full-screen front end: one loop over terminal input, the MQTT
//! session and timers; it redraws only when something changed, at most
//! once per frame interval, however fast messages arrive.
//!
//! Frames are written to the terminal on a thread of their own (see
//! [`Output`]), and a new frame is drawn only once the last one was written:
//! a terminal that stops reading (a stalled ssh session, a frozen tmux)
//! holds up the screen, never the keys or the network.

use std::io::{stdout, Write};
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture, Event as TermEvent,
    MouseEventKind,
};
use crossterm::execute;
use crossterm::terminal::{disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::app::key::{Key, KeyCode, Mods};
use crate::app::{Effect, Event, NetEvent, State, EXIT_FAILED};
use crate::deadline::{instant_of, sleep_until};
use crate::history_store::Taken;
use crate::net::{self, Handle};
use crate::output::Output;
use crate::settings::Settings;
use crate::ui;
use keyboard::Input;

mod keyboard;
mod restore;

/// Shortest time between two frames: about 60 per second.
const FRAME: Duration = Duration::from_millis(16);
/// Network events applied before the screen gets a chance to redraw.
const BATCH: usize = 512;
/// Lines scrolled per mouse wheel step.
const WHEEL_LINES: i32 = 3;
/// A frame still not written after this long: the terminal is not reading.
const STALL: Duration = Duration::from_millis(250);

/// What ratatui writes to: bytes gathered per frame, handed to the writer
/// thread on flush.
struct ScreenWriter {
    frame: Vec<u8>,
    output: Arc<Output>,
}

impl Write for ScreenWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.frame.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.output.push(&self.frame);
        self.frame.clear();
        Ok(())
    }
}

type Term = Terminal<CrosstermBackend<ScreenWriter>>;

/// The terminal in full-screen mode; restored when dropped, and by the
/// panic hook if the program panics.
struct Screen {
    terminal: Term,
    output: Arc<Output>,
    /// Woken by the writer thread each time it has written a frame.
    written: Arc<Notify>,
}

/// Leaves every mode we turned on, writing straight to the terminal.
fn restore_directly() {
    let _ = disable_raw_mode();
    let _ = execute!(
        stdout(),
        DisableMouseCapture,
        DisableBracketedPaste,
        LeaveAlternateScreen
    );
    let _ = execute!(stdout(), crossterm::cursor::Show);
}

impl Screen {
    fn enter() -> std::io::Result<Screen> {
        let written = Arc::new(Notify::new());
        let wake = written.clone();
        let output = Arc::new(Output::spawn("terminal", stdout(), None, None, move || {
            wake.notify_one()
        }));
        let previous_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore_directly();
            previous_hook(info);
        }));
        enable_raw_mode()?;
        let mut writer = ScreenWriter {
            frame: Vec::new(),
            output: output.clone(),
        };
        execute!(writer, EnterAlternateScreen, EnableMouseCapture, EnableBracketedPaste)?;
        let terminal = Terminal::new(CrosstermBackend::new(writer))?;
        Ok(Screen {
            terminal,
            output,
            written,
        })
    }

    /// True while the last frame is still being written.
    fn busy(&self) -> bool {
        self.output.busy()
    }

    fn bell(&mut self) {
        let backend = self.terminal.backend_mut();
        let _ = backend.write_all(b"\x07").and_then(|()| backend.flush());
    }

    /// A desktop notification, escaped in the core (`app::notify`).
    fn notify(&mut self, sequence: &str) {
        let backend = self.terminal.backend_mut();
        let _ = backend.write_all(sequence.as_bytes()).and_then(|()| backend.flush());
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        let _ = self.terminal.show_cursor();
        let backend = self.terminal.backend_mut();
        let _ = execute!(
            backend,
            DisableMouseCapture,
            DisableBracketedPaste,
            LeaveAlternateScreen
        );
        // Everything queued reaches the terminal before it leaves raw mode.
        self.output.finish();
        restore::leave_raw_mode(self.output.broken());
    }
}

/// How the loop ended: the exit status, and what to say once the screen is restored.
struct Ending {
    code: i32,
    farewell: Vec<String>,
}

/// The theme and the colours the terminal asks for in its environment
/// (`COLORFGBG`, `NO_COLOR`, `TERM`, `COLORTERM`); the choice is pure (`crate::theme`).
fn resolve_look(settings: &mut Settings) {
    let var = |name: &str| std::env::var(name).ok();
    settings.theme = settings.theme.resolve(var("COLORFGBG").as_deref());
    settings.color_depth = crate::theme::ColorDepth::resolve(
        var("NO_COLOR").as_deref(),
        var("TERM").as_deref(),
        var("COLORTERM").as_deref(),
    );
}

pub async fn run(mut settings: Settings) -> i32 {
    resolve_look(&mut settings);
    let mut prepared = crate::history_store::prepare(&settings);
    let (handle, net_rx) = net::spawn(&settings, &prepared.identity);
    let mut screen = match Screen::enter() {
        Ok(screen) => screen,
        Err(e) => {
            eprintln!("komunikator: cannot open the terminal for the full-screen UI ({e}); try --no-tui");
            return EXIT_FAILED;
        }
    };
    let hosting = settings.hosting;
    let ending = event_loop(&mut screen, settings, handle, net_rx, &mut prepared).await;
    drop(screen);
    // Said after the screen is restored (after the last notice in line mode).
    if let Some(unsaid) = prepared.history.take().and_then(|h| h.close()) {
        eprintln!("komunikator: {unsaid}");
    }
    if let Some(listen) = hosting {
        eprintln!(
            "komunikator: stopped hosting the broker on {listen}; everyone else connected to it was disconnected"
        );
    }
    for line in &ending.farewell {
        eprintln!("komunikator: {line}");
    }
    ending.code
}

fn term_event(event: TermEvent) -> Option<Event> {
    match event {
        TermEvent::Key(key) => app_key(key).map(Event::Key),
        TermEvent::Paste(text) => Some(Event::Paste(text)),
        TermEvent::Resize(width, height) => Some(Event::Resize { width, height }),
        TermEvent::Mouse(m) => match m.kind {
            MouseEventKind::ScrollUp => Some(Event::Scroll(WHEEL_LINES)),
            MouseEventKind::ScrollDown => Some(Event::Scroll(-WHEEL_LINES)),
            MouseEventKind::Down(crossterm::event::MouseButton::Left) => Some(Event::Click {
                column: m.column,
                row: m.row,
            }),
            _ => None,
        },
        _ => None,
    }
}

/// The app's own key for a terminal key event; releases are dropped.
fn app_key(key: crossterm::event::KeyEvent) -> Option<Key> {
    use crossterm::event::{KeyCode as Term, KeyEventKind, KeyModifiers};
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let code = match key.code {
        Term::Char(c) => KeyCode::Char(c),
        Term::Enter => KeyCode::Enter,
        Term::Tab => KeyCode::Tab,
        Term::Backspace => KeyCode::Backspace,
        Term::Delete => KeyCode::Delete,
        Term::Left => KeyCode::Left,
        Term::Right => KeyCode::Right,
        Term::Up => KeyCode::Up,
        Term::Down => KeyCode::Down,
        Term::Home => KeyCode::Home,
        Term::End => KeyCode::End,
        Term::PageUp => KeyCode::PageUp,
        Term::PageDown => KeyCode::PageDown,
        Term::Esc => KeyCode::Esc,
        Term::F(n) => KeyCode::F(n),
        _ => KeyCode::Other,
    };
    let mods = Mods {
        ctrl: key.modifiers.contains(KeyModifiers::CONTROL),
        alt: key.modifiers.contains(KeyModifiers::ALT),
    };
    Some(Key::new(code, mods))
}

/// Whether the terminal keeps up with the frames we give it.
#[derive(Default)]
struct StallWatch {
    /// Since when a frame has been waiting to be written.
    busy_since: Option<Instant>,
    stalled: bool,
}

impl StallWatch {
    /// Notes whether a frame is being written; returns the event to report
    /// when the terminal stopped or started reading again.
    fn observe(&mut self, busy: bool, now: Instant) -> Option<Event> {
        if !busy {
            self.busy_since = None;
            let resumed = std::mem::take(&mut self.stalled);
            if resumed {
                tracing::info!("the terminal reads again");
            }
            return resumed.then_some(Event::OutputStalled(false));
        }
        let since = *self.busy_since.get_or_insert(now);
        if !self.stalled && now >= since + STALL {
            tracing::info!("the terminal stopped reading: a frame waits since {STALL:?}");
            self.stalled = true;
            return Some(Event::OutputStalled(true));
        }
        None
    }

    /// When to look again, if the stall is not declared yet.
    fn check_at(&self) -> Option<Instant> {
        match (self.busy_since, self.stalled) {
            (Some(since), false) => Some(since + STALL),
            (None, _) | (Some(_), true) => None,
        }
    }
}

/// The full-screen loop. Long because drawing, waiting and applying events
/// share the loop's locals (the event queue, the dirty flag, the frame
/// timing); the effects are carried out in [`carry_out_in_tui`].
async fn event_loop(
    screen: &mut Screen,
    settings: Settings,
    handle: Handle,
    mut net_rx: tokio::sync::mpsc::Receiver<NetEvent>,
    prepared: &mut crate::history_store::Prepared,
) -> Ending {
    let mut sigterm = signal(SignalKind::terminate()).expect("SIGTERM handler");
    let mut sighup = signal(SignalKind::hangup()).expect("SIGHUP handler");
    let mut sigint = signal(SignalKind::interrupt()).expect("SIGINT handler");
    let mut keys = keyboard::spawn();
    let mut state = State::new(settings, chrono::Utc::now(), fastrand::u64(..));
    state.zone = chrono::Offset::fix(chrono::Local::now().offset());
    prepared.arm(&mut state);
    if let Ok(size) = screen.terminal.size() {
        state.size = (size.width, size.height);
    }
    let written = screen.written.clone();
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    let mut ticking = false;
    let mut dirty = true;
    let mut last_draw: Option<Instant> = None;
    let mut stall = StallWatch::default();
    let mut farewell = Vec::new();
    // Reused for every event: no allocation per message.
    let mut queue: Vec<Event> = Vec::new();
    let mut fx: Vec<Effect> = Vec::new();
    let history = &mut prepared.history;
    let known_keys = prepared.known_keys.clone();
    // A stack: the rooms' history is read first, then the notices are said.
    queue.extend(prepared.notices.drain(..).rev().map(Event::Notice));
    queue.push(Event::Started);

    loop {
        let now = Instant::now();
        let busy = screen.busy();
        queue.extend(stall.observe(busy, now));
        let due = last_draw.map(|t| t + FRAME);
        if queue.is_empty() && dirty && !busy && due.is_none_or(|due| now >= due) {
            // Asked here, at the edge: drawing itself never reads the time zone.
            let utc_offset = chrono::Offset::fix(chrono::Local::now().offset());
            let _ = screen.terminal.draw(|frame| ui::draw(frame, &state, utc_offset));
            last_draw = Some(Instant::now());
            dirty = false;
            state.update_into(Event::Drawn, chrono::Utc::now(), &mut fx);
        }
        if queue.is_empty() {
            // While a frame is being written the writer wakes us when done.
            let redraw_at = if dirty && !busy { due } else { None };
            let quit_at = instant_of(state.quit_deadline());
            let wake_at = instant_of(state.wake_at());
            let event = tokio::select! {
                Some(input) = keys.recv() => match input {
                    Input::Event(ev) => match term_event(ev) {
                        Some(event) => event,
                        None => continue,
                    },
                    // Nobody is there to read or type any more: as SIGHUP.
                    Input::Gone => Event::Quit,
                },
                Some(net) = net_rx.recv() => Event::Net(net),
                _ = ticker.tick(), if ticking => Event::Tick,
                _ = sigterm.recv() => Event::Quit,
                _ = sighup.recv() => Event::Quit,
                _ = sigint.recv() => Event::Interrupt,
                _ = sleep_until(quit_at) => Event::QuitTimeout,
                _ = sleep_until(wake_at) => Event::Wake,
                _ = written.notified(), if busy => continue,
                _ = sleep_until(stall.check_at()) => continue,
                _ = sleep_until(redraw_at) => continue,
                else => return Ending { code: 0, farewell },
            };
            queue.push(event);
        }
        let mut handled = 0;
        while let Some(event) = queue.pop() {
            handled += 1;
            state.update_into(event, chrono::Utc::now(), &mut fx);
            for effect in fx.drain(..) {
                if let Effect::SaveKnownKeys(text) = &effect {
                    queue.extend(crate::keys::save_effect(known_keys.as_deref(), text));
                    continue;
                }
                let effect = match history.as_mut() {
                    Some(history) => match history.take(effect) {
                        Taken::Done => continue,
                        Taken::Answer(answer) => {
                            queue.push(answer);
                            continue;
                        }
                        Taken::NotMine(effect) => effect,
                    },
                    None => effect,
                };
                if let Some(ending) = carry_out_in_tui(effect, screen, &handle, &mut queue, &mut ticking, &mut farewell)
                {
                    return ending;
                }
            }
            if queue.is_empty() && handled < BATCH {
                queue.extend(net_rx.try_recv().ok().map(Event::Net));
            }
        }
        if let Some(trouble) = history.as_mut().and_then(|h| h.trouble()) {
            queue.push(Event::Notice(trouble));
        }
        dirty = true;
    }
}

/// Carries out one effect of the state: on the screen, the session or the
/// process. `Some` ends the loop with that status and farewell.
fn carry_out_in_tui(
    effect: Effect,
    screen: &mut Screen,
    handle: &Handle,
    queue: &mut Vec<Event>,
    ticking: &mut bool,
    farewell: &mut Vec<String>,
) -> Option<Ending> {
    match effect {
        Effect::Publish(p) => queue.extend(handle.publish_or_report(p)),
        Effect::Subscribe(topics) => handle.subscribe(topics),
        Effect::Unsubscribe(topic) => handle.unsubscribe(topic),
        Effect::Disconnect => queue.extend(handle.disconnect()),
        Effect::Hurry => handle.hurry(),
        Effect::Ticking(on) => *ticking = on,
        Effect::Repaint => {
            let _ = screen.terminal.clear();
        }
        Effect::Bell => screen.bell(),
        Effect::Notify(sequence) => screen.notify(&sequence),
        // Line mode's output: the screen shows the state instead.
        Effect::Print(_) | Effect::Report(_) => {}
        // The history's, when it is kept (else nothing to do).
        Effect::Store(_)
        | Effect::LoadHistory { .. }
        | Effect::Search { .. }
        | Effect::LoadContext { .. }
        | Effect::Forget(_) => {}
        // Written by the loop itself, which knows where.
        Effect::SaveKnownKeys(_) => {}
        Effect::Farewell(line) => farewell.push(line),
        Effect::Exit(code) => {
            return Some(Ending {
                code,
                farewell: std::mem::take(farewell),
            })
        }
        Effect::Fail(message) => {
            farewell.insert(0, message);
            return Some(Ending {
                code: EXIT_FAILED,
                farewell: std::mem::take(farewell),
            });
        }
    }
    None
}
