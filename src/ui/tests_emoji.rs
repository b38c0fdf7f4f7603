//! Emoji, flags and wide characters on screen: every row keeps the side
//! panel's border where it belongs, whatever the messages hold.

use ratatui::backend::TestBackend;
use ratatui::Terminal;

use super::tests::{at, at_sizes, presence, say, state};
use crate::app::{Event, State};
use crate::protocol::Status;

/// Each sample kind the terminals disagree on or measure specially.
const SAMPLES: [(&str, &str); 7] = [
    ("skin tone", "👍🏽 thumbs up, ✌🏿 peace"),
    ("flag", "🇵🇱 flag and 🇩🇪 another"),
    ("family", "family 👩\u{200d}👩\u{200d}👧 here"),
    ("heart", "love ❤\u{fe0f} it, 🏳\u{fe0f}\u{200d}🌈 too"),
    ("cjk", "日本語のテキスト 한국어"),
    ("accents", "e\u{301}te\u{301} a\u{308}"),
    ("mixed", "👍🏽👍🏽👍🏽👍🏽👍🏽👍🏽👍🏽👍🏽👍🏽👍🏽👍🏽👍🏽 🇵🇱🇵🇱🇵🇱🇵🇱🇵🇱🇵🇱🇵🇱🇵🇱🇵🇱🇵🇱 end"),
];

fn emoji_conversation() -> State {
    let mut state = state(&["general", "rust"]);
    presence(&mut state, "bob", Status::Online, at(14, 0));
    presence(&mut state, "carol", Status::Online, at(14, 0));
    for (i, (_, text)) in SAMPLES.iter().enumerate() {
        let user = if i % 2 == 0 { "bob" } else { "carol" };
        say(&mut state, &i.to_string(), user, text, at(14, i as u32 + 1));
    }
    state
}

#[test]
fn emoji_at_every_size() {
    at_sizes("emoji", &mut emoji_conversation());
}

/// The column of the panel's border on each row of the message pane, as
/// the terminal would place it: the sum of the widths of the cells before it.
fn border_columns(state: &State, width: u16, height: u16) -> Vec<usize> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| super::draw(frame, state, chrono::Utc.fix()))
        .unwrap();
    let buffer = terminal.backend().buffer();
    (1..height - 2)
        .filter_map(|y| {
            let mut column = 0;
            let mut x = 0;
            while x < width {
                let symbol = buffer[(x, y)].symbol();
                if symbol == "│" {
                    return Some(column);
                }
                let cells = super::width::width(symbol).max(1);
                column += cells;
                x += cells as u16;
            }
            None
        })
        .collect()
}

use chrono::Offset;

#[test]
fn the_panel_border_stays_in_its_column_on_every_row() {
    let mut state = emoji_conversation();
    for (width, height) in super::tests::SIZES {
        state.update(Event::Resize { width, height }, state.now);
        for scroll in [0, 2, 4] {
            state.rooms[state.active].scroll_back = scroll;
            let columns = border_columns(&state, width, height);
            let expected = usize::from(width - super::PANEL_WIDTH);
            // The smallest size leaves the panel out.
            assert!(!columns.is_empty() || width < 80, "no panel at {width}x{height}");
            assert!(
                columns.iter().all(|&c| c == expected),
                "{width}x{height} scrolled {scroll}: {columns:?}"
            );
        }
    }
}

#[test]
fn the_zero_width_break_never_reaches_the_screen() {
    let mut state = emoji_conversation();
    for (width, height) in super::tests::SIZES {
        state.update(Event::Resize { width, height }, state.now);
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        terminal
            .draw(|frame| super::draw(frame, &state, chrono::Utc.fix()))
            .unwrap();
        let cells = terminal.backend().buffer().content();
        assert!(cells.iter().all(|c| !c.symbol().contains('\u{200b}')));
        // Every skin tone of the conversation is on screen, in a cell of its own.
        assert!(cells.iter().any(|c| c.symbol() == "🏽"), "{width}x{height}");
    }
}
