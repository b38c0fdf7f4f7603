//! Keys of the full-screen UI, as irssi and weechat users expect them.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use tui_input::InputRequest;

use super::command::COMMANDS;
use super::{Effect, State};

/// Rows of chat above the input line, status bar and margins.
fn page(state: &State) -> usize {
    usize::from(state.size.1.saturating_sub(4)).max(1)
}

pub(super) fn handle(state: &mut State, key: KeyEvent, fx: &mut Vec<Effect>) {
    if key.kind == KeyEventKind::Release {
        return;
    }
    if state.show_help {
        // Any key closes the overlay; only quitting keys do more.
        state.show_help = false;
        if !matches!(key.code, KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL)) {
            return;
        }
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let alt = key.modifiers.contains(KeyModifiers::ALT);
    let edit = |state: &mut State, request| state.input.edit(request);
    match key.code {
        KeyCode::Char('c') if ctrl => {
            if state.is_quitting() {
                // Quitting already: stop waiting for the outbox.
                state.interrupt(fx);
            } else if state.input.is_empty() {
                request_quit(state, fx);
            } else {
                edit(state, InputRequest::DeleteLine);
            }
        }
        KeyCode::Char('d') if ctrl => {
            if state.input.is_empty() {
                request_quit(state, fx);
            } else {
                edit(state, InputRequest::DeleteNextChar);
            }
        }
        KeyCode::Char('l') if ctrl => fx.push(Effect::Repaint),
        KeyCode::Char('n') if ctrl => switch_by(state, 1),
        KeyCode::Char('p') if ctrl => switch_by(state, -1),
        KeyCode::Char('w') if ctrl => edit(state, InputRequest::DeletePrevWord),
        KeyCode::Char('u') if ctrl => edit(state, InputRequest::DeleteFromStart),
        KeyCode::Char('k') if ctrl => edit(state, InputRequest::DeleteTillEnd),
        KeyCode::Char('a') if ctrl => edit(state, InputRequest::GoToStart),
        KeyCode::Char('e') if ctrl => edit(state, InputRequest::GoToEnd),
        KeyCode::Char('b') if alt => edit(state, InputRequest::GoToPrevWord),
        KeyCode::Char('f') if alt => edit(state, InputRequest::GoToNextWord),
        KeyCode::Char('d') if alt => edit(state, InputRequest::DeleteNextWord),
        KeyCode::Char(c @ '1'..='9') if alt => {
            let index = c as usize - '1' as usize;
            if index < state.rooms.len() {
                switch_to(state, index);
            }
        }
        KeyCode::Char('0') if alt && state.rooms.len() >= 10 => switch_to(state, 9),
        KeyCode::Char(c) if !ctrl && !alt => {
            if let Some(room) = state.rooms.get_mut(state.active) {
                room.to_live_end();
            }
            edit(state, InputRequest::InsertChar(c));
        }
        KeyCode::Enter if alt => edit(state, InputRequest::InsertChar('\n')),
        KeyCode::Enter => {
            let line = state.input.take();
            if !state.submit(&line, fx) {
                // Refused (outbox full, too long, …): nothing typed is lost.
                state.input.paste(&line);
            }
        }
        KeyCode::Tab => complete(state),
        KeyCode::Backspace if alt || ctrl => edit(state, InputRequest::DeletePrevWord),
        KeyCode::Backspace => edit(state, InputRequest::DeletePrevChar),
        KeyCode::Delete => edit(state, InputRequest::DeleteNextChar),
        KeyCode::Left if alt => switch_by(state, -1),
        KeyCode::Right if alt => switch_by(state, 1),
        KeyCode::Left if ctrl => edit(state, InputRequest::GoToPrevWord),
        KeyCode::Right if ctrl => edit(state, InputRequest::GoToNextWord),
        KeyCode::Left => edit(state, InputRequest::GoToPrevChar),
        KeyCode::Right => edit(state, InputRequest::GoToNextChar),
        KeyCode::Home => edit(state, InputRequest::GoToStart),
        KeyCode::End if ctrl || state.input.is_empty() => to_live_end(state),
        KeyCode::End => {
            edit(state, InputRequest::GoToEnd);
            to_live_end(state);
        }
        KeyCode::Up => state.input.history_back(),
        KeyCode::Down => state.input.history_forward(),
        KeyCode::PageUp => scroll(state, page(state) as i32),
        KeyCode::PageDown => scroll(state, -(page(state) as i32)),
        KeyCode::F(1) => state.show_help = true,
        KeyCode::F(2) => {
            let shown = state.show_panel.unwrap_or(state.size.0 >= crate::ui::PANEL_MIN_WIDTH);
            state.show_panel = Some(!shown);
        }
        KeyCode::Esc => {}
        _ => {}
    }
}

/// Quits, but a host is asked once more: the broker, and everyone on it, goes too.
fn request_quit(state: &mut State, fx: &mut Vec<Effect>) {
    match state.settings.hosting {
        Some(listen) if !state.is_quitting() && !std::mem::replace(&mut state.quit_confirmed, true) => {
            let text =
                format!("you host the broker on {listen}: quitting disconnects everyone else. Press it again to quit.");
            state.notice(text, fx);
        }
        _ => state.quit(None, fx),
    }
}

pub(super) fn scroll(state: &mut State, lines: i32) {
    let Some(room) = state.rooms.get_mut(state.active) else {
        return;
    };
    if lines > 0 {
        room.scroll_up(lines as usize);
    } else {
        room.scroll_down(lines.unsigned_abs() as usize);
    }
}

fn to_live_end(state: &mut State) {
    if let Some(room) = state.rooms.get_mut(state.active) {
        room.to_live_end();
    }
}

pub(super) fn switch_to(state: &mut State, index: usize) {
    state.active = index;
    if let Some(room) = state.rooms.get_mut(index) {
        room.unread = 0;
        room.mentioned = false;
    }
}

fn switch_by(state: &mut State, step: isize) {
    let count = state.rooms.len() as isize;
    if count == 0 {
        return;
    }
    let next = (state.active as isize + step).rem_euclid(count);
    switch_to(state, next as usize);
}

fn complete(state: &mut State) {
    let rooms: Vec<String> = state.rooms.iter().map(|r| r.name.clone()).collect();
    let people: Vec<String> = state.people.names().map(str::to_owned).collect();
    state.input.complete(|word, first_word| {
        let lower = word.to_lowercase();
        let starts = |s: &str| s.to_lowercase().starts_with(&lower);
        if first_word && word.starts_with('/') {
            return COMMANDS
                .iter()
                .map(|c| format!("/{} ", c.name))
                .filter(|c| c.starts_with(word))
                .collect();
        }
        if let Some(room) = word.strip_prefix('#') {
            let room = room.to_lowercase();
            return rooms
                .iter()
                .filter(|r| r.to_lowercase().starts_with(&room))
                .map(|r| format!("#{r}"))
                .collect();
        }
        let mut found: Vec<String> = people.iter().filter(|p| starts(p)).cloned().collect();
        found.extend(rooms.iter().filter(|r| !r.starts_with('@') && starts(r)).cloned());
        if first_word {
            // A name at the start of a line addresses that person: "bob: ".
            found = found.into_iter().map(|name| format!("{name}: ")).collect();
        }
        found
    });
}
