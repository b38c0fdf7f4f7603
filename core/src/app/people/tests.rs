use chrono::TimeDelta;

use super::*;
use crate::app::testing::t0;
use crate::protocol::Reason;

fn online(session: &str, seq: u64, rooms: &[&str]) -> PresenceIn {
    PresenceIn {
        status: Status::Online,
        ts: Some(t0()),
        session: Some(session.into()),
        seq: Some(seq),
        rooms: Some(rooms.iter().map(|r| r.to_string()).collect()),
        refresh: Some(60),
        ..PresenceIn::default()
    }
}

fn offline(session: &str, reason: Option<Reason>, message: Option<&str>, ts: DateTime<Utc>) -> PresenceIn {
    PresenceIn {
        status: Status::Offline,
        ts: Some(ts),
        session: Some(session.into()),
        reason,
        message: message.map(str::to_owned),
        ..PresenceIn::default()
    }
}

fn changes(applied: Applied) -> Vec<Change> {
    match applied {
        Applied::Changes(c) => c,
        other => panic!("expected changes, got {other:?}"),
    }
}

#[test]
fn quit_and_lost_are_told_apart_with_the_rooms_they_were_in() {
    let mut people = People::new(10);
    people.apply("bob", &online("s1", 1, &["general", "rust"]), t0());
    let quit = offline("s1", Some(Reason::Quit), Some("gotta go"), t0() + TimeDelta::minutes(5));
    assert_eq!(
        changes(people.apply("bob", &quit, t0() + TimeDelta::minutes(5))),
        [Change::Left {
            departure: Departure::Quit(Some("gotta go".into())),
            rooms: vec!["general".into(), "rust".into()],
        }]
    );
    people.apply("carol", &online("c1", 1, &["general"]), t0());
    let will = offline("c1", Some(Reason::Lost), None, t0());
    assert_eq!(
        changes(people.apply("carol", &will, t0() + TimeDelta::minutes(9))),
        [Change::Left {
            departure: Departure::Lost,
            rooms: vec!["general".into()],
        }]
    );
}

#[test]
fn last_seen_of_a_lost_connection_is_its_last_heartbeat_not_the_will_time() {
    let mut people = People::new(10);
    // Seen live: the heartbeat came at 14:07, the will (stamped at connect, 14:00) at 14:09.
    people.apply("bob", &online("s1", 1, &[]), t0());
    people.heartbeat("bob", "s1", t0() + TimeDelta::minutes(7));
    let will = offline("s1", Some(Reason::Lost), None, t0());
    people.apply("bob", &will, t0() + TimeDelta::minutes(9));
    assert_eq!(people.get("bob").unwrap().since, t0() + TimeDelta::minutes(7));
    // A late joiner gets the retained will and the retained heartbeat, in either order.
    for heartbeat_first in [false, true] {
        let mut late = People::new(10);
        let now = t0() + TimeDelta::hours(1);
        if heartbeat_first {
            late.heartbeat("bob", "s1", t0() + TimeDelta::minutes(7));
        }
        late.apply("bob", &will, now);
        if !heartbeat_first {
            late.heartbeat("bob", "s1", t0() + TimeDelta::minutes(7));
        }
        let bob = late.get("bob").unwrap();
        assert_eq!((bob.status, bob.since), (Status::Offline, t0() + TimeDelta::minutes(7)));
        // Another session's heartbeat says nothing about this one.
        late.heartbeat("bob", "other", t0() + TimeDelta::minutes(30));
        assert_eq!(late.get("bob").unwrap().since, t0() + TimeDelta::minutes(7));
    }
}

#[test]
fn repeats_and_replays_change_nothing_so_a_bridge_loop_yields_one_change_each() {
    let mut people = People::new(10);
    let now = t0() + TimeDelta::minutes(1);
    let on = online("s1", 1, &["general"]);
    let joined = online("s1", 2, &["general", "rust"]);
    let quit = offline("s1", Some(Reason::Quit), None, now);
    let mut seen = Vec::new();
    // The loop delivers everything over and over, old ones after new ones.
    for _ in 0..50 {
        for p in [&on, &joined, &quit, &on, &joined] {
            if let Applied::Changes(c) = people.apply("bob", p, now) {
                seen.extend(c);
            }
        }
    }
    assert_eq!(
        seen,
        [
            Change::Came {
                rooms: vec!["general".into()]
            },
            Change::Joined("rust".into()),
            Change::Left {
                departure: Departure::Quit(None),
                rooms: vec!["general".into(), "rust".into()],
            },
        ]
    );
    // A session forgotten long ago is judged by time: older than the last offline.
    for i in 0..20 {
        let id = format!("n{i}");
        people.apply("bob", &online(&id, 1, &[]), now);
        people.apply("bob", &offline(&id, Some(Reason::Quit), None, now), now);
    }
    let mut ancient = online("s1", 1, &[]);
    ancient.ts = Some(t0());
    assert_eq!(people.apply("bob", &ancient, now), Applied::Ignored);
}

#[test]
fn sessions_whose_heartbeats_stop_expire_to_offline_at_their_last_sign_of_life() {
    let mut people = People::new(10);
    people.apply("bob", &online("s1", 1, &["general"]), t0());
    people.heartbeat("bob", "s1", t0() + TimeDelta::seconds(60));
    assert!(
        people.expire(t0() + TimeDelta::seconds(200)).is_empty(),
        "within 2 refreshes + slack"
    );
    let gone = people.expire(t0() + TimeDelta::seconds(60 + 151));
    assert_eq!(gone, [("bob".to_owned(), vec!["general".to_owned()])]);
    let bob = people.get("bob").unwrap();
    assert_eq!(bob.status, Status::Offline);
    assert_eq!(bob.departure, Some(Departure::Expired));
    assert_eq!(bob.since, t0() + TimeDelta::seconds(60));
    assert_eq!(people.online(), 0);
    // Alive after all (a suspended laptop whose connection survived): back, with its rooms.
    assert_eq!(
        people.heartbeat("bob", "s1", t0() + TimeDelta::seconds(300)),
        Some(vec!["general".to_owned()])
    );
    assert_eq!(people.get("bob").unwrap().status, Status::Online);
    assert_eq!(people.online(), 1);
    // Clients that announce no refresh never expire.
    let mut plain = People::new(10);
    plain.apply("old", &PresenceIn::default_online(), t0());
    assert!(plain.expire(t0() + TimeDelta::days(2)).is_empty());
}

#[test]
fn plain_words_list_people_with_rooms_unknown_and_notices_follow_where_they_spoke() {
    let mut people = People::new(10);
    let on = crate::protocol::payload::decode_presence(b"online").unwrap();
    assert!(matches!(people.apply("py", &on, t0()), Applied::Changes(_)));
    let py = people.get("py").unwrap();
    assert_eq!(py.status, Status::Online);
    assert!(!py.rooms_known());
    assert!(!py.is_in("general"));
    people.spoke("py", "general");
    assert!(people.get("py").unwrap().is_in("general"));
    let off = crate::protocol::payload::decode_presence(b"offline").unwrap();
    assert_eq!(
        changes(people.apply("py", &off, t0())),
        [Change::Left {
            departure: Departure::Unsaid,
            rooms: vec!["general".into()],
        }]
    );
}

#[test]
fn online_while_any_session_is_and_a_stale_will_ends_nothing() {
    let mut people = People::new(10);
    people.apply("bob", &online("a", 1, &["x"]), t0());
    assert_eq!(
        people.apply("bob", &online("b", 1, &["y"]), t0()),
        Applied::Changes(vec![Change::Joined("y".into())])
    );
    assert_eq!(
        people.apply("bob", &offline("old", Some(Reason::Lost), None, t0()), t0()),
        Applied::Ignored
    );
    assert_eq!(
        changes(people.apply("bob", &offline("a", Some(Reason::Quit), None, t0()), t0())),
        [Change::Parted("x".into())]
    );
    assert_eq!(people.get("bob").unwrap().status, Status::Online);
}

#[test]
fn away_and_back() {
    let mut people = People::new(10);
    people.apply("bob", &online("s", 1, &[]), t0());
    let mut away = online("s", 2, &[]);
    away.status = Status::Away;
    away.message = Some("lunch".into());
    assert_eq!(
        changes(people.apply("bob", &away, t0())),
        [Change::Away(Some("lunch".into()))]
    );
    assert_eq!(people.get("bob").unwrap().away.as_deref(), Some("lunch"));
    assert_eq!(changes(people.apply("bob", &online("s", 3, &[]), t0())), [Change::Back]);
}

#[test]
fn room_lists_are_kept_within_a_byte_budget_whatever_a_flood_sends() {
    let mut people = People::new(10_000);
    let long: Vec<String> = (0..100).map(|i| format!("{i:0>64}")).collect();
    let rooms: Vec<&str> = long.iter().map(String::as_str).collect();
    for n in 0..2_000 {
        for s in 0..3 {
            people.apply(&format!("u{n}"), &online(&format!("s{s}"), 1, &rooms), t0());
        }
    }
    assert!(people.room_bytes() <= MAX_ROOM_BYTES, "{}", people.room_bytes());
    assert_eq!(people.len(), 2_000, "everyone is still listed");
    assert!(
        !people.get("u1999").unwrap().rooms_known(),
        "past the budget: rooms unknown"
    );
    assert!(people.get("u0").unwrap().is_in(&long[0]));
    // What leaves gives its bytes back.
    for n in 0..2_000 {
        for s in 0..3 {
            people.apply(
                &format!("u{n}"),
                &offline(&format!("s{s}"), Some(Reason::Quit), None, t0()),
                t0(),
            );
        }
    }
    assert_eq!(people.room_bytes(), 0);
    people.apply("late", &online("s", 1, &rooms), t0());
    assert!(people.get("late").unwrap().rooms_known(), "the budget is free again");
}

#[test]
fn capped_list_evicts_offline_people_then_refuses() {
    let mut people = People::new(2);
    people.apply("a", &offline("1", None, None, t0()), t0());
    people.apply("b", &online("1", 1, &[]), t0());
    assert!(matches!(
        people.apply("c", &online("1", 1, &[]), t0()),
        Applied::Changes(_)
    ));
    assert!(people.get("a").is_none());
    assert_eq!(people.apply("d", &online("1", 1, &[]), t0()), Applied::Full);
    assert_eq!(people.len(), 2);
}

#[test]
fn sorted_online_first_and_rooms_listed() {
    let mut people = People::new(10);
    people.apply("zed", &online("1", 1, &["general"]), t0());
    people.apply("amy", &offline("1", None, None, t0()), t0());
    people.apply("bob", &online("1", 1, &["rust"]), t0());
    let names = |list: Vec<&Person>| list.iter().map(|p| p.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(people.sorted()), ["bob", "zed", "amy"]);
    assert_eq!(names(people.first(2)), ["bob", "zed"]);
    assert_eq!(names(people.in_room("general")), ["zed"]);
    assert_eq!(names(people.first_outside("general", 5)), ["bob", "amy"]);
    assert_eq!(people.count_in_room("rust"), 1);
    assert_eq!(people.online(), 2);
}
