//! The help overlay (F1, /help): every key and command.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

use crate::app::command::COMMANDS;

pub const KEYS: &[(&str, &str)] = &[
    ("Enter / Alt-Enter", "send the line / new line in the message"),
    ("Tab", "complete a command, #room or name"),
    ("Up / Down", "history of sent lines"),
    ("Alt-1..9, Alt-0", "go to room 1..10"),
    ("Ctrl-N/P, Alt-←/→", "next / previous room"),
    ("PgUp/PgDn, wheel", "scroll back / forward; End: live end"),
    ("←/→ Home/End ^A ^E", "move in the line"),
    ("Ctrl-←/→, Alt-B/F", "move a word left / right"),
    ("^W ^U ^K, Alt-Bksp", "delete word / to start / to end / word"),
    ("F1 / F2 / Ctrl-L", "this help / side panel / redraw"),
    ("Ctrl-C, Ctrl-D", "quit (on an empty line; Ctrl-C clears it)"),
];

fn entry(left: String, about: &'static str) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{left:<20}"), Style::default().fg(Color::Cyan)),
        Span::raw(about),
    ])
}

pub fn draw(frame: &mut Frame, area: Rect) {
    let bold = Style::default().add_modifier(Modifier::BOLD);
    let mut keys = vec![Line::styled("Keys", bold)];
    keys.extend(KEYS.iter().map(|(k, about)| entry(k.to_string(), about)));
    let mut commands = vec![Line::styled("Commands", bold)];
    commands.extend(COMMANDS.iter().map(|c| entry(c.usage.to_string(), c.about)));
    // Side by side when there is room, else one list.
    let two_columns = area.width >= 110;
    let (width, rows) = if two_columns {
        (area.width.min(124), keys.len().max(commands.len()))
    } else {
        (area.width.min(64), keys.len() + commands.len() + 1)
    };
    let height = (rows as u16 + 2).min(area.height);
    let popup = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" komunikator help · any key closes ")
        .border_style(Style::default().fg(Color::Cyan));
    frame.render_widget(Clear, popup);
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    if two_columns {
        let [left, right] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(inner);
        frame.render_widget(Paragraph::new(keys), left);
        frame.render_widget(Paragraph::new(commands).wrap(Wrap { trim: false }), right);
    } else {
        keys.push(Line::raw(""));
        keys.extend(commands);
        frame.render_widget(Paragraph::new(keys), inner);
    }
}
