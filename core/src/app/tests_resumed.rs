//! A resumed session delivers what happened while we were away: presence
//! changes it kept for us update the list but are not told as news.

use chrono::TimeDelta;

use super::room::Entry;
use super::testing::{connect_over, link, t0};
use super::*;
use crate::protocol::payload::PresenceOut;
use crate::protocol::{Reason, Status};
use crate::settings::Spoken;

fn bob(session: &str, status: Status, seq: u64, ts: chrono::DateTime<chrono::Utc>) -> Vec<u8> {
    let rooms = vec!["general".to_owned()];
    let mut p = PresenceOut::new("bob", status, ts, session);
    p.seq = Some(seq);
    p.rooms = Some(&rooms);
    p.reason = (status == Status::Offline).then_some(Reason::Quit);
    p.refresh = Some(60);
    p.encode()
}

fn deliver(state: &mut State, payload: &[u8]) {
    let msg = NetEvent::Message {
        topic: "presence/bob".into(),
        payload: bytes::Bytes::copy_from_slice(payload),
        retained: false,
    };
    state.update(Event::Net(msg), t0());
}

fn notices(state: &State) -> Vec<String> {
    state.rooms[0]
        .entries
        .iter()
        .filter_map(|e| match e {
            Entry::Notice { text, .. } if text.contains("bob") => Some(text.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn presence_kept_for_us_while_away_is_learnt_not_told() {
    let mut state = State::new(Settings::for_test("alice", &["general"], Mode::Tui), t0(), 0);
    let resumed = LinkInfo {
        resumed: true,
        ..link(Spoken::V5)
    };
    connect_over(&mut state, resumed);
    // bob came and went while we were away: the broker hands both over now.
    let earlier = t0() - TimeDelta::minutes(10);
    deliver(&mut state, &bob("b1", Status::Online, 1, earlier));
    deliver(
        &mut state,
        &bob("b1", Status::Offline, 2, earlier + TimeDelta::minutes(1)),
    );
    assert_eq!(notices(&state), Vec::<String>::new(), "old changes told as news");
    let listed = state.people.get("bob").map(|p| p.status);
    assert_eq!(listed, Some(Status::Offline), "the list still learns them");
    // What happens now (bob back, a new session) is news again.
    deliver(&mut state, &bob("b2", Status::Online, 1, t0()));
    assert_eq!(notices(&state), ["bob is online"]);
}

#[test]
fn without_a_resumed_session_a_presence_change_is_news() {
    let mut state = State::new(Settings::for_test("alice", &["general"], Mode::Tui), t0(), 0);
    connect_over(&mut state, link(Spoken::V5));
    deliver(&mut state, &bob("b1", Status::Online, 1, t0() - TimeDelta::seconds(30)));
    assert_eq!(notices(&state), ["bob is online"]);
}
