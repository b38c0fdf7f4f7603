//! Presence through the state machine: notices in the rooms concerned, our
//! own presence (rooms, away, heartbeats), roll calls and self-repair.

use chrono::{DateTime, TimeDelta, Utc};

use super::room::Entry;
use super::testing::{connect, lose, publishes, reconnect, t0, tui_state, type_line};
use super::*;
use crate::protocol::payload::{decode_presence, PresenceOut};
use crate::protocol::{Reason, Status};

fn at(secs: i64) -> DateTime<Utc> {
    t0() + TimeDelta::seconds(secs)
}

fn deliver(state: &mut State, topic: &str, payload: &[u8], retained: bool, now: DateTime<Utc>) -> Vec<Effect> {
    let msg = NetEvent::Message {
        topic: topic.into(),
        payload: bytes::Bytes::copy_from_slice(payload),
        retained,
    };
    state.update(Event::Net(msg), now)
}

fn bob(status: Status, seq: u64, rooms: &[&str], reason: Option<Reason>, message: Option<&str>) -> Vec<u8> {
    let rooms: Vec<String> = rooms.iter().map(|r| r.to_string()).collect();
    let mut p = PresenceOut::new("bob", status, t0(), "b1");
    p.seq = (seq > 0).then_some(seq); // a will has none
    p.rooms = Some(&rooms);
    p.reason = reason;
    p.message = message;
    p.refresh = Some(60);
    p.encode()
}

fn notices(state: &State, room: usize) -> Vec<String> {
    state.rooms[room]
        .entries
        .iter()
        .filter_map(|e| match e {
            Entry::Notice { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

fn own_presence(fx: &[Effect]) -> Vec<crate::protocol::PresenceIn> {
    publishes(fx)
        .iter()
        .filter(|p| p.topic == "presence/alice")
        .map(|p| decode_presence(&p.payload).unwrap())
        .collect()
}

#[test]
fn notices_land_only_in_the_rooms_the_person_is_in() {
    let mut state = tui_state(); // alice in general and rust
    connect(&mut state);
    state.active = 1; // rust on screen
    let before = (notices(&state, 0).len(), notices(&state, 1).len());
    deliver(
        &mut state,
        "presence/bob",
        &bob(Status::Online, 1, &["general"], None, None),
        false,
        at(1),
    );
    let quit = bob(Status::Offline, 2, &["general"], Some(Reason::Quit), Some("gotta go"));
    deliver(&mut state, "presence/bob", &quit, false, at(2));
    assert_eq!(
        notices(&state, 0)[before.0..],
        ["bob is online".to_owned(), "bob left (gotta go)".to_owned()]
    );
    assert_eq!(
        notices(&state, 1).len(),
        before.1,
        "nothing in #rust, where bob never was"
    );
}

#[test]
fn a_lost_connection_reads_differently_and_reaches_an_open_direct_conversation() {
    let mut state = tui_state();
    connect(&mut state);
    deliver(
        &mut state,
        "presence/bob",
        &bob(Status::Online, 1, &["rust"], None, None),
        false,
        at(1),
    );
    type_line(&mut state, "/msg bob hi");
    let direct = state.rooms.iter().position(|r| r.name == "@bob").unwrap();
    let will = bob(Status::Offline, 0, &[], Some(Reason::Lost), None);
    deliver(&mut state, "presence/bob", &will, false, at(2));
    assert_eq!(notices(&state, 1).last().unwrap(), "bob lost the connection");
    assert_eq!(notices(&state, direct).last().unwrap(), "bob lost the connection");
}

#[test]
fn joining_and_parting_are_told_in_that_room_and_the_state_found_on_arrival_is_no_news() {
    let mut state = tui_state();
    connect(&mut state);
    let count = |s: &State| notices(s, 0).len() + notices(s, 1).len();
    let quiet = count(&state);
    deliver(
        &mut state,
        "presence/bob",
        &bob(Status::Online, 3, &["general"], None, None),
        true,
        at(1),
    );
    assert_eq!(count(&state), quiet, "retained: learnt, not news");
    deliver(
        &mut state,
        "presence/bob",
        &bob(Status::Online, 4, &["general", "rust"], None, None),
        false,
        at(2),
    );
    assert_eq!(notices(&state, 1).last().unwrap(), "bob joined #rust");
    deliver(
        &mut state,
        "presence/bob",
        &bob(Status::Online, 5, &["rust"], None, None),
        false,
        at(3),
    );
    assert_eq!(notices(&state, 0).last().unwrap(), "bob left #general");
    let names = |room| {
        state
            .people
            .in_room(room)
            .iter()
            .map(|p| p.name.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(names("rust"), ["alice", "bob"]);
    assert_eq!(names("general"), ["alice"]);
    // A roll-call answer (a repeat) of someone not seen before is no news either.
    let mut carol = PresenceOut::new("carol", Status::Online, t0(), "c1");
    carol.seq = Some(1);
    carol.repeat = true;
    let rooms = vec!["general".to_owned()];
    carol.rooms = Some(&rooms);
    let quiet = count(&state);
    deliver(&mut state, "presence/carol", &carol.encode(), false, at(4));
    assert_eq!(count(&state), quiet);
    assert!(state.people.get("carol").unwrap().is_in("general"));
}

#[test]
fn our_presence_says_our_rooms_and_follows_join_part_away_and_back() {
    let mut state = tui_state();
    let fx = connect(&mut state);
    let first = &own_presence(&fx)[0];
    assert_eq!(
        first.rooms.as_deref(),
        Some(&["general".to_owned(), "rust".to_owned()][..])
    );
    assert_eq!((first.seq, first.refresh), (Some(1), Some(REFRESH_SECS)));
    let joined = own_presence(&type_line(&mut state, "/join ops"));
    assert_eq!(joined[0].rooms.as_ref().unwrap().len(), 3);
    assert_eq!(joined[0].seq, Some(2));
    let parted = own_presence(&type_line(&mut state, "/part rust"));
    assert_eq!(
        parted[0].rooms.as_deref(),
        Some(&["general".to_owned(), "ops".to_owned()][..])
    );
    let away = own_presence(&type_line(&mut state, "/away lunch"));
    assert_eq!(
        (away[0].status, away[0].message.as_deref()),
        (Status::Away, Some("lunch"))
    );
    assert_eq!(state.people.get("alice").unwrap().status, Status::Away);
    let back = own_presence(&type_line(&mut state, "/back"));
    assert_eq!((back[0].status, back[0].message.as_deref()), (Status::Online, None));
}

#[test]
fn auto_away_after_idle_and_the_next_key_brings_us_back() {
    let mut settings = crate::settings::Settings::for_test("alice", &["general"], crate::settings::Mode::Tui);
    settings.auto_away = Some(std::time::Duration::from_secs(300));
    let mut state = State::new(settings, t0(), 0);
    connect(&mut state);
    assert_eq!(state.wake_at(), Some(t0()), "the first heartbeat is due at once");
    state.update(Event::Wake, t0());
    state.update(Event::Wake, at(2)); // the roll-call check
    assert_eq!(state.wake_at(), Some(at(15)), "then the sweep");
    let fx = state.update(Event::Wake, at(300));
    assert_eq!(own_presence(&fx)[0].status, Status::Away);
    let fx = state.update(Event::Key(key::Key::plain(key::KeyCode::Char('x'))), at(301));
    assert_eq!(own_presence(&fx)[0].status, Status::Online);
}

#[test]
fn heartbeats_go_out_every_refresh_and_are_cleared_on_quit() {
    let mut state = tui_state();
    connect(&mut state);
    let beats = |fx: &[Effect]| {
        publishes(fx)
            .iter()
            .filter(|p| p.topic == "presence/alice/alive")
            .count()
    };
    let mut sent = 0;
    let mut now = t0();
    while now <= at(600) {
        sent += beats(&state.update(Event::Wake, now));
        now = state.wake_at().unwrap();
    }
    assert_eq!(sent, 11, "at 0, 60, …, 600 s");
    let fx = state.update(Event::Quit, now);
    let p = publishes(&fx);
    assert_eq!(p[0].topic, "presence/alice");
    let off = decode_presence(&p[0].payload).unwrap();
    assert_eq!((off.status, off.reason), (Status::Offline, Some(Reason::Quit)));
    assert!(p[1].topic == "presence/alice/alive" && p[1].payload.is_empty() && p[1].retain);
}

#[test]
fn five_thousand_forged_offlines_are_answered_once_per_interval() {
    let mut state = tui_state();
    connect(&mut state);
    let forged = crate::protocol::payload::encode_presence("alice", Status::Offline, t0(), "forger");
    let mut online_again = 0;
    for i in 0..5000 {
        let now = t0() + TimeDelta::milliseconds(i * 10); // 50 s of flood
        let mut fx = deliver(&mut state, "presence/alice", &forged, false, now);
        if state.wake_at().is_some_and(|w| w <= now) {
            fx.extend(state.update(Event::Wake, now));
        }
        online_again += own_presence(&fx).len();
    }
    assert!((5..=6).contains(&online_again), "{online_again} republished in 50 s");
    assert_eq!(state.people.get("alice").unwrap().status, Status::Online);
}

#[test]
fn a_roll_call_goes_out_only_when_our_retained_presence_does_not_come_back() {
    let roll_calls = |fx: &[Effect]| publishes(fx).iter().filter(|p| p.topic.ends_with("/rollcall")).count();
    // mosquitto: our retained online comes back through presence/+.
    let mut state = tui_state();
    let fx = connect(&mut state);
    let ours = publishes(&fx)[0].payload.clone();
    deliver(&mut state, "presence/alice", &ours, true, at(0));
    let mut sent = 0;
    for s in 0..5 {
        sent += roll_calls(&state.update(Event::Wake, at(s)));
    }
    assert_eq!(sent, 0);
    // A broker without retained delivery to wildcards: nothing comes back.
    let mut state = tui_state();
    connect(&mut state);
    let mut sent = 0;
    for s in 0..5 {
        sent += roll_calls(&state.update(Event::Wake, at(s)));
    }
    assert_eq!(sent, 1);
}

#[test]
fn roll_calls_are_answered_to_each_asker_once_after_a_jitter_with_a_repeat() {
    let mut state = tui_state();
    connect(&mut state);
    state.update(Event::Wake, t0());
    state.update(Event::Wake, t0() + TimeDelta::milliseconds(500)); // past the roll-call check
    let answers = |fx: &[Effect]| -> Vec<(String, crate::protocol::PresenceIn)> {
        publishes(fx)
            .iter()
            .filter(|p| p.topic.starts_with("presence/alice/answer/"))
            .map(|p| {
                assert!(!p.retain, "an answer is for the asker only");
                (p.topic.clone(), decode_presence(&p.payload).unwrap())
            })
            .collect()
    };
    let call = |who: &str, session: &str| crate::protocol::payload::encode_beacon(who, session, t0());
    deliver(
        &mut state,
        "presence/carol/rollcall",
        &call("carol", "c1"),
        false,
        at(1),
    );
    deliver(&mut state, "presence/dave/rollcall", &call("dave", "d1"), false, at(1));
    deliver(
        &mut state,
        "presence/carol/rollcall",
        &call("carol", "c1"),
        false,
        at(1),
    );
    let due = state.wake_at().unwrap();
    assert!(due >= at(1) && due <= at(1) + TimeDelta::milliseconds(300), "{due}");
    let sent = answers(&state.update(Event::Wake, due));
    let topics: Vec<&str> = sent.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(topics, ["presence/alice/answer/carol", "presence/alice/answer/dave"]);
    assert!(sent[0].1.repeat);
    assert_eq!(sent[0].1.seq, Some(1), "a repeat is not a change");
    // carol asking again at once is not answered again; a new asker is.
    deliver(
        &mut state,
        "presence/carol/rollcall",
        &call("carol", "c1"),
        false,
        at(3),
    );
    deliver(&mut state, "presence/erin/rollcall", &call("erin", "e1"), false, at(3));
    let sent = answers(&state.update(Event::Wake, at(3) + TimeDelta::milliseconds(600)));
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, "presence/alice/answer/erin");
    deliver(
        &mut state,
        "presence/carol/rollcall",
        &call("carol", "c1"),
        false,
        at(9),
    );
    let sent = answers(&state.update(Event::Wake, at(9) + TimeDelta::milliseconds(600)));
    assert_eq!(sent.len(), 1, "after the quiet time carol is answered again");
}

#[test]
fn answers_to_our_roll_call_fill_the_list_without_notices() {
    let mut state = tui_state();
    connect(&mut state);
    let mut bob = PresenceOut::new("bob", Status::Online, t0(), "b1");
    bob.seq = Some(1);
    bob.repeat = true;
    let rooms = vec!["general".to_owned()];
    bob.rooms = Some(&rooms);
    let quiet = notices(&state, 0).len();
    deliver(&mut state, "presence/bob/answer/alice", &bob.encode(), false, at(2));
    assert!(state.people.get("bob").unwrap().is_in("general"));
    assert_eq!(notices(&state, 0).len(), quiet);
    // Answers meant for someone else are not ours to read.
    deliver(&mut state, "presence/carol/answer/zed", &bob.encode(), false, at(2));
    assert!(state.people.get("carol").is_none());
}

#[test]
fn unreadable_presence_is_pointed_out_once_per_name_and_for_few_names() {
    let mut state = tui_state();
    connect(&mut state);
    let before = notices(&state, 0).len();
    for round in 0..3 {
        for n in 0..40 {
            deliver(
                &mut state,
                &format!("presence/junk{n}"),
                b"\x00garbage{",
                false,
                at(round),
            );
        }
    }
    let said = &notices(&state, 0)[before..];
    assert_eq!(said.len(), 16, "{said:?}");
    assert!(said[0].starts_with("unreadable presence for junk0"));
    assert!(state.people.get("junk0").is_none());
}

#[test]
fn after_a_reconnect_the_list_is_rebuilt_and_unknown_meanwhile() {
    let mut state = tui_state();
    connect(&mut state);
    deliver(
        &mut state,
        "presence/bob",
        &bob(Status::Online, 1, &["general"], None, None),
        false,
        at(1),
    );
    assert!(state.presence_known());
    lose(&mut state, std::time::Duration::from_secs(1));
    assert!(!state.presence_known(), "while disconnected, who is here is unknown");
    let quiet = notices(&state, 0).len();
    reconnect(&mut state, "s2");
    assert!(
        state.people.get("bob").is_none(),
        "bob is listed again only if the broker says so"
    );
    deliver(
        &mut state,
        "presence/bob",
        &bob(Status::Online, 1, &["general"], None, None),
        true,
        at(2),
    );
    assert!(state.people.get("bob").is_some());
    assert!(
        !notices(&state, 0)[quiet..].iter().any(|n| n.contains("bob")),
        "no notice for someone who merely reconnected: {:?}",
        notices(&state, 0)
    );
}
