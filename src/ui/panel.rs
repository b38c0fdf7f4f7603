//! The side panel: rooms (active, unread, mentions) and people by presence.

use chrono::FixedOffset;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::theme::{self, Look};
use super::width::terminal_form;
use crate::app::people::Person;
use crate::app::who::last_seen;
use crate::app::{is_direct, State};
use crate::protocol::sanitize;
use crate::protocol::Status;

pub(super) fn draw(frame: &mut Frame, area: Rect, state: &State, zone: FixedOffset) {
    let block = Block::default().borders(Borders::LEFT).border_style(theme::quiet());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let rooms_height = crate::app::layout::rooms_shown(inner.height, state.rooms.len());
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
        let label = terminal_form(&label).into_owned();
        let number = if i < 9 { format!("{} ", i + 1) } else { "  ".into() };
        let mut spans = vec![Span::styled(number, theme::quiet()), Span::raw(label)];
        if state.direct_sealed(&room.name) {
            spans.push(Span::raw(" 🔒"));
        }
        if room.mentioned {
            spans.push(Span::styled(" @", Style::default().add_modifier(Modifier::BOLD)));
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
    let dim = theme::quiet();
    if !state.presence_known() {
        return vec![
            heading("People".into()),
            Line::styled("unknown while", dim),
            Line::styled("disconnected", dim),
        ];
    }
    let total = state.people.len();
    let room = state
        .active_room()
        .filter(|r| !is_direct(&r.name))
        .map(|r| r.name.as_str());
    let mut lines = Vec::new();
    let mut left = height;
    if let Some(room) = room {
        let members = state.people.in_room(room);
        lines.push(heading(format!("#{} {}", sanitize::name(room), members.len())));
        left = left.saturating_sub(1);
        let shown = members.len().min(left.saturating_sub(2));
        lines.extend(members.iter().take(shown).map(|p| person_line(p, state, zone)));
        if shown < members.len() {
            lines.push(Line::styled(format!("… {} more", members.len() - shown), dim));
        }
        left = height.saturating_sub(lines.len());
        lines.push(heading(format!("Everyone {}/{total}", state.people.online())));
        left = left.saturating_sub(1);
        let others = total - members.len();
        let rest = state.people.first_outside(room, left);
        let fits = if others > left { left.saturating_sub(1) } else { left };
        lines.extend(rest.iter().take(fits).map(|p| person_line(p, state, zone)));
        if others > fits && left > 0 {
            lines.push(Line::styled(format!("… {} more", others - fits), dim));
        }
    } else {
        lines.push(heading(format!("People {}/{total}", state.people.online())));
        left = left.saturating_sub(1);
        let fits = if total > left { left.saturating_sub(1) } else { left };
        lines.extend(state.people.first(fits).iter().map(|p| person_line(p, state, zone)));
        if total > fits && left > 0 {
            lines.push(Line::styled(format!("… {} more", total - fits), dim));
        }
    }
    lines
}

/// `● bob`, `◐ carol`, `○ dave 5 min ago`; names of clients that do not say their rooms end in `?`.
fn person_line<'a>(person: &Person, state: &State, zone: FixedOffset) -> Line<'a> {
    let dim = theme::quiet();
    let shown = sanitize::name(&person.name);
    let name = terminal_form(&shown).into_owned();
    let (dot, dot_style) = match person.status {
        Status::Online => ("● ", Style::default().fg(Color::Green)),
        Status::Away => ("◐ ", Style::default().fg(Color::Yellow)),
        Status::Offline => ("○ ", dim),
    };
    let mut spans = vec![Span::styled(dot, dot_style)];
    let warning = state.person_warning(&person.name);
    if let Some(warning) = warning {
        spans.push(Span::styled(
            name,
            Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
        ));
        spans.push(Span::styled(format!(" {warning}"), Style::default().fg(Color::Red)));
    } else if person.status == Status::Offline {
        spans.push(Span::styled(name, dim));
        let seen = last_seen(person.since, state.now, zone);
        spans.push(Span::styled(format!(" {seen}"), dim));
    } else {
        let color = Look::of(&state.settings).nick(&shown);
        spans.push(Span::styled(name, Style::default().fg(color)));
        if !person.rooms_known() {
            spans.push(Span::styled(" ?", dim));
        }
    }
    Line::from(spans)
}
