//! Drawing the state: `draw(frame, &state)` and nothing else. No I/O, no
//! mutation: the same state always draws the same screen.

mod bars;
mod help;
mod messages;
mod panel;
mod search;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_delivery;
#[cfg(test)]
mod tests_trust;
mod title_fit;
mod wrap;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Color;
use ratatui::Frame;

use crate::app::State;

use crate::app::layout::PANEL_WIDTH;

/// Draws `state` with times shown at `utc_offset`: the terminal edge works
/// out the local one, so that drawing never asks the machine (and the same
/// state and offset always draw the same screen).
pub fn draw(frame: &mut Frame, state: &State, utc_offset: FixedOffset) {
    let [title, body, status, input] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    bars::title(frame, title, state);
    let (chat, side) = split_panel(body, state);
    messages::draw(frame, chat, state, utc_offset);
    if let Some(side) = side {
        panel::draw(frame, side, state, utc_offset);
    }
    bars::status(frame, status, state);
    bars::input(frame, input, state);
    if state.show_help {
        help::draw(frame, frame.area());
    }
}

fn split_panel(body: Rect, state: &State) -> (Rect, Option<Rect>) {
    if !state.panel_visible(body.width) || body.width <= PANEL_WIDTH + 10 {
        return (body, None);
    }
    let [chat, side] = Layout::horizontal([Constraint::Min(10), Constraint::Length(PANEL_WIDTH)]).areas(body);
    (chat, Some(side))
}

fn local_hm(utc_offset: FixedOffset, at: DateTime<Utc>) -> String {
    at.with_timezone(&utc_offset).format("%H:%M").to_string()
}

fn local_date(utc_offset: FixedOffset, at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&utc_offset).date_naive()
}

/// The drawing library's colour for a configured one.
pub fn color(configured: crate::settings::Color) -> Color {
    use crate::settings::Color as C;
    match configured {
        C::Black => Color::Black,
        C::Red => Color::Red,
        C::Green => Color::Green,
        C::Yellow => Color::Yellow,
        C::Blue => Color::Blue,
        C::Magenta => Color::Magenta,
        C::Cyan => Color::Cyan,
        C::Gray => Color::Gray,
        C::DarkGray => Color::DarkGray,
        C::LightRed => Color::LightRed,
        C::LightGreen => Color::LightGreen,
        C::LightYellow => Color::LightYellow,
        C::LightBlue => Color::LightBlue,
        C::LightMagenta => Color::LightMagenta,
        C::LightCyan => Color::LightCyan,
        C::White => Color::White,
        C::Indexed(i) => Color::Indexed(i),
        C::Rgb(r, g, b) => Color::Rgb(r, g, b),
    }
}

/// A stable colour per name, the same in every run and on every client.
pub fn name_color(name: &str) -> Color {
    const PALETTE: [Color; 10] = [
        Color::Red,
        Color::Green,
        Color::Yellow,
        Color::Blue,
        Color::Magenta,
        Color::Cyan,
        Color::LightRed,
        Color::LightGreen,
        Color::LightBlue,
        Color::LightMagenta,
    ];
    // FNV-1a: tiny, and stable across Rust versions unlike std's hasher.
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    PALETTE[(hash % PALETTE.len() as u64) as usize]
}
