//! The full-screen front end: one loop over terminal input, the MQTT
//! session and timers; it redraws only when something changed, at most
//! once per frame interval, however fast messages arrive.

use std::io::{stdout, Write};
use std::time::Duration;

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture, Event as TermEvent,
    EventStream, MouseEventKind,
};
use crossterm::execute;
use futures_util::StreamExt;
use ratatui::DefaultTerminal;
use tokio::signal::unix::{signal, SignalKind};
use tokio::time::Instant;

use crate::app::{Effect, Event, State};
use crate::edge::{sleep_until, QuitClock};
use crate::net::{self, Handle};
use crate::settings::Settings;
use crate::ui;

/// Shortest time between two frames: about 60 per second.
const FRAME: Duration = Duration::from_millis(16);
/// Network events applied before the screen gets a chance to redraw.
const BATCH: usize = 512;
/// Lines scrolled per mouse wheel step.
const WHEEL_LINES: i32 = 3;

/// The terminal in full-screen mode; restored when dropped, and by the
/// panic hook if the program panics.
struct Screen {
    terminal: DefaultTerminal,
}

fn leave_screen_modes() {
    let _ = execute!(stdout(), DisableMouseCapture, DisableBracketedPaste);
}

impl Screen {
    fn enter() -> std::io::Result<Screen> {
        let terminal = ratatui::try_init()?;
        // ratatui's hook restores raw mode and the main screen; ours adds the
        // input modes we turned on, then hands over to it.
        let ratatui_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            leave_screen_modes();
            ratatui_hook(info);
        }));
        execute!(stdout(), EnableMouseCapture, EnableBracketedPaste)?;
        Ok(Screen { terminal })
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        leave_screen_modes();
        ratatui::restore();
    }
}

enum Outcome {
    Exit,
    Fail(String),
}

pub async fn run(settings: Settings) -> i32 {
    let (handle, net_rx) = net::spawn(&settings);
    let mut screen = match Screen::enter() {
        Ok(screen) => screen,
        Err(e) => {
            eprintln!("komunikator: cannot open the terminal for the full-screen UI ({e}); try --no-tui");
            return 1;
        }
    };
    let hosting = settings.hosting;
    let outcome = event_loop(&mut screen.terminal, settings, handle, net_rx).await;
    drop(screen);
    if let Some(listen) = hosting {
        eprintln!(
            "komunikator: stopped hosting the broker on {listen}; everyone else connected to it was disconnected"
        );
    }
    match outcome {
        Outcome::Exit => 0,
        Outcome::Fail(message) => {
            eprintln!("komunikator: {message}");
            1
        }
    }
}

fn term_event(event: TermEvent) -> Option<Event> {
    match event {
        TermEvent::Key(key) => Some(Event::Key(key)),
        TermEvent::Paste(text) => Some(Event::Paste(text)),
        TermEvent::Resize(width, height) => Some(Event::Resize { width, height }),
        TermEvent::Mouse(m) => match m.kind {
            MouseEventKind::ScrollUp => Some(Event::Scroll(WHEEL_LINES)),
            MouseEventKind::ScrollDown => Some(Event::Scroll(-WHEEL_LINES)),
            _ => None,
        },
        _ => None,
    }
}

async fn event_loop(
    terminal: &mut DefaultTerminal,
    settings: Settings,
    handle: Handle,
    mut net_rx: tokio::sync::mpsc::Receiver<crate::app::NetEvent>,
) -> Outcome {
    let mut sigterm = signal(SignalKind::terminate()).expect("SIGTERM handler");
    let mut sighup = signal(SignalKind::hangup()).expect("SIGHUP handler");
    let mut sigint = signal(SignalKind::interrupt()).expect("SIGINT handler");
    let mut keys = EventStream::new();
    let mut state = State::new(settings, chrono::Utc::now());
    if let Ok(size) = terminal.size() {
        state.size = (size.width, size.height);
    }
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    let mut ticking = false;
    let mut dirty = true;
    let mut last_draw: Option<Instant> = None;
    let mut quit_clock = QuitClock::default();
    // Reused for every event: no allocation per message.
    let mut queue: Vec<Event> = Vec::new();
    let mut fx: Vec<Effect> = Vec::new();

    loop {
        let due = last_draw.map(|t| t + FRAME);
        if dirty && due.is_none_or(|due| Instant::now() >= due) {
            let _ = terminal.draw(|frame| ui::draw(frame, &state));
            last_draw = Some(Instant::now());
            dirty = false;
        }
        let redraw_at = if dirty { due } else { None };
        let event = tokio::select! {
            Some(Ok(ev)) = keys.next() => match term_event(ev) {
                Some(event) => event,
                None => continue,
            },
            Some(net) = net_rx.recv() => Event::Net(net),
            _ = ticker.tick(), if ticking => Event::Tick,
            _ = sigterm.recv() => Event::Quit,
            _ = sighup.recv() => Event::Quit,
            _ = sigint.recv() => Event::Quit,
            _ = quit_clock.expired() => Event::QuitTimeout,
            _ = sleep_until(redraw_at) => continue,
            else => return Outcome::Exit,
        };
        queue.push(event);
        let mut handled = 0;
        while let Some(event) = queue.pop() {
            handled += 1;
            state.update_into(event, chrono::Utc::now(), &mut fx);
            for effect in fx.drain(..) {
                match effect {
                    Effect::Exit => return Outcome::Exit,
                    Effect::Fail(message) => return Outcome::Fail(message),
                    Effect::Ticking(on) => ticking = on,
                    Effect::Repaint => {
                        let _ = terminal.clear();
                    }
                    Effect::Bell => {
                        let mut out = stdout();
                        let _ = out.write_all(b"\x07").and_then(|()| out.flush());
                    }
                    Effect::Disconnect => {
                        if handle.disconnect().is_err() {
                            return Outcome::Exit;
                        }
                        quit_clock.disconnect_sent();
                    }
                    Effect::Print(_) | Effect::Report(_) => {}
                    network => queue.extend(handle.perform(network)),
                }
            }
            if queue.is_empty() && handled < BATCH {
                queue.extend(net_rx.try_recv().ok().map(Event::Net));
            }
        }
        quit_clock.arm_if_quitting(&state);
        dirty = true;
    }
}
