//! What the state does with an MQTT 5 link: expiring presence, refusals
//! the broker reports, its maximum packet size, and several brokers.

use std::time::Duration;

use super::room::Delivery;
use super::testing::{connect, connect_over, line_state, link, own_messages, publishes, t0, tui_state, type_line};
use super::*;
use crate::protocol::payload::decode_presence;
use crate::protocol::Status;
use crate::settings::Spoken;

fn at(secs: i64) -> chrono::DateTime<chrono::Utc> {
    t0() + chrono::TimeDelta::seconds(secs)
}

#[test]
fn at_mqtt_5_retained_presence_expires_and_is_refreshed_before_it_does() {
    let mut state = tui_state();
    let fx = connect_over(&mut state, link(Spoken::V5));
    let online = publishes(&fx)[0].clone();
    assert_eq!(online.topic, "presence/alice");
    // 2.5 heartbeats (60 s), as others expire us without one.
    assert_eq!(online.expiry, Some(151));
    let mut now = t0();
    let mut refreshed = Vec::new();
    while now <= at(130) {
        let fx = state.update(Event::Wake, now);
        refreshed.extend(
            publishes(&fx)
                .into_iter()
                .filter(|p| p.topic == "presence/alice")
                .map(|p| (now, p.clone())),
        );
        now = state.wake_at().unwrap();
    }
    // Not at 0 s: the presence just published is fresh.
    let times: Vec<_> = refreshed.iter().map(|(t, _)| *t).collect();
    assert_eq!(times, [at(60), at(120)]);
    for (_, p) in &refreshed {
        let presence = decode_presence(&p.payload).unwrap();
        assert!(p.retain && p.expiry == Some(151) && presence.repeat, "{p:?}");
        assert_eq!(presence.status, Status::Online);
    }
    let fx = state.update(Event::Quit, now);
    let offline = publishes(&fx)[0].clone();
    assert_eq!(decode_presence(&offline.payload).unwrap().status, Status::Offline);
    assert_eq!(
        offline.expiry,
        Some(OFFLINE_EXPIRY_SECS),
        "a week, then the broker forgets the name"
    );
}

#[test]
fn at_3_1_1_nothing_expires_and_presence_is_not_repeated() {
    let mut state = tui_state();
    let fx = connect(&mut state);
    assert!(publishes(&fx).iter().all(|p| p.expiry.is_none()));
    let mut now = t0();
    let mut presences = 0;
    while now <= at(130) {
        let fx = state.update(Event::Wake, now);
        presences += publishes(&fx).iter().filter(|p| p.topic == "presence/alice").count();
        now = state.wake_at().unwrap();
    }
    assert_eq!(presences, 0);
}

#[test]
fn a_refused_publish_is_marked_with_the_reason_and_not_sent_again() {
    let mut state = tui_state();
    connect_over(&mut state, link(Spoken::V5));
    let fx = type_line(&mut state, "secret plans");
    let sent = publishes(&fx)[0].clone();
    let refused = NetEvent::Refused {
        tag: sent.tag,
        reason: "the broker refused it: not authorised".into(),
    };
    state.update(Event::Net(refused), t0());
    assert_eq!(
        own_messages(&state, 0),
        [(
            "secret plans".to_owned(),
            Some(Delivery::Failed("the broker refused it: not authorised".into()))
        )]
    );
    assert!(state.outbox.is_empty(), "never resent");
    // Not sent again after a reconnect either, and the exit status says it was lost.
    let fx = connect_over(&mut state, link(Spoken::V5));
    assert!(publishes(&fx).iter().all(|p| !p.topic.starts_with("chat/")));
    let fx = state.update(Event::Quit, t0());
    let offline_tag = publishes(&fx)[0].tag;
    state.update(Event::Net(NetEvent::Acked(offline_tag)), t0());
    let fx = state.update(Event::Net(NetEvent::Closed), t0());
    assert!(fx.contains(&Effect::Exit(EXIT_UNSENT)), "{fx:?}");
}

#[test]
fn json_line_mode_prints_the_refusal_and_the_link() {
    let mut state = State::new(
        Settings::for_test("alice", &["general"], Mode::Line { json: true }),
        t0(),
        0,
    );
    let fx = connect_over(&mut state, link(Spoken::V5));
    assert!(fx.contains(&Effect::Print(Record::Connected {
        server: "localhost:1883".into(),
        version: Spoken::V5,
    })));
    assert!(
        fx.contains(&Effect::Report(
            "connected to localhost:1883 as alice, in #general (MQTT 5)".into()
        )),
        "{fx:?}"
    );
    let fx = state.update(Event::Line("hi".into()), t0());
    let sent = publishes(&fx)[0].clone();
    let refused = NetEvent::Refused {
        tag: sent.tag,
        reason: "the broker refused it: quota exceeded".into(),
    };
    let fx = state.update(Event::Net(refused), t0());
    let printed = fx.iter().find_map(|e| match e {
        Effect::Print(Record::NotSent { room, text, reason, id }) => Some((room, text, reason, id)),
        _ => None,
    });
    let (room, text, reason, id) = printed.expect("a not-sent record");
    assert_eq!((room.as_str(), text.as_str()), ("general", "hi"));
    assert_eq!(reason, "the broker refused it: quota exceeded");
    assert!(!id.is_empty());
    assert!(fx.contains(&Effect::Report(
        "message \"hi\" not sent: the broker refused it: quota exceeded".into()
    )));
}

#[test]
fn a_message_over_the_brokers_maximum_is_refused_before_it_is_sent() {
    let mut state = tui_state();
    let mut small = link(Spoken::V5);
    small.max_packet = Some(1024);
    connect_over(&mut state, small);
    let fx = type_line(&mut state, &"x".repeat(2000));
    assert!(publishes(&fx).iter().all(|p| !p.topic.starts_with("chat/")), "{fx:?}");
    let (_, delivery) = own_messages(&state, 0).pop().unwrap();
    let Some(Delivery::Failed(why)) = delivery else {
        panic!("{delivery:?}")
    };
    assert!(
        why.starts_with("too large for this broker: ") && why.ends_with(" > 1.0 KiB"),
        "{why}"
    );
    // A short one still goes.
    let fx = type_line(&mut state, "short");
    assert_eq!(publishes(&fx).len(), 1);
}

#[test]
fn before_the_first_connection_every_server_is_tried_before_giving_up() {
    let mut state = line_state();
    let failed = |more_to_try| NetEvent::ConnectFailed {
        server: "a:1883".into(),
        reason: "connection refused".into(),
        retry_in: Duration::from_millis(500),
        fatal: false,
        more_to_try,
    };
    let fx = state.update(Event::Net(failed(true)), t0());
    assert_eq!(
        fx,
        [Effect::Report(
            "cannot connect to a:1883: connection refused; trying the next server".into()
        )]
    );
    let fx = state.update(Event::Net(failed(false)), t0());
    assert!(matches!(&fx[..], [Effect::Fail(_)]), "{fx:?}");
}

#[test]
fn more_refusals_than_the_window_never_stall_the_message_behind_them() {
    let mut state = line_state();
    connect(&mut state);
    super::testing::lose(&mut state, Duration::from_secs(1));
    let too_large = "x".repeat(2000);
    for _ in 0..OUTBOX_WINDOW + 50 {
        state.update(Event::Line(too_large.clone()), t0());
    }
    state.update(Event::Line("small".into()), t0());
    let mut small_limit = link(Spoken::V5);
    small_limit.max_packet = Some(1024);
    let fx = connect_over(&mut state, small_limit);
    let chat: Vec<_> = publishes(&fx)
        .into_iter()
        .filter(|p| p.topic == "chat/general")
        .collect();
    assert_eq!(chat.len(), 1, "only the small one goes");
    let refusals = fx
        .iter()
        .filter(|e| matches!(e, Effect::Report(r) if r.contains("too large for this broker")))
        .count();
    assert_eq!(refusals, OUTBOX_WINDOW + 50);
}

#[test]
fn an_offline_the_broker_refuses_ends_the_wait_at_once() {
    let mut state = line_state();
    connect_over(&mut state, link(Spoken::V5));
    let fx = state.update(Event::Quit, t0());
    let offline = publishes(&fx)[0].tag;
    let refused = NetEvent::Refused {
        tag: offline,
        reason: "the broker refused it: not authorised".into(),
    };
    let fx = state.update(Event::Net(refused), t0());
    assert!(fx.contains(&Effect::Disconnect), "{fx:?}");
}
