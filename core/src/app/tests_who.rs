//! `/who` lists one person per line, cut to the chat pane rather than wrapped.

use chrono::{DateTime, TimeDelta, Utc};
use unicode_width::UnicodeWidthStr;

use super::room::Entry;
use super::testing::{connect, line_state, t0, tui_state};
use super::*;
use crate::protocol::payload::PresenceOut;
use crate::protocol::{Reason, Status};

fn at(secs: i64) -> DateTime<Utc> {
    t0() + TimeDelta::seconds(secs)
}

fn person(
    state: &mut State,
    name: &str,
    status: Status,
    reason: Option<Reason>,
    message: Option<&str>,
    now: DateTime<Utc>,
) {
    let rooms = vec!["general".to_owned()];
    let mut p = PresenceOut::new(name, status, now, name);
    p.seq = Some(1);
    p.rooms = Some(&rooms);
    p.reason = reason;
    p.message = message;
    p.refresh = Some(60);
    let msg = NetEvent::Message {
        topic: format!("presence/{name}"),
        payload: bytes::Bytes::from(p.encode()),
        retained: false,
    };
    state.update(Event::Net(msg), now);
}

/// alice, bob online, carol away with a long message, dave gone with one.
fn with_people(mut state: State) -> State {
    connect(&mut state);
    person(&mut state, "bob", Status::Online, None, None, t0());
    let lunch = Some("at lunch with the whole team, back at three");
    person(&mut state, "carol", Status::Away, None, lunch, t0());
    let bye = Some("see you all tomorrow morning");
    person(&mut state, "dave", Status::Offline, Some(Reason::Quit), bye, t0());
    state
}

fn who_lines(state: &mut State) -> Vec<String> {
    let before = state.rooms[0].entries.len();
    let fx = state.update(Event::Line("/who *".into()), at(600));
    let reported = fx.iter().filter_map(|e| match e {
        Effect::Report(text) => Some(text.clone()),
        _ => None,
    });
    let shown = state.rooms[0].entries.iter().skip(before).filter_map(|e| match e {
        Entry::Notice { text, .. } => Some(text.clone()),
        _ => None,
    });
    reported.chain(shown).skip(1).collect()
}

#[test]
fn each_person_gets_one_line_that_fits_the_chat_pane() {
    // Pane widths: 50 (no side panel), 80 - 24, 120 - 24 columns.
    for (width, height, columns) in [(50, 15, 40), (80, 24, 46), (120, 35, 86)] {
        let mut state = with_people(tui_state());
        state.update(Event::Resize { width, height }, t0());
        let lines = who_lines(&mut state);
        assert_eq!(lines.len(), 4, "{width}: {lines:?}");
        for (line, name) in lines.iter().zip(["alice", "bob", "carol", "dave"]) {
            assert!(line.contains(name), "{width}: {line}");
            assert!(line.width() <= columns, "{width}: {line:?} is wider than {columns}");
        }
    }
}

#[test]
fn a_narrow_pane_drops_details_a_wide_one_and_line_mode_keep_them() {
    let mut narrow = with_people(tui_state());
    narrow.update(Event::Resize { width: 50, height: 15 }, t0());
    let mut wide = with_people(tui_state());
    wide.update(Event::Resize { width: 200, height: 60 }, t0());
    let full = [
        "  ● alice",
        "  ● bob",
        "  ◐ carol, away: at lunch with the whole team, back at three",
        "  ○ dave, left 10 min ago (see you all tomorrow morning)",
    ];
    assert_eq!(who_lines(&mut wide), full);
    assert_eq!(who_lines(&mut with_people(line_state())), full);
    assert_eq!(
        who_lines(&mut narrow),
        ["  ● alice", "  ● bob", "  ◐ carol, away", "  ○ dave, 10 min ago"]
    );
}
