//! Going from room to room: Alt-A to the next activity, a click in the
//! side panel, and the read marker each leaves behind.

use super::key::Key;
use super::testing::{arrive, t0, type_line};
use super::tests_calls::alice;
use super::*;
use crate::protocol::payload::encode_chat;

/// alice in `general` (on screen), `rust`, `ops`, `@bob`, `@carol`, with
/// unread lines in the rooms given: (room, calls alice).
fn with_unread(unread: &[(&str, bool)]) -> State {
    let mut state = alice();
    type_line(&mut state, "/join ops");
    type_line(&mut state, "/msg bob hi");
    type_line(&mut state, "/msg carol hi");
    keys::switch_to(&mut state, 0);
    for (n, (room, calls)) in unread.iter().enumerate() {
        let text = if *calls { "alice?" } else { "hello" };
        let (topic, user) = match room.strip_prefix('@') {
            Some(user) => ("dm/alice".to_owned(), user),
            None => (format!("chat/{room}"), "dave"),
        };
        arrive(
            &mut state,
            &topic,
            &encode_chat(&format!("u{n}"), user, text, t0(), Kind::Text),
        );
    }
    state
}

/// Rooms with unread lines: (room, whether a line calls alice).
type Unread<'a> = &'a [(&'a str, bool)];
/// (screen size, panel hidden by F2, column, row, the room on screen after)
type Click = ((u16, u16), bool, u16, u16, &'static str);
/// How a room is left.
type Leave = (&'static str, fn(&mut State));

fn names(state: &State) -> Vec<&str> {
    state.rooms.iter().map(|r| r.name.as_str()).collect()
}

#[test]
fn alt_a_goes_to_what_calls_first_then_to_any_activity() {
    // (unread, active before, where Alt-A goes)
    let table: [(Unread, usize, &str); 6] = [
        (&[("rust", false), ("@carol", true)], 0, "@carol"),
        (&[("rust", true), ("ops", true)], 0, "rust"),
        (&[("rust", true), ("ops", true)], 1, "ops"),
        (&[("rust", true), ("ops", false)], 2, "rust"),
        (&[("rust", false), ("ops", false)], 1, "ops"),
        (&[("ops", false)], 2, "ops"),
    ];
    for (unread, active, want) in table {
        let mut state = with_unread(unread);
        assert_eq!(names(&state), ["general", "rust", "ops", "@bob", "@carol"]);
        state.active = active;
        state.update(Event::Key(Key::alt('a')), t0());
        assert_eq!(state.rooms[state.active].name, want, "{unread:?} from {active}");
    }
}

#[test]
fn alt_a_with_nothing_unread_says_so_and_stays() {
    let mut state = with_unread(&[]);
    state.update(Event::Key(Key::alt('a')), t0());
    assert_eq!(state.active, 0);
    let last = state.rooms[0].entries.back();
    assert!(
        matches!(last, Some(room::Entry::Notice { text, .. }) if text == "no activity"),
        "{last:?}"
    );
}

#[test]
fn a_click_on_a_room_in_the_side_panel_goes_there() {
    // (screen size, panel hidden by F2, column, row, the room on screen after)
    let table: [Click; 9] = [
        ((80, 24), false, 60, 2, "general"),
        ((80, 24), false, 60, 4, "ops"),
        ((80, 24), false, 79, 6, "@carol"),
        ((80, 24), false, 56, 3, "rust"),
        ((80, 24), false, 55, 3, "general"), // the chat pane, left of the panel
        ((80, 24), false, 60, 1, "general"), // the "Rooms" heading
        ((80, 24), false, 60, 7, "general"), // below the rooms
        ((80, 24), true, 60, 3, "general"),
        ((50, 15), false, 40, 3, "general"), // too narrow: no panel
    ];
    for (size, hidden, column, row, want) in table {
        let mut state = with_unread(&[]);
        state.update(
            Event::Resize {
                width: size.0,
                height: size.1,
            },
            t0(),
        );
        if hidden {
            state.show_panel = Some(false);
        }
        state.update(Event::Click { column, row }, t0());
        assert_eq!(state.rooms[state.active].name, want, "{size:?} {column},{row}");
    }
}

#[test]
fn a_panel_too_short_for_every_room_takes_clicks_only_on_those_shown() {
    let mut state = with_unread(&[]);
    // A body of 8 rows: rooms get half of it, 4 lines.
    state.update(Event::Resize { width: 80, height: 11 }, t0());
    assert_eq!(layout::room_at(&state, 60, 5), Some(3));
    assert_eq!(layout::room_at(&state, 60, 6), None);
}

#[test]
fn leaving_a_room_by_key_click_or_join_sets_its_read_marker() {
    let leave: [Leave; 3] = [
        ("Alt-2", |s| drop(s.update(Event::Key(Key::alt('2')), t0()))),
        ("a click", |s| drop(s.update(Event::Click { column: 60, row: 3 }, t0()))),
        ("/join", |s| drop(type_line(s, "/join ops"))),
    ];
    for (how, leave) in leave {
        let mut state = with_unread(&[]);
        let read = state.rooms[0].entries.len();
        leave(&mut state);
        assert_ne!(state.active, 0, "{how}");
        arrive(
            &mut state,
            "chat/general",
            &encode_chat("n", "bob", "news", t0(), Kind::Text),
        );
        assert_eq!(state.rooms[0].unread_mark().map(|m| m.index), Some(read), "{how}");
    }
}

#[test]
fn a_topic_line_under_the_title_moves_the_rooms_a_row_down_for_clicks_too() {
    let mut state = with_unread(&[]);
    state.update(Event::Resize { width: 80, height: 24 }, t0());
    // Row 3 is the second room ("Rooms" heading on row 1) without a topic.
    assert_eq!(layout::room_at(&state, 60, 3), Some(1));
    let topic = crate::protocol::payload::encode_topic("general", "bob", "release on Friday", t0());
    arrive(&mut state, "topic/general", &topic);
    assert!(state.rooms[0].topic.is_some(), "the topic arrived");
    assert_eq!(state.rows_above_body(), 2);
    assert_eq!(layout::room_at(&state, 60, 3), Some(0));
    assert_eq!(layout::room_at(&state, 60, 4), Some(1));
    assert_eq!(layout::room_at(&state, 60, 2), None, "the heading");
}
