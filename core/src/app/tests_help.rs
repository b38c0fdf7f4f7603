//! The help overlay's keys: what scrolls it, what closes it, what it swallows.

use super::help::max_scroll;
use super::key::{Key, KeyCode};
use super::testing::{ctrl, key, t0, tui_state, type_line};
use super::*;

/// alice at 50×15 (the help is longer than the screen) with the help open.
fn with_help_open() -> State {
    let mut state = tui_state();
    state.update(Event::Resize { width: 50, height: 15 }, t0());
    state.update(key(KeyCode::F(1)), t0());
    state
}

#[test]
fn keys_scroll_the_help_within_its_length_and_close_it() {
    let end = max_scroll((50, 15));
    // 13 rows inside the border: a page moves 12 lines, one stays in view.
    let page = 12;
    assert!(end > 2 * page, "the help must be longer than two pages at 50×15: {end}");
    let (up, down) = (key(KeyCode::Up), key(KeyCode::Down));
    let (page_up, page_down) = (key(KeyCode::PageUp), key(KeyCode::PageDown));
    let (home, end_key) = (key(KeyCode::Home), key(KeyCode::End));
    let cases: Vec<(&str, Vec<Event>, bool, usize)> = vec![
        ("Down", vec![down.clone()], true, 1),
        ("Down Down Up", vec![down.clone(), down.clone(), up.clone()], true, 1),
        ("Up at the top", vec![up.clone()], true, 0),
        ("PgDn", vec![page_down.clone()], true, page),
        (
            "PgDn PgDn PgUp",
            vec![page_down.clone(), page_down.clone(), page_up.clone()],
            true,
            page,
        ),
        ("PgUp at the top", vec![page_up.clone()], true, 0),
        ("End", vec![end_key.clone()], true, end),
        ("End Down", vec![end_key.clone(), down.clone()], true, end),
        ("End PgDn", vec![end_key.clone(), page_down.clone()], true, end),
        ("End Up", vec![end_key.clone(), up.clone()], true, end - 1),
        ("End Home", vec![end_key.clone(), home.clone()], true, 0),
        ("a letter", vec![Event::Key(Key::plain(KeyCode::Char('x')))], true, 0),
        ("Tab", vec![key(KeyCode::Tab)], true, 0),
        ("Esc", vec![key(KeyCode::Esc)], false, 0),
        ("F1", vec![key(KeyCode::F(1))], false, 0),
        ("Enter", vec![key(KeyCode::Enter)], false, 0),
        ("q", vec![Event::Key(Key::plain(KeyCode::Char('q')))], false, 0),
        ("wheel down", vec![Event::Scroll(-3)], true, 3),
        ("wheel down, up", vec![Event::Scroll(-3), Event::Scroll(1)], true, 2),
    ];
    for (name, events, open, scroll) in cases {
        let mut state = with_help_open();
        for event in events {
            state.update(event, t0());
        }
        assert_eq!((state.show_help, state.help_scroll), (open, scroll), "{name}");
        assert!(
            state.input.is_empty(),
            "{name}: the help took the key, it typed nothing"
        );
    }
}

#[test]
fn ctrl_c_closes_the_help_and_still_clears_the_line() {
    let mut state = with_help_open();
    state.input.paste("draft");
    state.update(ctrl('c'), t0());
    assert!(!state.show_help);
    assert!(state.input.is_empty());
}

#[test]
fn the_help_opens_at_its_top_and_is_seen_once_opened() {
    let mut state = tui_state();
    assert!(!state.help_seen);
    state.update(key(KeyCode::F(1)), t0());
    assert!(state.help_seen && state.show_help);
    state.update(key(KeyCode::End), t0());
    assert!(state.help_scroll > 0);
    state.update(key(KeyCode::Esc), t0());
    type_line(&mut state, "/help");
    assert_eq!((state.show_help, state.help_scroll), (true, 0));
    state.update(key(KeyCode::Esc), t0());
    assert!(state.help_seen, "closing it does not make it unseen");
}

#[test]
fn after_growing_the_screen_up_scrolls_from_the_new_end() {
    let mut state = with_help_open();
    state.update(key(KeyCode::End), t0());
    state.update(Event::Resize { width: 80, height: 40 }, t0());
    let end = max_scroll((80, 40));
    assert!(end < max_scroll((50, 15)));
    state.update(key(KeyCode::Up), t0());
    assert_eq!(state.help_scroll, end - 1);
}
