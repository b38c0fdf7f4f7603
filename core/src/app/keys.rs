//! Keys of the full-screen UI, as irssi and weechat users expect them.

use tui_input::InputRequest;

use super::command::COMMANDS;
use super::key::{Key, KeyCode};
use super::keymap::{self, Action};
use super::{Effect, State};

/// Rows of chat above the input line, status bar and margins.
fn page(state: &State) -> usize {
    usize::from(state.size.1.saturating_sub(4)).max(1)
}

pub(super) fn handle(state: &mut State, key: Key, fx: &mut Vec<Effect>) {
    if state.show_help && super::help::key(state, key) {
        return;
    }
    if state.overlay.is_some() && overlay_key(state, key, fx) {
        return;
    }
    match keymap::lookup(key) {
        Some(action) => perform(state, action, fx),
        None => {
            if let KeyCode::Char(c) = key.code {
                if !key.mods.ctrl && !key.mods.alt {
                    type_char(state, c);
                }
            }
        }
    }
}

fn type_char(state: &mut State, c: char) {
    to_live_end(state);
    state.input.edit(InputRequest::InsertChar(c));
}

// One arm per action and nothing else, so it reads as a table beside the keymap.
fn perform(state: &mut State, action: Action, fx: &mut Vec<Effect>) {
    let edit = |state: &mut State, request| state.input.edit(request);
    match action {
        Action::Submit => {
            let line = state.input.take();
            if !state.submit(&line, fx) {
                // Refused (outbox full, too long, …): nothing typed is lost.
                state.input.paste(&line);
            }
        }
        Action::NewLine => edit(state, InputRequest::InsertChar('\n')),
        Action::Complete => complete(state),
        Action::HistoryBack => state.input.history_back(),
        Action::HistoryForward => state.input.history_forward(),
        Action::GoToRoom(index) => {
            if index < state.rooms.len() {
                switch_to(state, index);
            }
        }
        Action::NextRoom => switch_by(state, 1),
        Action::PreviousRoom => switch_by(state, -1),
        Action::PageBack => scroll(state, page(state) as i32, fx),
        Action::PageForward => scroll(state, -(page(state) as i32), fx),
        Action::LiveEnd => to_live_end(state),
        Action::CharLeft => edit(state, InputRequest::GoToPrevChar),
        Action::CharRight => edit(state, InputRequest::GoToNextChar),
        Action::WordLeft => edit(state, InputRequest::GoToPrevWord),
        Action::WordRight => edit(state, InputRequest::GoToNextWord),
        Action::LineStart => edit(state, InputRequest::GoToStart),
        Action::LineEnd => edit(state, InputRequest::GoToEnd),
        Action::End => {
            if !state.input.is_empty() {
                edit(state, InputRequest::GoToEnd);
            }
            to_live_end(state);
        }
        Action::DeleteCharBack => edit(state, InputRequest::DeletePrevChar),
        Action::DeleteCharForward => edit(state, InputRequest::DeleteNextChar),
        Action::DeleteWordBack => edit(state, InputRequest::DeletePrevWord),
        Action::DeleteWordForward => edit(state, InputRequest::DeleteNextWord),
        Action::DeleteToStart => edit(state, InputRequest::DeleteFromStart),
        Action::DeleteToEnd => edit(state, InputRequest::DeleteTillEnd),
        Action::Help => state.open_help(),
        Action::Search => {
            state.input.take();
            state.input.paste("/search ");
        }
        Action::TogglePanel => state.show_panel = Some(!state.panel_visible(state.size.0)),
        Action::Redraw => fx.push(Effect::Repaint),
        Action::ClearOrQuit => {
            if state.is_quitting() {
                // Quitting already: stop waiting for the outbox.
                state.interrupt(fx);
            } else if state.input.is_empty() {
                request_quit(state, fx);
            } else {
                edit(state, InputRequest::DeleteLine);
            }
        }
        Action::NextActivity => state.go_to_activity(fx),
        Action::DeleteOrQuit => {
            if state.input.is_empty() {
                request_quit(state, fx);
            } else {
                edit(state, InputRequest::DeleteNextChar);
            }
        }
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

pub(super) fn scroll(state: &mut State, lines: i32, fx: &mut Vec<Effect>) {
    if state.show_help {
        // The wheel up (positive) shows earlier lines of the help.
        state.scroll_help(-(lines as isize));
        return;
    }
    if let Some(super::Overlay::Context(view)) = &mut state.overlay {
        view.scroll += lines as isize;
        return;
    }
    let Some(room) = state.rooms.get_mut(state.active) else {
        return;
    };
    if lines > 0 {
        room.scroll_up(lines as usize);
        // At the top of what is in memory: the history on disk goes on.
        state.read_back(fx);
    } else {
        room.scroll_down(lines.unsigned_abs() as usize);
    }
}

/// A key while search results or a hit in context are shown: true when the
/// overlay took it. Any other key closes it and does what it always does.
fn overlay_key(state: &mut State, key: Key, fx: &mut Vec<Effect>) -> bool {
    use super::Overlay;
    let page = page(state) as isize;
    match (&mut state.overlay, key.code) {
        (_, KeyCode::Esc) => state.close_overlay(),
        (Some(Overlay::Search(view)), KeyCode::Up) => view.selected = view.selected.saturating_sub(1),
        (Some(Overlay::Search(view)), KeyCode::Down) => {
            view.selected = (view.selected + 1).min(view.hits.len().saturating_sub(1));
        }
        (Some(Overlay::Search(view)), KeyCode::PageUp) => view.selected = view.selected.saturating_sub(page as usize),
        (Some(Overlay::Search(view)), KeyCode::PageDown) => {
            view.selected = (view.selected + page as usize).min(view.hits.len().saturating_sub(1));
        }
        (Some(Overlay::Search(_)), KeyCode::Enter) => state.open_hit(fx),
        (Some(Overlay::Context(view)), KeyCode::Up) => view.scroll += 1,
        (Some(Overlay::Context(view)), KeyCode::Down) => view.scroll -= 1,
        (Some(Overlay::Context(view)), KeyCode::PageUp) => view.scroll += page,
        (Some(Overlay::Context(view)), KeyCode::PageDown) => view.scroll -= page,
        _ => {
            state.close_overlay();
            return false;
        }
    }
    true
}

fn to_live_end(state: &mut State) {
    if let Some(room) = state.rooms.get_mut(state.active) {
        room.to_live_end();
    }
}

pub(super) fn switch_to(state: &mut State, index: usize) {
    if index != state.active {
        state.leave_active();
    }
    state.active = index;
    if let Some(room) = state.rooms.get_mut(index) {
        room.unread = 0;
        room.mentioned = false;
        room.mentions = 0;
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
