//! An outage is said once when the link drops and once when it is back;
//! failed retries only update the live status line.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::room::Entry;
use super::testing::{connect, line_state, link, t0, tui_state};
use super::{Effect, Event, NetEvent, State};
use crate::settings::Spoken;

fn at(secs: i64) -> DateTime<Utc> {
    t0() + TimeDelta::seconds(secs)
}

fn dropped(state: &mut State, secs: i64) -> Vec<Effect> {
    let lost = NetEvent::Disconnected {
        server: "localhost:1883".into(),
        reason: "the broker closed the connection".into(),
        retry_in: Duration::from_secs(1),
    };
    state.update(Event::Net(lost), at(secs))
}

fn retry_failed(state: &mut State, secs: i64, retry_in: u64) -> Vec<Effect> {
    let failed = NetEvent::ConnectFailed {
        server: "localhost:1883".into(),
        reason: "connection refused (nothing is listening there)".into(),
        retry_in: Duration::from_secs(retry_in),
        fatal: false,
        more_to_try: false,
    };
    state.update(Event::Net(failed), at(secs))
}

fn back(state: &mut State, secs: i64) -> Vec<Effect> {
    let connected = NetEvent::Connected {
        session: "s2".into(),
        link: link(Spoken::V311),
    };
    let mut fx = state.update(Event::Net(connected), at(secs));
    fx.extend(state.update(Event::Net(NetEvent::Subscribed { refused: 0 }), at(secs)));
    fx
}

fn notices(state: &State) -> Vec<String> {
    state.rooms[state.active]
        .entries
        .iter()
        .filter_map(|e| match e {
            Entry::Notice { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

fn reports(fx: &[Effect]) -> Vec<String> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Report(text) => Some(text.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn the_chat_hears_of_an_outage_once_when_it_starts_and_once_when_it_ends() {
    let mut state = tui_state();
    connect(&mut state);
    dropped(&mut state, 0);
    for (secs, retry_in) in [(1, 3), (4, 5), (9, 10)] {
        retry_failed(&mut state, secs, retry_in);
    }
    back(&mut state, 42);
    assert_eq!(
        notices(&state),
        [
            "connected to localhost:1883 as alice, in #general (MQTT 3.1.1)",
            "connection lost: the broker closed the connection; reconnecting…",
            "reconnected to localhost:1883 as alice, in #general (MQTT 3.1.1) after 42s down",
        ]
    );
    // The next outage is said again, and timed from its own start.
    dropped(&mut state, 100);
    back(&mut state, 100 + 185);
    let said = notices(&state);
    assert_eq!(
        said[3..],
        [
            "connection lost: the broker closed the connection; reconnecting…",
            "reconnected to localhost:1883 as alice, in #general (MQTT 3.1.1) after 3m 05s down",
        ]
    );
}

#[test]
fn line_mode_logs_every_attempt_with_its_delay_and_the_time_down_once_back() {
    let mut state = line_state();
    connect(&mut state);
    let mut said = reports(&dropped(&mut state, 0));
    said.extend(reports(&retry_failed(&mut state, 1, 3)));
    said.extend(reports(&back(&mut state, 10)));
    assert_eq!(
        said,
        [
            "connection lost: the broker closed the connection; reconnecting in 1s",
            "cannot reach localhost:1883: connection refused (nothing is listening there); reconnecting in 3s",
            "reconnected to localhost:1883 as alice, in #general (MQTT 3.1.1) after 10s down",
        ]
    );
}

#[test]
fn the_live_line_puts_what_waits_first_then_why_then_the_next_attempt() {
    let reason = "connection lost: the broker closed the connection";
    let cases: [(usize, i64, Option<String>); 4] = [
        (0, 0, Some(format!("{reason} · retry in 1s"))),
        (2, 0, Some(format!("2 waiting · {reason} · retry in 1s"))),
        (2, 1, Some(format!("2 waiting · {reason} · retrying…"))),
        (1, 5, Some(format!("1 waiting · {reason} · retrying…"))),
    ];
    for (waiting, later, want) in cases {
        let mut state = tui_state();
        connect(&mut state);
        dropped(&mut state, 0);
        for i in 0..waiting {
            state.update(Event::Line(format!("message {i}")), at(0));
        }
        state.update(Event::Tick, at(later));
        assert_eq!(state.outage_line(), want, "{waiting} waiting, {later}s later");
    }
    let mut connected = tui_state();
    connect(&mut connected);
    assert_eq!(connected.outage_line(), None, "no outage, no line");
}

#[test]
fn a_link_that_drops_before_it_is_ready_is_still_one_outage() {
    let mut state = tui_state();
    connect(&mut state);
    dropped(&mut state, 0);
    // The broker accepts, then drops us before the subscriptions are answered.
    let connected = NetEvent::Connected {
        session: "s2".into(),
        link: link(Spoken::V311),
    };
    state.update(Event::Net(connected), at(5));
    dropped(&mut state, 6);
    back(&mut state, 20);
    let said = notices(&state);
    assert_eq!(said.len(), 3, "{said:?}");
    assert!(said[2].ends_with("after 20s down"), "{said:?}");
}
