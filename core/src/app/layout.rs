//! Where the side panel's room list is on screen: drawing (`ui::panel`)
//! and clicking ([`room_at`]) both ask here, so they cannot drift apart.
//!
//! The screen, top to bottom: the title (row 0), the body, the status bar
//! and the input line (one row each). The panel is the body's right
//! [`PANEL_WIDTH`] columns: a border column, then the "Rooms" heading and
//! one room a row below it.

use super::State;

/// The side panel's width, its left border included.
pub const PANEL_WIDTH: u16 = 24;
/// Narrower chat than this beside the panel and the panel is not drawn.
const MIN_CHAT_WIDTH: u16 = 10;
/// Rows above the body (the title) and below it (status bar, input line).
const ROWS_ABOVE_BODY: u16 = 1;
const ROWS_BELOW_BODY: u16 = 2;

impl State {
    /// Whether the side panel is drawn in a body this wide.
    pub fn panel_drawn(&self, body_width: u16) -> bool {
        self.panel_visible(body_width) && body_width > PANEL_WIDTH + MIN_CHAT_WIDTH
    }
}

/// How many rooms the list shows in a panel `inner_height` rows high
/// (below its heading): up to half the panel, the rest is for people.
pub fn rooms_shown(inner_height: u16, rooms: usize) -> u16 {
    let rooms = u16::try_from(rooms).unwrap_or(u16::MAX);
    rooms.saturating_add(1).min(inner_height / 2).max(2)
}

/// The room whose line in the side panel is at this screen cell, if any.
pub fn room_at(state: &State, column: u16, row: u16) -> Option<usize> {
    let (width, height) = state.size;
    let body_height = height.saturating_sub(ROWS_ABOVE_BODY + ROWS_BELOW_BODY);
    if !state.panel_drawn(width) || column < width - PANEL_WIDTH {
        return None;
    }
    let body_row = row.checked_sub(ROWS_ABOVE_BODY).filter(|&r| r < body_height)?;
    // The heading is the panel's first row.
    let line = body_row.checked_sub(1)?;
    let index = usize::from(line);
    (line < rooms_shown(body_height, state.rooms.len()) && index < state.rooms.len()).then_some(index)
}
