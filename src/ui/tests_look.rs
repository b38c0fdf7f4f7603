//! The look of the screen: themes, no colour at all, the time format and
//! how a mention shows.

use chrono::{Offset, Utc};
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use ratatui::Terminal;

use super::tests::{at, presence, say, state};
use crate::app::State;
use crate::protocol::Status;
use crate::theme::{ColorDepth, Theme};

fn conversation(theme: Theme, depth: ColorDepth) -> State {
    let mut state = state(&["general"]);
    state.settings.theme = theme;
    state.settings.color_depth = depth;
    presence(&mut state, "bob", Status::Online, at(14, 0));
    presence(&mut state, "carol", Status::Online, at(14, 0));
    say(&mut state, "1", "bob", "morning", at(14, 1));
    say(&mut state, "2", "carol", "alice: lunch?", at(14, 2));
    state
}

fn drawn(state: &State) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(80, 12)).unwrap();
    terminal.draw(|frame| super::draw(frame, state, Utc.fix())).unwrap();
    terminal.backend().buffer().clone()
}

/// The cell where `needle` starts on the screen.
fn cell_of<'a>(buffer: &'a Buffer, needle: &str) -> &'a ratatui::buffer::Cell {
    for y in 0..buffer.area.height {
        let row: Vec<&str> = (0..buffer.area.width).map(|x| buffer[(x, y)].symbol()).collect();
        let text: String = row.concat();
        if let Some(at) = text.find(needle) {
            let x = text[..at].chars().count();
            return &buffer[(x as u16, y)];
        }
    }
    panic!("{needle:?} is not on the screen");
}

#[test]
fn bob_and_carol_differ_and_the_light_theme_has_its_own_colours() {
    let dark = drawn(&conversation(Theme::Dark, ColorDepth::Many));
    let light = drawn(&conversation(Theme::Light, ColorDepth::Many));
    assert_ne!(cell_of(&dark, "bob>").fg, cell_of(&dark, "carol>").fg);
    assert_ne!(cell_of(&dark, "bob>").fg, cell_of(&light, "bob>").fg);
    assert_ne!(cell_of(&dark, "carol>").fg, cell_of(&light, "carol>").fg);
}

#[test]
fn times_and_notices_are_dimmed_text_not_grey() {
    let buffer = drawn(&conversation(Theme::Dark, ColorDepth::Many));
    for needle in ["14:01", "-!-"] {
        let cell = cell_of(&buffer, needle);
        assert_eq!(cell.fg, Color::Reset, "{needle}");
        assert!(cell.modifier.contains(Modifier::DIM), "{needle}");
    }
}

#[test]
fn a_mention_shows_as_its_time_in_reverse_video_with_the_text_uncoloured() {
    let buffer = drawn(&conversation(Theme::Light, ColorDepth::Many));
    let time = cell_of(&buffer, "14:02");
    assert!(time.modifier.contains(Modifier::REVERSED));
    assert_eq!(cell_of(&buffer, "lunch?").fg, Color::Reset);
    assert!(!cell_of(&buffer, "14:01").modifier.contains(Modifier::REVERSED));
}

#[test]
fn no_color_leaves_only_modifiers() {
    let buffer = drawn(&conversation(Theme::Dark, ColorDepth::Monochrome));
    for cell in &buffer.content {
        assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset), "{cell:?}");
    }
    // The status bar still stands out, and the mention still shows.
    assert!(cell_of(&buffer, "alice@localhost")
        .modifier
        .contains(Modifier::REVERSED));
    assert!(cell_of(&buffer, "14:02").modifier.contains(Modifier::REVERSED));
}

#[test]
fn the_time_format_is_the_configured_one() {
    let mut state = conversation(Theme::Dark, ColorDepth::Many);
    state.settings.time_format = "%I:%M %p".into();
    let shown = super::tests::screen(&state, 80, 12);
    assert!(shown.contains("02:01 PM <bob> morning"), "{shown}");
    assert!(shown.contains("02:00 PM -!- "), "{shown}");
}
