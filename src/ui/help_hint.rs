//! `F1 help` at the right end of the status bar, until the help has been
//! opened once: the first screen says how to find every key and command.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::app::State;

const HINT: &str = " F1 help ";

/// Over the status bar's right end, so it shows at any width; not while
/// quitting, whose countdown needs the whole bar.
pub(super) fn draw(frame: &mut Frame, status: Rect, state: &State) {
    let width = HINT.len() as u16;
    if state.help_seen || state.is_quitting() || status.width < width {
        return;
    }
    let area = Rect {
        x: status.right() - width,
        width,
        ..status
    };
    let style = Style::default()
        .bg(Color::Blue)
        .fg(Color::Yellow)
        .add_modifier(Modifier::BOLD);
    frame.render_widget(Paragraph::new(HINT).style(style), area);
}
