//! Search results and a hit in context, drawn over the message pane.

use chrono::FixedOffset;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::messages::{message_lines, rule};
use crate::app::history::{shown_room, ContextView, SearchView};
use crate::app::{Overlay, State};
use crate::protocol::sanitize::{self, Newlines};

fn heading() -> Style {
    Style::default().fg(Color::Black).bg(Color::Cyan)
}

pub(super) fn draw(frame: &mut Frame, area: Rect, state: &State, overlay: &Overlay, zone: FixedOffset) {
    let lines = match overlay {
        Overlay::Search(view) => results(view, area, zone),
        Overlay::Context(view) => context(view, state, area, zone),
    };
    frame.render_widget(Paragraph::new(lines), area);
}

/// One line per hit: date, time, room, sender and text; the selected one highlighted.
fn results(view: &SearchView, area: Rect, zone: FixedOffset) -> Vec<Line<'static>> {
    let where_ = if view.all { "every room" } else { "this room" };
    let title = format!(
        " {} hit(s) for \"{}\" in {where_} · ↑/↓ pick · Enter: show in context · Esc: close ",
        view.hits.len(),
        sanitize::name(&view.text)
    );
    let mut lines = vec![Line::styled(title, heading())];
    let rows = usize::from(area.height).saturating_sub(1).max(1);
    // Keep the selection on screen.
    let first = view.selected.saturating_sub(rows - 1);
    for (i, hit) in view.hits.iter().enumerate().skip(first).take(rows) {
        let when = hit.time.with_timezone(&zone).format("%Y-%m-%d %H:%M");
        let user = hit.user.as_deref().map_or("?".into(), sanitize::name);
        let text = sanitize::text(&hit.text, Newlines::Mark);
        let verdict = crate::app::room::Verdict::from_stored(hit.mark.as_deref(), hit.sealed);
        let mark = verdict.mark().map(|m| format!("{m} ")).unwrap_or_default();
        let line = format!("{when} {} <{user}> {mark}{text}", shown_room(&hit.room));
        let style = if i == view.selected {
            Style::default().add_modifier(Modifier::REVERSED)
        } else {
            Style::default()
        };
        lines.push(Line::from(Span::styled(line, style)));
    }
    lines
}

/// The messages around a hit, the hit marked, centred unless scrolled.
fn context<'a>(view: &'a ContextView, state: &'a State, area: Rect, zone: FixedOffset) -> Vec<Line<'a>> {
    let width = usize::from(area.width);
    let day = view
        .messages
        .get(view.hit)
        .map(|m| m.time.with_timezone(&zone).format(" · %A, %-d %B %Y").to_string())
        .unwrap_or_default();
    let title = format!(
        " {}{day} around a search hit · PgUp/PgDn scroll · Esc: back to the chat ",
        shown_room(&view.room)
    );
    let mut all: Vec<Line<'a>> = Vec::new();
    let mut hit_line = 0;
    for (i, message) in view.messages.iter().enumerate() {
        if i == view.hit {
            all.push(rule("search hit", width, Style::default().fg(Color::Yellow)));
            hit_line = all.len();
        }
        let mut lines = message_lines(message, state, zone, width);
        if i == view.hit {
            for line in &mut lines {
                line.style = Style::default().add_modifier(Modifier::BOLD);
            }
        }
        all.extend(lines);
    }
    let rows = usize::from(area.height).saturating_sub(1).max(1);
    let centred = hit_line.saturating_sub(rows / 2) as isize;
    let max_start = all.len().saturating_sub(rows) as isize;
    let start = (centred - view.scroll).clamp(0, max_start.max(0)) as usize;
    let mut lines = vec![Line::styled(title, heading())];
    lines.extend(all.into_iter().skip(start).take(rows));
    lines
}
