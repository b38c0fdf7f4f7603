//! The help overlay at every size: one column or two, scrolled, and every
//! key, command and mark readable whole somewhere in it.

use ratatui::backend::TestBackend;
use ratatui::Terminal;

use super::tests::{at_sizes, screen};
use crate::app::help::sections;
use crate::app::key::KeyCode;
use crate::app::testing::{connect, key, t0, tui_state};
use crate::app::{Event, State};

fn help_open() -> State {
    let mut state = tui_state();
    connect(&mut state);
    state.update(key(KeyCode::F(1)), t0());
    state
}

#[test]
fn help_at_every_size() {
    at_sizes("help", &mut help_open());
}

#[test]
fn help_scrolled_to_its_end_at_50x15() {
    let mut state = help_open();
    state.update(Event::Resize { width: 50, height: 15 }, t0());
    state.update(key(KeyCode::End), t0());
    insta::assert_snapshot!("help_scrolled_50x15", screen(&state, 50, 15));
}

/// The overlay's rows as text, between its side borders (the overlay alone,
/// on an empty screen).
fn overlay_rows(state: &State, width: u16, height: u16) -> Vec<String> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| super::help::draw(frame, frame.area(), state))
        .unwrap();
    let buffer = terminal.backend().buffer();
    let mut rows = Vec::new();
    for y in 0..height {
        let row: String = (0..width).map(|x| buffer[(x, y)].symbol()).collect();
        if let (Some(start), Some(end)) = (row.find('│'), row.rfind('│')) {
            if start < end {
                rows.push(row[start + '│'.len_utf8()..end].to_owned());
            }
        }
    }
    rows
}

/// Runs of spaces as one: a label and its description read as a phrase.
fn squeezed(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every line of the help at this size, read by scrolling it from the top
/// to the end one line at a time, as the user would.
fn read_through(width: u16, height: u16) -> Vec<String> {
    let mut state = help_open();
    state.update(Event::Resize { width, height }, t0());
    let mut lines = Vec::new();
    loop {
        let rows = overlay_rows(&state, width, height);
        let before = state.help_scroll;
        state.update(key(KeyCode::Down), t0());
        if state.help_scroll == before {
            lines.extend(rows);
            return lines;
        }
        lines.push(rows[0].clone());
    }
}

/// The left column's lines, then the right one's, when the help has two
/// (the second starts where "Commands" does on the first line).
fn in_reading_order(lines: Vec<String>) -> Vec<String> {
    let first: Vec<char> = lines[0].chars().collect();
    let heading: Vec<char> = "Commands".chars().collect();
    let Some(split) = (1..first.len()).find(|&i| first[i..].starts_with(&heading)) else {
        return lines;
    };
    let (mut left, mut right) = (Vec::new(), Vec::new());
    for line in &lines {
        let chars: Vec<char> = line.chars().collect();
        left.push(chars[..split].iter().collect::<String>());
        right.push(chars[split..].iter().collect::<String>());
    }
    left.extend(right);
    left
}

#[test]
fn every_key_command_and_mark_reads_whole_at_every_size() {
    let entries: Vec<_> = sections().into_iter().flat_map(|s| s.entries).collect();
    // Every third width, and both sides of where the second column appears
    // and of where the columns stop wrapping.
    let layout = crate::app::help::layout;
    let split = (50..=220).find(|&w| layout(w).two_columns).unwrap();
    let unwrapped = layout(220).width;
    let edges = [split - 1, split, unwrapped - 1, unwrapped];
    for width in (50..=220).step_by(3).chain(edges) {
        for height in (15..=60).step_by(9) {
            let lines = in_reading_order(read_through(width, height));
            let flowing = squeezed(&lines.join(" "));
            for entry in &entries {
                let label = entry.label;
                assert!(
                    lines.iter().any(|line| line.contains(label)),
                    "{width}×{height}: {label:?} is not whole on any line:\n{}",
                    lines.join("\n")
                );
                // Wrapped descriptions follow their label.
                let phrase = squeezed(&format!("{label} {}", entry.about));
                assert!(
                    flowing.contains(&phrase),
                    "{width}×{height}: {phrase:?} does not read whole:\n{}",
                    lines.join("\n")
                );
            }
        }
    }
}

#[test]
fn the_status_bar_points_at_the_help_until_it_is_opened() {
    let mut state = tui_state();
    connect(&mut state);
    at_sizes("help_hint", &mut state);
    let status_row = |state: &State| screen(state, 80, 24).lines().nth(22).unwrap().to_owned();
    state.update(Event::Resize { width: 80, height: 24 }, t0());
    assert!(status_row(&state).contains("F1 help"), "{}", status_row(&state));
    state.update(key(KeyCode::F(1)), t0());
    state.update(key(KeyCode::Esc), t0());
    assert!(!status_row(&state).contains("F1 help"), "{}", status_row(&state));
}
