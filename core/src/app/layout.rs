//! Where the side panel's room list is on screen: drawing (`ui::panel`)
//! and clicking ([`room_at`]) both ask here, so they cannot drift apart.
//!
//! The screen, top to bottom: the title (row 0), the room's topic when it
//! has one, the body, the status bar
//! and the input line (one row each). The panel is the body's right
//! [`PANEL_WIDTH`] columns: a border column, then the "Rooms" heading and
//! one room a row below it.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::State;

/// The side panel's width, its left border included.
pub const PANEL_WIDTH: u16 = 24;
/// Narrower chat than this beside the panel and the panel is not drawn.
const MIN_CHAT_WIDTH: u16 = 10;
/// Rows below the body (status bar, input line).
const ROWS_BELOW_BODY: u16 = 2;
/// Columns before a notice's text besides the time: ` -!- `.
const NOTICE_MARK: usize = 5;

impl State {
    /// Rows the active room's topic takes under the title: none without
    /// one, so the screens of rooms without a topic stay as they are.
    pub fn topic_rows(&self) -> u16 {
        u16::from(self.active_room().is_some_and(|room| room.topic.is_some()))
    }

    /// Rows above the body: the title, and the topic when there is one.
    pub fn rows_above_body(&self) -> u16 {
        1 + self.topic_rows()
    }

    /// Columns a notice's text has in the chat pane before it wraps; `None`
    /// in line mode, where nothing cuts a line.
    pub(super) fn notice_columns(&self) -> Option<usize> {
        if self.line_mode() {
            return None;
        }
        let width = self.size.0;
        let pane = if self.panel_drawn(width) {
            width - PANEL_WIDTH
        } else {
            width
        };
        // The time as the configured format writes it, then ` -!- `.
        let format = match self.settings.time_format.as_str() {
            "" => "%H:%M",
            format => format,
        };
        let mut time = String::new();
        let time = match std::fmt::Write::write_fmt(&mut time, format_args!("{}", self.now.format(format))) {
            Ok(()) => time.width(),
            Err(_) => 5,
        };
        Some(usize::from(pane).saturating_sub(time + NOTICE_MARK))
    }

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
    let above = state.rows_above_body();
    let body_height = height.saturating_sub(above + ROWS_BELOW_BODY);
    if !state.panel_drawn(width) || column < width - PANEL_WIDTH {
        return None;
    }
    let body_row = row.checked_sub(above).filter(|&r| r < body_height)?;
    // The heading is the panel's first row.
    let line = body_row.checked_sub(1)?;
    let index = usize::from(line);
    (line < rooms_shown(body_height, state.rooms.len()) && index < state.rooms.len()).then_some(index)
}

/// The first of `forms` (most detailed first) that fits in `columns`, else
/// the last one cut short with `…`.
pub(super) fn fitted(forms: &[String], columns: usize) -> String {
    if let Some(form) = forms.iter().find(|f| f.width() <= columns) {
        return form.clone();
    }
    let last = forms.last().map(String::as_str).unwrap_or_default();
    let mut cut = String::new();
    let mut used = 0;
    for c in last.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > columns {
            break;
        }
        used += w;
        cut.push(c);
    }
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::fitted;

    #[test]
    fn the_most_detailed_form_that_fits_else_the_shortest_cut() {
        let forms = ["○ dave, left at 12:02 (bye)".to_owned(), "○ dave, at 12:02".to_owned()];
        let cases = [
            (40, "○ dave, left at 12:02 (bye)"),
            (27, "○ dave, left at 12:02 (bye)"),
            (26, "○ dave, at 12:02"),
            (16, "○ dave, at 12:02"),
            (10, "○ dave, a…"),
            (1, "…"),
        ];
        for (columns, want) in cases {
            assert_eq!(fitted(&forms, columns), want, "{columns} columns");
        }
        assert_eq!(
            fitted(&["● 日本語".to_owned()], 6),
            "● 日…",
            "wide characters count double"
        );
    }
}
