//! The keeper's logic against a real archive in a temporary directory.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use komunikator_history::Archive;

use super::logic::{Keeper, KEPT_FOR, KEPT_PER_ROOM};
use crate::protocol::history::{decode_reply, encode_request, HistoryReply, HistoryRequest};
use crate::protocol::payload::{encode_chat, Form, Kind};
use crate::protocol::Topics;

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 14, 3, 7).unwrap()
}

struct Fixture {
    keeper: Keeper,
    _dir: tempfile::TempDir,
}

fn keeper(rooms: Option<&[&str]>) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let archive = Archive::open(&dir.path().join("keeper.sqlite3")).unwrap();
    let rooms = rooms.map(|rooms| rooms.iter().map(|r| r.to_string()).collect());
    let keeper = Keeper::new(archive, Topics::new(""), rooms, "keeper@test".into(), 7, at());
    Fixture { keeper, _dir: dir }
}

fn chat(id: &str, text: &str, ts: DateTime<Utc>) -> Vec<u8> {
    encode_chat(id, "bob", text, ts, Kind::Text)
}

fn ask(user: &str, nonce: &str) -> Vec<u8> {
    encode_request(&HistoryRequest {
        user: user.into(),
        nonce: nonce.into(),
        after: None,
        limit: 200,
    })
}

/// The reply to `user`'s request for `room`, read as a client would.
fn history(k: &mut Keeper, room: &str, user: &str, now: DateTime<Utc>) -> Option<HistoryReply> {
    let (topic, payload) = k.on_message(&format!("history/get/{room}"), &ask(user, "n1"), false, now)?;
    assert_eq!(topic, format!("history/reply/{user}"));
    Some(decode_reply(&payload).unwrap())
}

fn texts(reply: &HistoryReply) -> Vec<&str> {
    reply.messages.iter().map(|m| m.text.as_str()).collect()
}

#[test]
fn stores_chat_and_answers_oldest_first() {
    let mut f = keeper(None);
    let k = &mut f.keeper;
    for n in 0..5 {
        let ts = at() + TimeDelta::seconds(n);
        let topic = "chat/general";
        assert_eq!(
            k.on_message(topic, &chat(&format!("id{n}"), &format!("m{n}"), ts), false, ts),
            None
        );
    }
    let reply = history(k, "general", "carol", at() + TimeDelta::seconds(10)).unwrap();
    assert_eq!(texts(&reply), ["m0", "m1", "m2", "m3", "m4"]);
    assert_eq!((reply.room.as_str(), reply.nonce.as_str()), ("general", "n1"));
    assert_eq!(reply.keeper, "keeper@test");
    assert!(!reply.more);
    assert!(reply.messages.iter().all(|m| m.form == Form::Proper));

    // `after` and `limit`.
    let request = HistoryRequest {
        user: "carol".into(),
        nonce: "n2".into(),
        after: Some(at() + TimeDelta::seconds(1)),
        limit: 2,
    };
    let (_, payload) = k.on_request("general", &encode_request(&request), at()).unwrap();
    let reply = decode_reply(&payload).unwrap();
    assert_eq!(texts(&reply), ["m3", "m4"]);
    assert!(reply.more, "m2 is after `after` too, but over the limit");
}

#[test]
fn direct_messages_are_never_kept() {
    let mut f = keeper(None);
    let k = &mut f.keeper;
    assert!(!k.subscriptions().iter().any(|s| s.contains("dm/")));
    k.on_message("dm/carol", &chat("d1", "secret", at()), false, at());
    k.on_message("chat/general", &chat("c1", "public", at()), false, at());
    // Not even under a room that looks like it.
    assert_eq!(history(k, "carol", "carol", at()), None);
    assert_eq!(history(k, "dm", "carol", at()), None);
    let reply = history(k, "general", "carol", at()).unwrap();
    assert_eq!(texts(&reply), ["public"]);
}

#[test]
fn rooms_not_kept_get_no_answer() {
    let mut f = keeper(Some(&["general", "bad/name"]));
    let k = &mut f.keeper;
    assert_eq!(
        k.subscriptions(),
        ["chat/general", "history/get/general"],
        "invalid names are left out"
    );
    assert!(!k.on_chat("rust", &chat("r1", "elsewhere", at()), false, at()));
    assert_eq!(history(k, "rust", "carol", at()), None);
    // A kept room with nothing in it yet: an empty reply.
    let reply = history(k, "general", "carol", at()).unwrap();
    assert!(reply.messages.is_empty() && !reply.more);

    // Keeping every room: a room never seen is left to other keepers.
    let mut all = keeper(None);
    assert_eq!(all.keeper.subscriptions(), ["chat/+", "history/get/+"]);
    assert_eq!(history(&mut all.keeper, "nowhere", "carol", at()), None);
    assert_eq!(history(&mut all.keeper, "a+b", "carol", at()), None);
}

#[test]
fn unreadable_requests_get_no_answer() {
    let mut f = keeper(Some(&["general"]));
    let k = &mut f.keeper;
    for junk in [&b"hi"[..], b"{}", br#"{"v":1,"user":"a/b","nonce":"n"}"#, b"\xff"] {
        assert_eq!(k.on_request("general", junk, at()), None);
    }
}

#[test]
fn requests_are_rate_limited() {
    let mut f = keeper(Some(&["general"]));
    let k = &mut f.keeper;
    let answered = (0..25)
        .filter(|_| history(k, "general", "carol", at()).is_some())
        .count();
    assert_eq!(answered, 20, "a burst of 20 for one user");
    assert!(history(k, "general", "dave", at()).is_some());
    let others = (0..40)
        .filter(|n| history(k, "general", &format!("u{n}"), at()).is_some())
        .count();
    assert_eq!(others, 40 - 21, "a burst of 40 for everyone");
    assert!(history(k, "general", "carol", at() + TimeDelta::seconds(10)).is_some());
}

#[test]
fn payloads_without_id_or_time_are_kept_with_ones_made_up() {
    let mut f = keeper(None);
    let k = &mut f.keeper;
    // One millisecond apart, so that the order does not rest on made-up ids.
    let t = |n: i64| at() + TimeDelta::milliseconds(n);
    assert!(k.on_chat("general", b"hi from mosquitto_pub", false, t(0)));
    assert!(
        k.on_chat("general", b"hi from mosquitto_pub", false, t(1)),
        "a new id each time"
    );
    assert!(k.on_chat("general", br#"{"user":"eve","text":"no id"}"#, false, t(2)));
    assert!(k.on_chat(
        "general",
        br#"{"v":1,"id":"keep-me","user":"eve","text":"no ts"}"#,
        false,
        t(3)
    ));
    assert!(!k.on_chat("general", br#"{"v":1,"id":"keep-me","text":"again"}"#, false, t(4)));
    assert!(
        !k.on_chat("general", b"\xff\xfe binary", false, t(5)),
        "nothing to show"
    );
    assert!(
        !k.on_chat("general", b"retained plain text", true, t(6)),
        "would come again on every subscribe"
    );

    let reply = history(k, "general", "carol", t(10)).unwrap();
    assert_eq!(
        texts(&reply),
        ["hi from mosquitto_pub", "hi from mosquitto_pub", "no id", "no ts"]
    );
    let ids: Vec<_> = reply.messages.iter().map(|m| m.id.clone().unwrap()).collect();
    assert_eq!(ids[0].len(), 26, "a ULID: {}", ids[0]);
    assert_ne!(ids[0], ids[1]);
    assert_eq!(ids[3], "keep-me");
    assert_eq!(reply.messages[0].user, None, "shown as from an unknown sender");
    assert_eq!(reply.messages[2].user.as_deref(), Some("eve"));
    let times: Vec<_> = reply.messages.iter().map(|m| m.ts.unwrap()).collect();
    assert_eq!(times, [t(0), t(1), t(2), t(3)], "the arrival time");
    // Without a user, a reader marks them as it marks such live messages.
    assert!(matches!(&reply.messages[0].form, Form::Malformed(why) if why == "no user"));
    assert_eq!(reply.messages[2].form, Form::Proper);
}

#[test]
fn repeats_are_kept_once_by_id() {
    let mut f = keeper(None);
    let k = &mut f.keeper;
    let payload = chat("same", "once", at());
    assert!(k.on_chat("general", &payload, false, at()));
    assert!(!k.on_chat("general", &payload, false, at()), "QoS 1 may deliver twice");
    assert!(!k.on_chat("general", &payload, true, at()), "a retained copy");
    assert!(k.on_chat("rust", &payload, false, at()), "per room");
    assert_eq!(texts(&history(k, "general", "carol", at()).unwrap()), ["once"]);
}

#[test]
fn a_clock_far_off_is_ordered_by_arrival() {
    let mut f = keeper(None);
    let k = &mut f.keeper;
    let now = at();
    k.on_chat("general", &chat("a", "first", now - TimeDelta::seconds(2)), false, now);
    // Claims to be from a year ago, arrives last: stays last.
    let liar = chat("b", "second", now - TimeDelta::days(365));
    k.on_chat("general", &liar, false, now + TimeDelta::seconds(1));
    let reply = history(k, "general", "carol", now + TimeDelta::seconds(2)).unwrap();
    assert_eq!(texts(&reply), ["first", "second"]);
    assert_eq!(
        reply.messages[1].ts,
        Some(now - TimeDelta::days(365)),
        "its payload is as sent"
    );
}

#[test]
fn old_and_excess_messages_are_pruned() {
    let mut f = keeper(None);
    let k = &mut f.keeper;
    let start = at();
    k.on_chat("general", &chat("old", "old", start), false, start);
    let later = start + KEPT_FOR + TimeDelta::hours(1);
    for n in 0..KEPT_PER_ROOM + 5 {
        let ts = later + TimeDelta::milliseconds(n as i64);
        k.on_chat("general", &chat(&format!("n{n}"), &format!("{n}"), ts), false, ts);
    }
    let now = later + TimeDelta::seconds(5);
    assert_eq!(k.prune(now), 6);
    let reply = history(k, "general", "carol", now).unwrap();
    assert_eq!(reply.messages.len(), 200);
    assert!(reply.more);
    assert_eq!(reply.messages.last().unwrap().text, format!("{}", KEPT_PER_ROOM + 4));
}
