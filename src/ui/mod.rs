//! Drawing the state: `draw(frame, &state)`, nothing else.

/// Below this many columns the side panel hides itself.
pub const PANEL_MIN_WIDTH: u16 = 60;
