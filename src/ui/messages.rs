//! The message pane: only the entries on screen are laid out, so drawing
//! costs the same with a million messages in scrollback as with ten.

use std::borrow::Cow;

use chrono::FixedOffset;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::theme::{self, Look};
use super::wrap::{width, wrap};
use super::{local_date, local_time};
use crate::app::room::{Delivery, Entry, Message, Origin, Room};
use crate::app::State;
use crate::protocol::sanitize::{self, Newlines};
use crate::protocol::{Form, Kind};

fn dim() -> Style {
    theme::quiet()
}

fn notice_style(state: &State) -> Style {
    match state.settings.colors.notice {
        Some(color) => Style::default().fg(super::color(color)),
        None => theme::quiet(),
    }
}

pub(super) fn draw(frame: &mut Frame, area: Rect, state: &State, zone: FixedOffset) {
    if let Some(overlay) = &state.overlay {
        super::search::draw(frame, area, state, overlay, zone);
        return;
    }
    let Some(room) = state.active_room() else {
        let mut lines = vec![Line::styled(
            "You are in no room: /join ROOM to start, F1 for help.",
            dim(),
        )];
        if let Some(notice) = &state.roomless_notice {
            lines.push(Line::styled(
                format!("-!- {}", sanitize::text(notice, Newlines::Mark)),
                dim(),
            ));
        }
        frame.render_widget(Paragraph::new(lines), area);
        return;
    };
    let height = usize::from(area.height);
    let width = usize::from(area.width);
    if room.entries.is_empty() {
        let hint = format!(
            "#{} — nothing here yet. Type a message and press Enter; F1 for help.",
            room.name
        );
        frame.render_widget(Paragraph::new(Line::styled(hint, dim())), area);
        return;
    }
    let mut marker = None;
    if room.scroll_back > 0 {
        let text = match room.new_below {
            0 => "── scrolled back · End returns to the live end ──".to_owned(),
            n => format!(
                "── {n} new message{} below · End to read ──",
                if n == 1 { "" } else { "s" }
            ),
        };
        marker = Some(Line::styled(text, Style::default().fg(Color::Black).bg(Color::Yellow)));
    }
    let rows = height.saturating_sub(usize::from(marker.is_some()));
    let mut lines = visible_lines(room, state, zone, width, rows);
    lines.extend(marker);
    frame.render_widget(Paragraph::new(lines), area);
}

/// The last `rows` lines ending at the scroll position, oldest first.
fn visible_lines<'a>(room: &'a Room, state: &'a State, zone: FixedOffset, width: usize, rows: usize) -> Vec<Line<'a>> {
    let end = room.entries.len().saturating_sub(room.scroll_back);
    let mut bottom_up: Vec<Line<'a>> = Vec::with_capacity(rows + 8);
    for i in (0..end).rev() {
        let entry = &room.entries[i];
        let lines = entry_lines(entry, state, zone, width);
        bottom_up.extend(lines.into_iter().rev());
        let date = local_date(zone, entry.time());
        let new_day = i == 0 || local_date(zone, room.entries[i - 1].time()) != date;
        if new_day {
            bottom_up.push(day_separator(date, width));
        }
        if let Some(mark) = room.unread_mark().filter(|mark| mark.index == i) {
            let text = format!("new since {}", local_time(&state.settings, zone, mark.time));
            bottom_up.push(rule(&text, width, Style::default().fg(Color::LightRed)));
        }
        if bottom_up.len() >= rows {
            break;
        }
    }
    bottom_up.truncate(rows);
    bottom_up.reverse();
    bottom_up
}

fn day_separator(date: chrono::NaiveDate, width: usize) -> Line<'static> {
    let label = format!(" {} ", date.format("%A, %-d %B %Y"));
    let side = width.saturating_sub(width_of(&label)) / 2;
    let rule = "─".repeat(side.min(40));
    Line::styled(format!("{rule}{label}{rule}"), dim())
}

fn width_of(s: &str) -> usize {
    width(s)
}

fn entry_lines<'a>(entry: &'a Entry, state: &State, zone: FixedOffset, width: usize) -> Vec<Line<'a>> {
    match entry {
        Entry::Notice { time, text } => {
            let style = notice_style(state);
            let prefix = vec![Span::styled(
                format!("{} -!- ", local_time(&state.settings, zone, *time)),
                style,
            )];
            wrap(prefix, sanitize::text(text, Newlines::Mark), style, width, 10)
        }
        Entry::Message(m) => message_lines(m, state, zone, width),
        Entry::Marker { text, .. } => vec![rule(text, width, marker_style())],
    }
}

fn marker_style() -> Style {
    Style::default().fg(Color::Cyan)
}

/// `──── text ────` across `width`.
pub(super) fn rule(text: &str, width: usize, style: Style) -> Line<'static> {
    let label = format!(" {} ", sanitize::text(text, Newlines::Mark));
    let side = width.saturating_sub(width_of(&label)) / 2;
    let rule = "─".repeat(side.min(40));
    Line::styled(format!("{rule}{label}{rule}"), style)
}

/// `text` made safe to show, still borrowed from the state when it was
/// borrowed and needed no change.
fn shown<'a>(text: Cow<'a, str>, newlines: Newlines) -> Cow<'a, str> {
    match text {
        Cow::Borrowed(text) => sanitize::text(text, newlines),
        Cow::Owned(text) => {
            let changed = match sanitize::text(&text, newlines) {
                Cow::Owned(changed) => Some(changed),
                Cow::Borrowed(_) => None,
            };
            Cow::Owned(changed.unwrap_or(text))
        }
    }
}

/// How far one of the user's own messages got: waiting, sent or refused.
fn delivery_mark(delivery: &Delivery) -> Span<'static> {
    match delivery {
        Delivery::Pending => Span::styled(" ⧖", dim()),
        Delivery::Sent => Span::styled(" ✓", Style::default().fg(Color::Green)),
        Delivery::Failed(why) => Span::styled(
            format!(" ✗ not sent: {}", sanitize::name(why)),
            Style::default().fg(Color::Red),
        ),
    }
}

pub(super) fn message_lines<'a>(m: &'a Message, state: &State, zone: FixedOffset, width: usize) -> Vec<Line<'a>> {
    let colors = &state.settings.colors;
    let nick = m.user.as_deref().map_or(Cow::Borrowed("?"), sanitize::name);
    let nick_color = match m.own {
        Some(_) => colors.own,
        None => colors.others,
    }
    .map(super::color);
    let look = Look::of(&state.settings);
    let theme_color = match m.own {
        Some(_) => look.own(),
        None => look.nick(&nick),
    };
    let mut nick_style = Style::default().fg(nick_color.unwrap_or(theme_color));
    if m.own.is_some() {
        nick_style = nick_style.add_modifier(Modifier::BOLD);
    }
    // A mention shows by its time in reverse video, never by a text colour
    // that might not read on this background.
    let mut body_style = Style::default();
    if m.mention {
        body_style = body_style.add_modifier(Modifier::BOLD);
    }
    if m.own == Some(Delivery::Pending) {
        body_style = body_style.add_modifier(Modifier::DIM);
    }
    // History is drawn dimmed: said before this run, or before we came.
    let history = m.origin == Origin::History;
    if history {
        body_style = body_style.add_modifier(Modifier::DIM);
        nick_style = nick_style.add_modifier(Modifier::DIM);
    }
    // Someone who may not be who the name says: never that person's
    // colour, and the mark right after the name.
    let warning = m.verdict.mark();
    if warning.is_some() {
        nick_style = Style::default().fg(Color::Red).add_modifier(Modifier::BOLD);
    }
    let mut prefix = vec![Span::styled(
        format!("{} ", local_time(&state.settings, zone, m.time)),
        dim(),
    )];
    match m.kind {
        Kind::Text => {
            prefix.push(Span::raw("<"));
            prefix.push(Span::styled(nick, nick_style));
            prefix.push(Span::raw("> "));
        }
        Kind::Action => {
            prefix.push(Span::styled("* ", nick_style));
            prefix.push(Span::styled(nick, nick_style));
            prefix.push(Span::raw(" "));
        }
    }
    if let Some(warning) = warning {
        let style = Style::default()
            .fg(Color::White)
            .bg(Color::Red)
            .add_modifier(Modifier::BOLD);
        prefix.push(Span::styled(warning.into_owned(), style));
        prefix.push(Span::raw(" "));
    }
    if m.mention {
        prefix[0].style = theme::mention_time(colors.mention.map(super::color));
    }
    if let Form::Malformed(why) = &m.form {
        prefix.push(Span::styled(format!("[malformed: {}] ", sanitize::name(why)), dim()));
    }
    if m.skewed {
        prefix.push(Span::styled("[clock off] ", dim()));
    }
    let indent = prefix.iter().map(|s| width_of(&s.content)).sum::<usize>().min(20);
    let mut lines = wrap(prefix, shown(m.shown_text(), Newlines::Keep), body_style, width, indent);
    if let (Some(mark), Some(last)) = (m.own.as_ref().map(delivery_mark), lines.last_mut()) {
        if last.width() + width_of(&mark.content) <= width {
            last.spans.push(mark);
        } else {
            lines.push(Line::from(vec![Span::raw(" ".repeat(indent)), mark]));
        }
    }
    lines
}
