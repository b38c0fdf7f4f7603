//! History: what each room shows at start, what was said while we were
//! away, what is kept on disk, and the rules of a room's markers.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::room::{Entry, Message, Origin, Room, MAX_READ_BACK};
use super::testing::{connect, connect_over, link, lose, publishes, t0, type_line};
use super::*;
use crate::protocol::payload::encode_chat;
use crate::settings::Spoken;

/// alice with history on: in `general` and `rust` (the UI), in `general` (line mode).
pub(super) fn history_state(mode: Mode) -> State {
    let rooms: &[&str] = match mode {
        Mode::Tui => &["general", "rust"],
        Mode::Line { .. } => &["general"],
    };
    let mut settings = Settings::for_test("alice", rooms, mode);
    settings.store_history = true;
    settings.bell = true;
    State::new(settings, t0(), 0)
}

pub(super) fn ago(minutes: i64) -> DateTime<Utc> {
    t0() - TimeDelta::minutes(minutes)
}

pub(super) fn chat(id: &str, user: &str, text: &str, ts: DateTime<Utc>) -> Vec<u8> {
    encode_chat(id, user, text, ts, Kind::Text)
}

/// A message arriving on `topic` at `now`.
pub(super) fn arrive_at(state: &mut State, topic: &str, payload: &[u8], now: DateTime<Utc>) -> Vec<Effect> {
    let msg = NetEvent::Message {
        topic: topic.into(),
        payload: bytes::Bytes::copy_from_slice(payload),
        retained: false,
    };
    state.update(Event::Net(msg), now)
}

pub(super) fn kept(room: &str, id: &str, text: &str, time: DateTime<Utc>) -> Kept {
    Kept {
        room: room.into(),
        id: id.into(),
        user: Some("bob".into()),
        text: text.into(),
        action: false,
        time,
        own: false,
        mark: None,
        sealed: false,
    }
}

pub(super) fn stores(fx: &[Effect]) -> Vec<&Kept> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Store(k) => Some(k),
            _ => None,
        })
        .collect()
}

/// A room's entries in a word each: `History k1`, `-- history above`, `! notice`.
pub(super) fn layout(room: &Room) -> Vec<String> {
    room.entries
        .iter()
        .map(|e| match e {
            Entry::Message(m) => format!("{:?} {}", m.origin, m.text),
            Entry::Marker { text, .. } => format!("-- {text}"),
            Entry::Notice { text, .. } => format!("! {text}"),
        })
        .collect()
}

/// The message with this text in room `index`.
pub(super) fn message<'a>(state: &'a State, index: usize, text: &str) -> &'a Message {
    state.rooms[index]
        .entries
        .iter()
        .find_map(|e| match e {
            Entry::Message(m) if m.text == text => Some(m),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no {text:?} in {:?}", layout(&state.rooms[index])))
}

fn resumed() -> LinkInfo {
    LinkInfo {
        resumed: true,
        ..link(Spoken::V311)
    }
}

#[test]
fn started_loads_each_rooms_history_in_the_ui_only() {
    let load = |room: &str| Effect::LoadHistory {
        room: room.into(),
        before: None,
    };
    let mut off = history_state(Mode::Tui);
    off.settings.store_history = false;
    let cases = [
        (history_state(Mode::Tui), vec![load("general"), load("rust")]),
        (history_state(Mode::Line { json: false }), vec![]),
        (history_state(Mode::Line { json: true }), vec![]),
        (off, vec![]),
    ];
    for (mut state, want) in cases {
        assert_eq!(state.update(Event::Started, t0()), want, "{:?}", state.settings.mode);
    }
}

#[test]
fn loaded_history_goes_above_one_marker_dimmed_and_quiet() {
    let mut state = history_state(Mode::Tui);
    arrive_at(&mut state, "chat/general", &chat("l1", "bob", "live", t0()), t0());
    let loaded = |room: &str, ids: &[(&str, i64)]| {
        let messages = ids
            .iter()
            .map(|&(id, m)| kept(room, id, &format!("{id} hi alice"), ago(m)))
            .collect();
        Event::History(HistoryEvent::Loaded {
            room: room.into(),
            messages,
            older: false,
        })
    };
    let fx = state.update(loaded("general", &[("k1", 30), ("k2", 20)]), t0());
    assert!(fx.is_empty(), "nothing stored again, no bell: {fx:?}");
    let fx = state.update(loaded("rust", &[("r1", 10)]), t0());
    assert!(fx.is_empty(), "{fx:?}");
    assert_eq!(
        layout(&state.rooms[0]),
        [
            "History k1 hi alice",
            "History k2 hi alice",
            "-- history above",
            "Live live"
        ]
    );
    assert_eq!(layout(&state.rooms[1]), ["History r1 hi alice", "-- history above"]);
    let k1 = message(&state, 0, "k1 hi alice");
    assert_eq!((k1.time, k1.mention, k1.own.clone()), (ago(30), false, None));
    assert_eq!((state.rooms[1].unread, state.rooms[1].mentioned), (0, false));
    // A second page of the latest goes above the same marker, in time order.
    state.update(loaded("general", &[("k0", 40), ("k3", 15)]), t0());
    assert_eq!(
        layout(&state.rooms[0])[..5],
        [
            "History k0 hi alice",
            "History k1 hi alice",
            "History k2 hi alice",
            "History k3 hi alice",
            "-- history above"
        ]
    );
    // The same message arriving live is not shown twice, nor kept again.
    let fx = arrive_at(
        &mut state,
        "chat/general",
        &chat("k2", "bob", "k2 hi alice", ago(20)),
        t0(),
    );
    assert!(fx.is_empty(), "{fx:?}");
    assert_eq!(state.rooms[0].entries.len(), 6);
    // History for a room we are not in opens none.
    state.update(loaded("nowhere", &[("x", 1)]), t0());
    assert_eq!(state.rooms.len(), 2);
}

#[test]
fn what_was_sent_while_away_goes_under_a_marker_in_send_order_without_a_bell() {
    let mut state = history_state(Mode::Tui);
    connect_over(&mut state, resumed());
    let arrivals = [
        ("c2", ago(2), "c2 alice?"),
        ("c3", ago(1), "c3"),
        ("c1", ago(4), "c1 alice!"),
        ("l1", t0() + TimeDelta::seconds(1), "l1 alice"),
    ];
    let mut bells = Vec::new();
    for (id, ts, text) in arrivals {
        let fx = arrive_at(&mut state, "chat/general", &chat(id, "bob", text, ts), t0());
        bells.push(fx.contains(&Effect::Bell));
        assert_eq!(stores(&fx).len(), 1, "{id}: kept all the same");
    }
    assert_eq!(bells, [false, false, false, true], "only the live mention rings");
    let shown = layout(&state.rooms[0]);
    assert_eq!(
        shown[1..],
        [
            "-- 3 messages while you were away",
            "CaughtUp c1 alice!",
            "CaughtUp c2 alice?",
            "CaughtUp c3",
            "Live l1 alice"
        ]
    );
    let Some(Entry::Marker { time, .. }) = state.rooms[0].entries.get(1) else {
        panic!("{shown:?}")
    };
    assert_eq!(*time, ago(4), "the marker is as old as the oldest caught up");
    // Away again: the next session's catch-up has a marker of its own.
    lose(&mut state, Duration::from_secs(1));
    let t1 = t0() + TimeDelta::minutes(10);
    let again = NetEvent::Connected {
        session: "s2".into(),
        link: resumed(),
    };
    state.update(Event::Net(again), t1);
    state.update(Event::Net(NetEvent::Subscribed { refused: 0 }), t1);
    let ts = t0() + TimeDelta::minutes(5);
    let fx = arrive_at(&mut state, "chat/general", &chat("c4", "bob", "c4 alice", ts), t1);
    assert!(!fx.contains(&Effect::Bell), "{fx:?}");
    let shown = layout(&state.rooms[0]);
    assert_eq!(shown.iter().filter(|l| l.starts_with("-- ")).count(), 2, "{shown:?}");
    assert_eq!(
        shown[shown.len() - 2..],
        ["-- 1 message while you were away", "CaughtUp c4 alice"]
    );
    assert_eq!(shown[1], "-- 3 messages while you were away", "the first is as it was");
}

#[test]
fn two_caught_up_messages_say_so_and_a_new_session_is_live() {
    let mut state = history_state(Mode::Tui);
    connect_over(&mut state, resumed());
    arrive_at(&mut state, "chat/rust", &chat("b", "bob", "b", ago(1)), t0());
    arrive_at(&mut state, "chat/rust", &chat("a", "bob", "a", ago(3)), t0());
    assert_eq!(
        layout(&state.rooms[1]),
        ["-- 2 messages while you were away", "CaughtUp a", "CaughtUp b"]
    );
    assert_eq!(state.rooms[1].unread, 2);
    // Without a resumed session, an old (believable) time is simply live.
    let mut fresh = history_state(Mode::Tui);
    connect(&mut fresh);
    arrive_at(&mut fresh, "chat/general", &chat("o", "bob", "old", ago(3)), t0());
    let old = message(&fresh, 0, "old");
    assert_eq!((old.origin, old.time, old.skewed), (Origin::Live, ago(3), false));
    assert!(!layout(&fresh.rooms[0]).iter().any(|l| l.starts_with("-- ")));
}

#[test]
fn a_caught_up_time_is_believed_further_back_than_a_live_one() {
    // (resumed, ts, origin, time shown, skewed)
    let cases = [
        (true, ago(20), Origin::CaughtUp, ago(20), false),
        (true, ago(60 * 24), Origin::CaughtUp, ago(60 * 24), false),
        (true, t0() + TimeDelta::minutes(20), Origin::Live, t0(), true),
        (false, ago(20), Origin::Live, t0(), true),
        (false, ago(4), Origin::Live, ago(4), false),
        (true, ago(60 * 24 * 9), Origin::Live, t0(), true),
    ];
    for (resumed_session, ts, origin, time, skewed) in cases {
        let mut state = history_state(Mode::Tui);
        connect_over(
            &mut state,
            LinkInfo {
                resumed: resumed_session,
                ..link(Spoken::V311)
            },
        );
        arrive_at(&mut state, "chat/general", &chat("m", "bob", "m", ts), t0());
        let m = message(&state, 0, "m");
        assert_eq!(
            (m.origin, m.time, m.skewed),
            (origin, time, skewed),
            "{resumed_session} {ts}"
        );
    }
}

#[test]
fn every_new_message_and_each_of_ours_once_acked_is_kept() {
    for store_history in [true, false] {
        let mut state = history_state(Mode::Tui);
        state.settings.store_history = store_history;
        connect(&mut state);
        let mut all = Vec::new();
        all.extend(arrive_at(
            &mut state,
            "chat/general",
            &chat("g1", "bob", "hi", ago(1)),
            t0(),
        ));
        all.extend(arrive_at(
            &mut state,
            "dm/alice",
            &chat("d1", "bob", "psst", ago(1)),
            t0(),
        ));
        let again = arrive_at(&mut state, "chat/general", &chat("g1", "bob", "hi", ago(1)), t0());
        assert!(stores(&again).is_empty(), "a duplicate is not kept twice");
        let fx = type_line(&mut state, "mine");
        let sent = publishes(&fx)[0].clone();
        // The broker's echo is ours already: it is kept once acked.
        all.extend(arrive_at(&mut state, "chat/general", &sent.payload, t0()));
        all.extend(state.update(Event::Net(NetEvent::Acked(sent.tag)), t0()));
        let ours = crate::protocol::payload::decode_chat(&sent.payload);
        let own = Kept {
            room: "general".into(),
            id: ours.id.clone().unwrap(),
            user: Some("alice".into()),
            text: "mine".into(),
            action: false,
            time: t0(),
            own: true,
            mark: None,
            sealed: false,
        };
        let want = if store_history {
            vec![
                kept("general", "g1", "hi", ago(1)),
                kept("@bob", "d1", "psst", ago(1)),
                own,
            ]
        } else {
            vec![]
        };
        assert_eq!(stores(&all).into_iter().cloned().collect::<Vec<_>>(), want);
    }
}

#[test]
fn line_mode_keeps_what_it_prints() {
    let mut state = history_state(Mode::Line { json: false });
    connect(&mut state);
    let fx = arrive_at(&mut state, "chat/general", &chat("g1", "bob", "hi", ago(1)), t0());
    assert_eq!(stores(&fx), [&kept("general", "g1", "hi", ago(1))]);
    assert!(fx.iter().any(|e| matches!(e, Effect::Print(Record::Message { .. }))));
}

fn at(seconds: i64) -> Message {
    let mut m = kept("r", &format!("m{seconds}"), &format!("m{seconds}"), ago(0)).to_message();
    m.time = t0() + TimeDelta::seconds(seconds);
    m
}

fn notice(text: &str) -> Entry {
    Entry::Notice {
        time: t0(),
        text: text.into(),
    }
}

#[test]
fn markers_follow_their_entries_as_the_cap_drops_the_oldest() {
    let mut room = Room::new("r", 4, (1, 2));
    room.add_history(vec![at(-20), at(-10)]);
    for n in ["n1", "n2", "n3"] {
        room.push(notice(n)); // n2 and n3 drop m-20 and m-10
    }
    assert_eq!(layout(&room), ["-- history above", "! n1", "! n2", "! n3"]);
    // Still one marker, and more history goes above it.
    room.add_history(vec![at(-30)]);
    assert_eq!(
        layout(&room),
        ["History m-30", "-- history above", "! n1", "! n2", "! n3"]
    );
    room.push(notice("n4")); // drops m-30
    room.push(notice("n5")); // drops the marker
    assert_eq!(layout(&room), ["! n1", "! n2", "! n3", "! n4", "! n5"]);
    room.add_history(vec![at(-40)]);
    assert_eq!(layout(&room)[..3], ["History m-40", "-- history above", "! n1"]);

    let mut room = Room::new("r", 4, (1, 2));
    room.push(notice("n1"));
    room.push(notice("n2"));
    room.add_caught_up(caught_up(-2));
    room.push(notice("n3")); // drops n1
    room.add_caught_up(caught_up(-3)); // drops n2, goes above m-2
    assert_eq!(
        layout(&room),
        [
            "-- 2 messages while you were away",
            "CaughtUp m-3",
            "CaughtUp m-2",
            "! n3"
        ]
    );
    room.add_caught_up(caught_up(-1)); // drops the marker
    assert_eq!(layout(&room), ["CaughtUp m-3", "CaughtUp m-2", "CaughtUp m-1", "! n3"]);
}

fn caught_up(seconds: i64) -> Message {
    Message {
        origin: Origin::CaughtUp,
        ..at(seconds)
    }
}

#[test]
fn messages_caught_up_out_of_order_stay_within_the_cap() {
    let mut room = Room::new("r", 10, (1, 2));
    for n in 0..1000 {
        room.add_caught_up(caught_up(-n));
    }
    assert_eq!(room.entries.len(), 10);
}

#[test]
fn history_never_grows_a_room_beyond_its_cap_and_the_read_back() {
    let limit = 3 + MAX_READ_BACK;
    let many = |n: i64| (0..n).map(|s| at(s - n)).collect::<Vec<_>>();
    let mut room = Room::new("r", 3, (1, 2));
    room.add_history(many(limit as i64 + 50));
    assert_eq!(room.entries.len(), limit);
    room.add_history(many(10));
    assert_eq!(room.entries.len(), limit);
    room.push(notice("n"));
    assert_eq!(room.entries.len(), limit, "one in, one out");
    // Full of older pages, without a marker yet: no bare marker either.
    let mut room = Room::new("r", 3, (1, 2));
    assert!(!room.add_older(many(limit as i64 + 1)));
    assert_eq!(room.entries.len(), limit);
    room.add_history(many(1));
    assert_eq!(room.entries.len(), limit);
    assert!(!layout(&room).contains(&"-- history above".to_owned()));
}
