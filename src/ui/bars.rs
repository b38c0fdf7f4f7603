//! One-line bars: the title, the status bar and the input line.

use ratatui::layout::{Position, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

use super::title_fit::{fit_title, TitleParts};
use crate::app::{is_direct, Conn, State};
use crate::protocol::sanitize;

fn bar() -> Style {
    Style::default().bg(Color::Blue).fg(Color::White)
}

fn room_label(state: &State) -> String {
    match state.active_room() {
        Some(room) if is_direct(&room.name) && state.direct_sealed(&room.name) => {
            format!("{} 🔒 end-to-end encrypted", sanitize::name(&room.name))
        }
        Some(room) if is_direct(&room.name) => format!("{} (not encrypted)", sanitize::name(&room.name)),
        Some(room) => format!("#{}", room.name),
        None => "no room".into(),
    }
}

pub(super) fn title(frame: &mut Frame, area: Rect, state: &State) {
    let here = match state.active_room() {
        _ if !state.presence_known() => "who is here unknown".to_owned(),
        Some(room) if !is_direct(&room.name) => format!("{} here", state.people.count_in_room(&room.name)),
        _ => format!("{} online", state.people.online()),
    };
    let elsewhere: usize = state
        .rooms
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != state.active)
        .map(|(_, r)| r.unread)
        .sum();
    // Mentions and direct messages waiting in the other rooms.
    let calls: usize = (state.rooms.iter().enumerate())
        .filter(|(i, _)| *i != state.active)
        .map(|(_, r)| r.mentions)
        .sum();
    let room_short = match state.active_room() {
        Some(room) if is_direct(&room.name) => sanitize::name(&room.name).into_owned(),
        _ => room_label(state),
    };
    let parts = TitleParts {
        room: room_label(state),
        room_short,
        here,
        elsewhere,
        calls,
    };
    let text = fit_title(&parts, area.width);
    frame.render_widget(Paragraph::new(text).style(bar()), area);
}

pub(super) fn connection_label(state: &State) -> (String, Color) {
    match &state.conn {
        Conn::Connecting | Conn::Connected { ready: false } => ("connecting…".into(), Color::Yellow),
        Conn::Connected { ready: true } => ("connected".into(), Color::Green),
        // One live line: what waits, why the link is down, the next attempt.
        Conn::Reconnecting { .. } => (state.outage_line().unwrap_or_default(), Color::Red),
    }
}

pub(super) fn status(frame: &mut Frame, area: Rect, state: &State) {
    let (label, color) = connection_label(state);
    let s = &state.settings;
    let mut spans = Vec::new();
    // What a quitting user waits for comes first: it must fit on any width.
    if let Some(d) = state.draining() {
        spans.push(Span::styled(
            format!(
                " quitting: {} waiting to send, giving up in {}s (Ctrl-C: quit now) ",
                d.waiting, d.seconds_left
            ),
            Style::default()
                .bg(Color::Yellow)
                .fg(Color::Black)
                .add_modifier(Modifier::BOLD),
        ));
    }
    spans.push(Span::styled(
        format!(" {label} "),
        Style::default().bg(color).fg(Color::Black).add_modifier(Modifier::BOLD),
    ));
    // Right after the connection state: a long reason must not push it off a narrow bar.
    if state.is_quitting() && state.draining().is_none() {
        spans.push(Span::styled(" quitting… ·", bar().fg(Color::Yellow)));
    } else if !state.outbox.is_empty() && !state.is_quitting() && state.outage_line().is_none() {
        spans.push(Span::styled(
            format!(" {} waiting to send ·", state.outbox.len()),
            bar().fg(Color::Yellow),
        ));
    }
    // The broker in use (one of several with -s a,b) and the version it speaks.
    let (server, version) = match &state.link {
        Some(link) => (link.server.clone(), format!("· MQTT {} ", link.version)),
        None => (s.address(), String::new()),
    };
    spans.extend([
        Span::styled(format!(" {}@{server} ", s.username), bar()),
        Span::styled(format!("· {} ", room_label(state)), bar()),
        Span::styled(version, bar()),
        Span::styled(format!("· QoS {} ", s.qos), bar()),
    ]);
    if let Some(listen) = crate::app::hosting::status_address(s) {
        spans.push(Span::styled(format!("· hosting {listen} "), bar().fg(Color::Cyan)));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(bar()), area);
}

pub(super) fn input(frame: &mut Frame, area: Rect, state: &State) {
    let prompt = format!("[{}] ", room_label(state));
    let prompt_width = UnicodeWidthStr::width(prompt.as_str()) as u16;
    let field = area.width.saturating_sub(prompt_width).max(1) as usize;
    // One shown character per typed one, so the cursor index still applies.
    let shown: String = state.input.value().chars().map(shown_char).collect();
    let cursor_chars = state.input.editor.cursor();
    let before: String = shown.chars().take(cursor_chars).collect();
    let cursor_col = super::width::width(&before);
    // Scroll so the cursor stays in view, keeping a little context on the left.
    let scroll = cursor_col.saturating_sub(field.saturating_sub(1));
    let mut skipped = 0;
    let mut visible = String::new();
    let mut used = 0;
    for g in shown.graphemes(true) {
        let w = super::width::width(g);
        if skipped < scroll {
            skipped += w;
            continue;
        }
        if used + w > field {
            break;
        }
        used += w;
        visible.push_str(&super::width::terminal_form(g));
    }
    let line = Line::from(vec![
        Span::styled(prompt, Style::default().fg(Color::Cyan)),
        Span::raw(visible),
    ]);
    frame.render_widget(Paragraph::new(line), area);
    if !state.show_help {
        let x = area.x + prompt_width + (cursor_col - skipped.min(cursor_col)) as u16;
        frame.set_cursor_position(Position::new(x.min(area.right().saturating_sub(1)), area.y));
    }
}

/// A typed character as the input line shows it: line breaks as ↵, anything
/// a terminal would act on as a visible stand-in.
fn shown_char(c: char) -> char {
    let mut buf = [0u8; 4];
    match sanitize::text(c.encode_utf8(&mut buf), sanitize::Newlines::Mark) {
        std::borrow::Cow::Borrowed(_) => c,
        std::borrow::Cow::Owned(s) if s.chars().count() == 1 => s.chars().next().unwrap_or('⍰'),
        std::borrow::Cow::Owned(_) => '⍰',
    }
}
