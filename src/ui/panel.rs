//! The side panel: rooms (active, unread, mentions) and people by presence.

use chrono::FixedOffset;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::{local_date, local_hm, name_color};
use crate::app::{is_direct, State};
use crate::protocol::sanitize;
use crate::protocol::Status;

pub(super) fn draw(frame: &mut Frame, area: Rect, state: &State, zone: FixedOffset) {
    let block = Block::default()
        .borders(Borders::LEFT)
        .border_style(Style::default().fg(Color::DarkGray));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let rooms_height = (state.rooms.len() as u16 + 1).min(inner.height / 2).max(2);
    let [rooms_area, people_area] =
        Layout::vertical([Constraint::Length(rooms_height + 1), Constraint::Min(0)]).areas(inner);
    frame.render_widget(Paragraph::new(room_lines(state)), rooms_area);
    frame.render_widget(
        Paragraph::new(people_lines(state, zone, usize::from(people_area.height))),
        people_area,
    );
}

fn heading(text: String) -> Line<'static> {
    Line::styled(text, Style::default().add_modifier(Modifier::BOLD))
}

fn room_lines(state: &State) -> Vec<Line<'_>> {
    let mut lines = vec![heading("Rooms".into())];
    for (i, room) in state.rooms.iter().enumerate() {
        let label = if is_direct(&room.name) {
            sanitize::name(&room.name)
        } else {
            format!("#{}", room.name).into()
        };
        let number = if i < 9 { format!("{} ", i + 1) } else { "  ".into() };
        let mut spans = vec![
            Span::styled(number, Style::default().fg(Color::DarkGray)),
            Span::raw(label),
        ];
        if room.mentioned {
            spans.push(Span::styled(
                " @",
                Style::default().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            ));
        }
        if room.unread > 0 {
            spans.push(Span::styled(
                format!(" {}", room.unread),
                Style::default().fg(Color::Cyan),
            ));
        }
        let mut line = Line::from(spans);
        if i == state.active {
            line = line.style(Style::default().add_modifier(Modifier::REVERSED));
        }
        lines.push(line);
    }
    lines
}

fn people_lines(state: &State, zone: FixedOffset, height: usize) -> Vec<Line<'_>> {
    let total = state.people.len();
    let mut lines = vec![heading(format!("People {}/{total}", state.people.online()))];
    let today = local_date(zone, state.now);
    let room_for = height.saturating_sub(1);
    for person in state.people.first(room_for) {
        let name = sanitize::name(&person.name);
        let (dot, dot_style) = match person.status {
            Status::Online => ("● ", Style::default().fg(Color::Green)),
            Status::Away => ("◐ ", Style::default().fg(Color::Yellow)),
            Status::Offline => ("○ ", Style::default().fg(Color::DarkGray)),
        };
        let mut spans = vec![Span::styled(dot, dot_style)];
        if person.status == Status::Offline {
            spans.push(Span::styled(name, Style::default().fg(Color::DarkGray)));
            let seen = if local_date(zone, person.since) == today {
                local_hm(zone, person.since)
            } else {
                local_date(zone, person.since).format("%b %-d").to_string()
            };
            spans.push(Span::styled(format!(" {seen}"), Style::default().fg(Color::DarkGray)));
        } else {
            let color = name_color(&name);
            spans.push(Span::styled(name, Style::default().fg(color)));
        }
        lines.push(Line::from(spans));
    }
    if total > room_for && room_for > 0 {
        lines.truncate(room_for);
        lines.push(Line::styled(
            format!("… {} more", total + 1 - room_for),
            Style::default().fg(Color::DarkGray),
        ));
    }
    lines
}
