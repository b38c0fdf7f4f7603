//! What the screen says as messages wait, go out and fail: the state is
//! driven by events as in the core's delivery tests, then drawn.

use std::time::Duration;

use crate::app::room::Delivery;
use crate::app::testing::{
    arrive, chat_texts, connect, line_state, lose, own_messages, publishes, reconnect, t0, tui_state, type_line,
};
use crate::app::{Conn, Effect, Event, NetEvent, MAX_SEND_DROPS};
use crate::protocol::payload::decode_presence;
use crate::protocol::Status;

use super::tests::screen;

#[test]
fn a_lost_connection_shows_reconnecting_with_countdown_and_reason_then_renews_everything() {
    let mut state = tui_state();
    connect(&mut state);
    let fx = lose(&mut state, Duration::from_secs(4));
    assert!(fx.contains(&Effect::Ticking(true)), "the countdown ticks: {fx:?}");
    let Conn::Reconnecting { at, reason } = &state.conn else {
        panic!("{:?}", state.conn)
    };
    assert_eq!(*at, t0() + chrono::Duration::seconds(4));
    assert!(reason.contains("keep-alive"), "{reason}");
    let shown = screen(&state, 120, 10);
    assert!(
        shown.contains(" connection lost: the broker stopped answering (keep-alive) · retry in 4s "),
        "{shown}"
    );
    // A room joined while disconnected is subscribed on reconnect with the rest.
    let fx = type_line(&mut state, "/join later");
    assert!(!fx.iter().any(|e| matches!(e, Effect::Subscribe(_))), "{fx:?}");

    let fx = reconnect(&mut state, "s2");
    let online = publishes(&fx)
        .into_iter()
        .find(|p| p.topic == "presence/alice")
        .expect("online again");
    let p = decode_presence(&online.payload).unwrap();
    assert_eq!((p.status, p.session.as_deref()), (Status::Online, Some("s2")));
    let subscribed: Vec<&str> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::Subscribe(topics) => Some(topics.iter().map(|(t, _)| t.as_str())),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(
        subscribed,
        [
            "presence/+/alive",
            "presence/+",
            "presence/+/rollcall",
            "presence/+/answer/alice",
            "dm/alice",
            "history/reply/alice",
            "chat/general",
            "chat/rust",
            "chat/later",
            "topic/general",
            "topic/rust",
            "topic/later"
        ]
    );
    assert_eq!(state.conn, Conn::Connected { ready: true });
    assert!(screen(&state, 120, 10).contains(" connected "));
}

#[test]
fn lines_typed_offline_are_pending_then_sent_once_each_in_order() {
    let mut state = tui_state();
    connect(&mut state);
    lose(&mut state, Duration::from_secs(1));
    for n in 1..=5 {
        let fx = type_line(&mut state, &format!("m{n}"));
        assert!(publishes(&fx).is_empty(), "nothing goes out while disconnected");
    }
    let pending = own_messages(&state, 0);
    assert_eq!(pending.len(), 5);
    assert!(pending.iter().all(|(_, d)| *d == Some(Delivery::Pending)));
    let shown = screen(&state, 120, 16);
    assert!(shown.contains("m5 ⧖") && shown.contains(" 5 waiting · "), "{shown}");

    // Handed over, then the link drops before any ack: all five go again,
    // with the same ids, so a receiver that got the first copy drops the second.
    let first = reconnect(&mut state, "s2");
    assert_eq!(chat_texts(&first), ["m1", "m2", "m3", "m4", "m5"]);
    lose(&mut state, Duration::from_secs(1));
    let again = reconnect(&mut state, "s3");
    assert_eq!(chat_texts(&again), ["m1", "m2", "m3", "m4", "m5"]);
    let payloads = |fx: &[Effect]| -> Vec<Vec<u8>> {
        publishes(fx)
            .iter()
            .filter(|p| p.topic == "chat/general")
            .map(|p| p.payload.clone())
            .collect()
    };
    assert_eq!(payloads(&first), payloads(&again));
    // Still pending: the broker has acknowledged nothing yet.
    assert!(own_messages(&state, 0)
        .iter()
        .all(|(_, d)| *d == Some(Delivery::Pending)));
    for p in publishes(&again) {
        state.update(Event::Net(NetEvent::Acked(p.tag)), t0());
        arrive(&mut state, &p.topic.clone(), &p.payload.clone());
    }
    // Both copies echoed by the broker: each message is still shown once.
    for payload in payloads(&first) {
        arrive(&mut state, "chat/general", &payload);
    }
    let done = own_messages(&state, 0);
    let texts: Vec<&str> = done.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(texts, ["m1", "m2", "m3", "m4", "m5"]);
    assert!(done.iter().all(|(_, d)| *d == Some(Delivery::Sent)), "{done:?}");
    assert!(state.outbox.is_empty());
    let shown = screen(&state, 120, 16);
    assert!(shown.contains("m5 ✓") && !shown.contains("waiting to send"), "{shown}");
}

#[test]
fn a_message_the_broker_keeps_dropping_the_connection_over_is_marked_failed() {
    let mut state = tui_state();
    connect(&mut state);
    let fx = type_line(&mut state, "poison");
    assert_eq!(chat_texts(&fx), ["poison"]);
    for n in 1..MAX_SEND_DROPS {
        lose(&mut state, Duration::from_secs(1));
        let fx = reconnect(&mut state, &format!("s{n}"));
        assert_eq!(chat_texts(&fx), ["poison"], "attempt {n}");
    }
    lose(&mut state, Duration::from_secs(1));
    let (_, delivery) = own_messages(&state, 0).pop().unwrap();
    let Some(Delivery::Failed(why)) = delivery else {
        panic!("{delivery:?}")
    };
    assert!(why.contains("connection dropped each of the 5 times"), "{why}");
    assert!(state.outbox.is_empty());
    let fx = reconnect(&mut state, "s9");
    assert!(chat_texts(&fx).is_empty(), "given up: {fx:?}");
    let shown = screen(&state, 140, 16);
    assert!(shown.contains("✗ not sent: the connection dropped"), "{shown}");
    // Line mode says it on stderr.
    let mut state = line_state();
    connect(&mut state);
    state.update(Event::Line("poison".into()), t0());
    let mut reports = Vec::new();
    for n in 0..MAX_SEND_DROPS {
        reports.extend(lose(&mut state, Duration::from_secs(1)));
        reconnect(&mut state, &format!("s{n}"));
    }
    assert!(
        reports
            .iter()
            .any(|e| matches!(e, Effect::Report(r) if r.starts_with("message \"poison\" not sent"))),
        "{reports:?}"
    );
}
