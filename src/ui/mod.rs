//! Drawing the state: `draw(frame, &state)` and nothing else. No I/O, no
//! mutation: the same state always draws the same screen.

mod bars;
mod help;
mod help_hint;
mod messages;
mod panel;
mod search;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_calls;
#[cfg(test)]
mod tests_delivery;
#[cfg(test)]
mod tests_emoji;
#[cfg(test)]
mod tests_help;
#[cfg(test)]
mod tests_look;
#[cfg(test)]
mod tests_trust;
mod theme;
mod title_fit;
mod topic;
pub mod width;
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
    let [title, room_topic, body, status, input] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(topic::rows(state)),
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    bars::title(frame, title, state);
    topic::draw(frame, room_topic, state);
    let (chat, side) = split_panel(body, state);
    messages::draw(frame, chat, state, utc_offset);
    if let Some(side) = side {
        panel::draw(frame, side, state, utc_offset);
    }
    bars::status(frame, status, state);
    help_hint::draw(frame, status, state);
    bars::input(frame, input, state);
    if state.show_help {
        help::draw(frame, frame.area(), state);
    }
    if state.settings.color_depth == crate::theme::ColorDepth::Monochrome {
        theme::strip_colors(frame.buffer_mut());
    }
}

fn split_panel(body: Rect, state: &State) -> (Rect, Option<Rect>) {
    if !state.panel_drawn(body.width) {
        return (body, None);
    }
    let [chat, side] = Layout::horizontal([Constraint::Min(10), Constraint::Length(PANEL_WIDTH)]).areas(body);
    (chat, Some(side))
}

fn local_hm(utc_offset: FixedOffset, at: DateTime<Utc>) -> String {
    at.with_timezone(&utc_offset).format("%H:%M").to_string()
}

/// `at` in the configured time format (`--time-format`, checked at start).
fn local_time(settings: &crate::settings::Settings, utc_offset: FixedOffset, at: DateTime<Utc>) -> String {
    use std::fmt::Write;
    let format = match settings.time_format.as_str() {
        "" => "%H:%M",
        format => format,
    };
    let mut shown = String::new();
    // An unchecked format (a test's settings) shows the default rather than panicking.
    if write!(shown, "{}", at.with_timezone(&utc_offset).format(format)).is_err() {
        return local_hm(utc_offset, at);
    }
    shown
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

/// A stable colour per name, the same in every run and on every client
/// (the dark theme's; the UI asks its theme).
pub fn name_color(name: &str) -> Color {
    theme::Look::DARK.nick(name)
}
