//! History from keepers, searching it, forgetting it and reading back into it.

use chrono::TimeDelta;

use super::history::{ContextView, SearchView};
use super::key::KeyCode;
use super::testing::{connect, ctrl, key, publishes, t0, type_line};
use super::tests_history::{ago, arrive_at, chat, history_state, kept, layout, stores};
use super::*;
use crate::protocol::history::{decode_request, encode_reply, MAX_REPLY_MESSAGES};

/// The keeper requests among the effects: topic and nonce.
fn asked(fx: &[Effect]) -> Vec<(String, String)> {
    publishes(fx)
        .into_iter()
        .filter(|p| p.topic.starts_with("history/get/"))
        .map(|p| {
            assert!((p.qos, p.retain) == (0, false), "{p:?}");
            let request = decode_request(&p.payload).expect("a valid request");
            assert_eq!((request.user.as_str(), request.limit), ("alice", MAX_REPLY_MESSAGES));
            (p.topic.clone(), request.nonce)
        })
        .collect()
}

#[test]
fn keepers_are_asked_for_each_room_and_their_answers_shown_as_history() {
    let mut state = history_state(Mode::Tui);
    arrive_at(&mut state, "chat/rust", &chat("r0", "bob", "r0", ago(1)), t0());
    let fx = connect(&mut state);
    let asks = asked(&fx);
    let topics: Vec<&str> = asks.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(topics, ["history/get/general", "history/get/rust"]);
    let after = |fx: &[Effect], topic: &str| {
        let p = publishes(fx).into_iter().find(|p| p.topic == topic).unwrap();
        decode_request(&p.payload).unwrap().after
    };
    assert_eq!(after(&fx, "history/get/general"), None);
    assert_eq!(
        after(&fx, "history/get/rust"),
        Some(ago(1)),
        "only what came after ours"
    );
    let (general, rust) = (asks[0].1.clone(), asks[1].1.clone());

    arrive_at(&mut state, "chat/general", &chat("k2", "bob", "k2", ago(2)), t0());
    let before = layout(&state.rooms[0]);
    let payloads = [
        chat("k1", "bob", "k1", ago(3)),
        chat("k2", "bob", "k2", ago(2)),
        chat("k3", "carol", "k3 alice", ago(1)),
    ];
    let payloads: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
    let reply = |room: &str, nonce: &str| encode_reply(room, nonce, "keeper1", &payloads, false);
    // Not ours to take: nothing changes.
    let ignored = [
        ("history/reply/alice", reply("general", "ffffffffffffffff"), t0()),
        ("history/reply/alice", reply("rust", &general), t0()),
        ("history/reply/alice", reply("random", &general), t0()),
        ("history/reply/bob", reply("general", &general), t0()),
        (
            "history/reply/alice",
            reply("general", &general),
            t0() + TimeDelta::seconds(61),
        ),
        ("history/reply/alice", b"{\"v\":1}".to_vec(), t0()),
    ];
    for (topic, payload, now) in ignored {
        let fx = arrive_at(&mut state, topic, &payload, now);
        assert!(fx.is_empty(), "{topic}: {fx:?}");
        assert_eq!(layout(&state.rooms[0]), before, "{topic}");
        assert_eq!(state.rooms.len(), 2);
    }
    let fx = arrive_at(&mut state, "history/reply/alice", &reply("general", &general), t0());
    let mut k3 = kept("general", "k3", "k3 alice", ago(1));
    k3.user = Some("carol".into());
    assert_eq!(stores(&fx), [&kept("general", "k1", "k1", ago(3)), &k3]);
    assert!(!fx.contains(&Effect::Bell), "{fx:?}");
    let mut want = vec![
        "History k1".to_owned(),
        "History k3 alice".into(),
        "-- history above".into(),
    ];
    want.extend(before);
    assert_eq!(layout(&state.rooms[0]), want);
    // A second keeper's answer to the same request adds only what is new.
    let fx = arrive_at(&mut state, "history/reply/alice", &reply("general", &general), t0());
    assert!(fx.is_empty(), "{fx:?}");
    assert_eq!(layout(&state.rooms[0]), want);
    // The other room's request is answered on its own.
    let fx = arrive_at(&mut state, "history/reply/alice", &reply("rust", &rust), t0());
    assert_eq!(stores(&fx).len(), 3);
    assert_eq!(
        layout(&state.rooms[1]),
        [
            "History k1",
            "History k2",
            "History k3 alice",
            "-- history above",
            "Live r0"
        ]
    );
    assert_eq!(state.rooms[1].unread, 1, "history counts as read");
}

fn hits() -> Vec<Kept> {
    vec![
        kept("general", "h0", "hello 0", ago(1)),
        kept("rust", "h1", "hello 1", ago(2)),
        kept("general", "h2", "hello 2", ago(3)),
    ]
}

fn found(hits: Vec<Kept>) -> Event {
    Event::History(HistoryEvent::Found {
        text: "hello".into(),
        all: false,
        hits,
    })
}

fn search(text: &str, room: Option<&str>) -> Effect {
    Effect::Search {
        text: text.into(),
        room: room.map(str::to_owned),
    }
}

fn selected(state: &State) -> usize {
    match &state.overlay {
        Some(Overlay::Search(view)) => view.selected,
        other => panic!("{other:?}"),
    }
}

#[test]
fn search_results_are_picked_with_arrows_and_shown_in_context() {
    let mut state = history_state(Mode::Tui);
    assert_eq!(
        type_line(&mut state, "/search hello"),
        [search("hello", Some("general"))]
    );
    assert_eq!(type_line(&mut state, "/search -a hello"), [search("hello", None)]);
    state.update(found(hits()), t0());
    let view = SearchView {
        text: "hello".into(),
        all: false,
        hits: hits(),
        selected: 0,
    };
    assert_eq!(state.overlay, Some(Overlay::Search(view)));
    // (key, selected after it)
    let moves = [
        (KeyCode::Up, 0),
        (KeyCode::Down, 1),
        (KeyCode::Down, 2),
        (KeyCode::Down, 2),
        (KeyCode::Up, 1),
    ];
    for (code, want) in moves {
        assert!(state.update(key(code), t0()).is_empty());
        assert_eq!(selected(&state), want, "{code:?}");
    }
    let fx = state.update(key(KeyCode::Enter), t0());
    let hit = &hits()[1];
    let context = Effect::LoadContext {
        room: "rust".into(),
        time: hit.time,
        id: "h1".into(),
    };
    assert_eq!(fx, [context]);
    assert!(state.input.is_empty(), "Enter went to the overlay");
    let around = vec![
        kept("rust", "a", "before", ago(3)),
        hit.clone(),
        kept("rust", "b", "after", ago(1)),
    ];
    let event = HistoryEvent::Context {
        room: "rust".into(),
        messages: around.clone(),
        hit: "h1".into(),
    };
    state.update(Event::History(event), t0());
    let view = ContextView {
        room: "rust".into(),
        messages: around.iter().map(Kept::to_message).collect(),
        hit: 1,
        scroll: 0,
    };
    assert_eq!(state.overlay, Some(Overlay::Context(view)));
    state.update(key(KeyCode::Esc), t0());
    assert_eq!(state.overlay, None);
    assert!(state.rooms[0].entries.is_empty(), "nothing said in the room");
    // Esc closes the results too; Ctrl-F starts a search.
    state.update(found(hits()), t0());
    state.update(key(KeyCode::Esc), t0());
    assert_eq!(state.overlay, None);
    state.update(ctrl('f'), t0());
    assert_eq!(state.input.value(), "/search ");
}

#[test]
fn search_in_line_mode_without_history_and_without_hits() {
    let mut line = history_state(Mode::Line { json: false });
    let fx = line.update(Event::Line("/search hello".into()), t0());
    assert_eq!(fx, [search("hello", Some("general"))]);
    let fx = line.update(found(hits()[..2].to_vec()), t0());
    let mut want: Vec<Effect> = hits()[..2]
        .iter()
        .map(|h| Effect::Print(Record::Found(h.clone())))
        .collect();
    want.push(Effect::Report("2 message(s) found for \"hello\"".into()));
    assert_eq!(fx, want);
    assert_eq!(line.overlay, None);

    let mut state = history_state(Mode::Tui);
    assert!(state.update(found(vec![]), t0()).is_empty());
    assert_eq!(state.overlay, None);
    assert_eq!(layout(&state.rooms[0]), ["! nothing found for \"hello\""]);

    let off = "! history is off (--no-history): there is nothing to search";
    state.settings.store_history = false;
    assert!(type_line(&mut state, "/search hello").is_empty());
    assert_eq!(layout(&state.rooms[0]).last().map(String::as_str), Some(off));
    line.settings.store_history = false;
    let fx = line.update(Event::Line("/search -a hello".into()), t0());
    assert_eq!(fx, [Effect::Report(off[2..].into())]);
}

#[test]
fn a_late_ack_does_not_store_again_what_was_forgotten() {
    let mut state = history_state(Mode::Tui);
    connect(&mut state);
    let sent = publishes(&type_line(&mut state, "mine"))[0].clone();
    assert_eq!(type_line(&mut state, "/forget"), [Effect::Forget("general".into())]);
    let fx = state.update(Event::Net(NetEvent::Acked(sent.tag)), t0());
    assert!(stores(&fx).is_empty(), "{fx:?}");
}

#[test]
fn forget_clears_the_room_and_says_how_much_went() {
    let mut state = history_state(Mode::Tui);
    for id in ["a", "b"] {
        arrive_at(&mut state, "chat/general", &chat(id, "bob", id, ago(1)), t0());
    }
    assert_eq!(type_line(&mut state, "/forget"), [Effect::Forget("general".into())]);
    assert!(state.rooms[0].entries.is_empty());
    let forgotten = HistoryEvent::Forgotten {
        room: "general".into(),
        count: 3,
    };
    assert!(state.update(Event::History(forgotten), t0()).is_empty());
    assert_eq!(
        layout(&state.rooms[0]),
        ["! forgot the history of #general (3 messages)"]
    );
    assert!(page_up(&mut state, 2).is_empty(), "nothing on disk to read back");
    // What was sent before the /forget is not stored again; what follows is.
    let late = arrive_at(&mut state, "chat/general", &chat("c", "bob", "c", ago(1)), t0());
    assert!(stores(&late).is_empty(), "{late:?}");
    let next = chat("d", "bob", "d", t0() + TimeDelta::seconds(1));
    assert_eq!(stores(&arrive_at(&mut state, "chat/general", &next, t0())).len(), 1);
    // Without history, the screen is cleared all the same, and nothing more.
    state.settings.store_history = false;
    assert!(type_line(&mut state, "/forget").is_empty());
    assert_eq!(
        layout(&state.rooms[0]),
        ["! history is off (--no-history): nothing was kept"]
    );
}

/// The history requests made by pressing PageUp `times` times.
fn page_up(state: &mut State, times: usize) -> Vec<Effect> {
    (0..times)
        .flat_map(|_| state.update(key(KeyCode::PageUp), t0()))
        .filter(|e| matches!(e, Effect::LoadHistory { .. }))
        .collect()
}

fn older(messages: Vec<Kept>) -> Event {
    Event::History(HistoryEvent::Loaded {
        room: "general".into(),
        messages,
        older: true,
    })
}

#[test]
fn scrolling_past_the_top_reads_older_pages_one_at_a_time() {
    let secs = |s: i64| t0() - TimeDelta::seconds(s);
    let mut state = history_state(Mode::Tui);
    for n in 0..30 {
        let id = format!("m{n}");
        arrive_at(&mut state, "chat/general", &chat(&id, "bob", &id, secs(30 - n)), t0());
    }
    let load = |before: Option<(chrono::DateTime<chrono::Utc>, &str)>| Effect::LoadHistory {
        room: "general".into(),
        before: before.map(|(t, id)| (t, id.to_owned())),
    };
    assert!(page_up(&mut state, 1).is_empty(), "not at the top yet");
    assert_eq!(
        page_up(&mut state, 3),
        [load(Some((secs(30), "m0")))],
        "one, and none while waiting"
    );
    let scroll_back = state.rooms[0].scroll_back;
    let page = vec![
        kept("general", "o1", "o1", secs(50)),
        kept("general", "o2", "o2", secs(40)),
    ];
    assert!(state.update(older(page), t0()).is_empty());
    assert_eq!(layout(&state.rooms[0])[..3], ["History o1", "History o2", "Live m0"]);
    assert_eq!(state.rooms[0].scroll_back, scroll_back, "the view stays put");
    assert_eq!(page_up(&mut state, 3), [load(Some((secs(50), "o1")))]);
    state.update(older(vec![]), t0());
    assert!(state.rooms[0].history_exhausted);
    assert!(page_up(&mut state, 3).is_empty(), "nothing older on disk");
    assert_eq!(state.rooms[0].entries.len(), 32);

    // Without history, the top is the top.
    let mut off = history_state(Mode::Tui);
    off.settings.store_history = false;
    arrive_at(&mut off, "chat/general", &chat("x", "bob", "x", secs(1)), t0());
    assert!(page_up(&mut off, 3).is_empty());
    // The mouse wheel reads back as PageUp does.
    let mut wheel = history_state(Mode::Tui);
    arrive_at(&mut wheel, "chat/general", &chat("x", "bob", "x", secs(1)), t0());
    assert_eq!(wheel.update(Event::Scroll(3), t0()), [load(Some((secs(1), "x")))]);
}
