//! Snapshots of whole screens drawn from states built by events alone.

use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Offset, TimeZone, Utc};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use crate::app::{Event, NetEvent, State};
use crate::protocol::payload::{encode_chat, encode_presence};
use crate::protocol::{Kind, Status};
use crate::settings::{Mode, Settings};

pub(super) fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, h, m, 0).unwrap()
}

pub(super) fn state(rooms: &[&str]) -> State {
    let mut state = State::new(Settings::for_test("alice", rooms, Mode::Tui), at(14, 0), 0);
    state.update(
        Event::Net(NetEvent::Connected {
            session: "s".into(),
            link: crate::app::testing::link(crate::settings::Spoken::V311),
        }),
        at(14, 0),
    );
    state.update(Event::Net(NetEvent::Subscribed { refused: 0 }), at(14, 0));
    state
}

fn arrive(state: &mut State, topic: &str, payload: Vec<u8>, now: DateTime<Utc>) {
    let message = NetEvent::Message {
        topic: topic.into(),
        payload: Bytes::from(payload),
        retained: false,
    };
    state.update(Event::Net(message), now);
}

pub(super) fn say(state: &mut State, id: &str, user: &str, text: &str, now: DateTime<Utc>) {
    arrive(state, "chat/general", encode_chat(id, user, text, now, Kind::Text), now);
}

pub(super) fn presence(state: &mut State, user: &str, status: Status, now: DateTime<Utc>) {
    arrive(
        state,
        &format!("presence/{user}"),
        encode_presence(user, status, now, user),
        now,
    );
}

pub(super) fn screen(state: &State, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    // UTC: snapshots must not depend on the machine's time zone.
    terminal.draw(|frame| super::draw(frame, state, Utc.fix())).unwrap();
    terminal.backend().to_string()
}

/// The sizes every screen is checked at: the smallest supported, the
/// classic terminal, a common laptop split and a wide monitor.
pub(super) const SIZES: [(u16, u16); 4] = [(50, 15), (80, 24), (120, 35), (200, 60)];

/// Snapshots `state` drawn at each of [`SIZES`], as `{name}_{w}x{h}`; the
/// state is told each size first, as the terminal would tell it.
pub(super) fn at_sizes(name: &str, state: &mut State) {
    for (width, height) in SIZES {
        state.update(Event::Resize { width, height }, state.now);
        insta::assert_snapshot!(format!("{name}_{width}x{height}"), screen(state, width, height));
    }
}

#[test]
fn a_conversation_at_every_size() {
    let mut state = state(&["general", "rust"]);
    presence(&mut state, "bob", Status::Online, at(14, 0));
    say(
        &mut state,
        "1",
        "bob",
        "Good morning! Is the build green today?",
        at(14, 1),
    );
    say(
        &mut state,
        "2",
        "alice",
        "It is, after the fix to the flaky test.",
        at(14, 2),
    );
    at_sizes("conversation", &mut state);
}

#[test]
fn empty_room() {
    let state = State::new(Settings::for_test("alice", &["general"], Mode::Tui), at(14, 0), 0);
    insta::assert_snapshot!(screen(&state, 80, 12));
}

#[test]
fn conversation_with_wrapping_and_wide_characters() {
    let mut state = state(&["general", "rust"]);
    say(
        &mut state,
        "1",
        "bob",
        "Hello! This line is long enough to wrap around the pane at least once, maybe twice.",
        at(14, 1),
    );
    say(
        &mut state,
        "2",
        "carol",
        "日本語のテキストも正しく折り返されます。全角文字は二列分の幅です。",
        at(14, 2),
    );
    say(
        &mut state,
        "3",
        "bob",
        "emoji 👍🏽 and combining e\u{301}e\u{301} and a family 👨‍👩‍👧 fit",
        at(14, 3),
    );
    arrive(
        &mut state,
        "chat/general",
        encode_chat("4", "bob", "waves", at(14, 4), Kind::Action),
        at(14, 4),
    );
    say(&mut state, "5", "bob", "alice: are you there?", at(14, 5));
    arrive(
        &mut state,
        "chat/general",
        b"raw text from mosquitto_pub \x1b[2J".to_vec(),
        at(14, 6),
    );
    state.update(Event::Paste("sure, here".into()), at(14, 7));
    state.update(
        Event::Key(crate::app::key::Key::plain(crate::app::key::KeyCode::Enter)),
        at(14, 7),
    );
    insta::assert_snapshot!(screen(&state, 60, 18));
}

#[test]
fn side_panel_with_people() {
    let mut state = state(&["general", "rust", "random"]);
    presence(&mut state, "alice", Status::Online, at(14, 0));
    presence(&mut state, "bob", Status::Online, at(14, 0));
    presence(&mut state, "dave", Status::Offline, at(13, 15));
    presence(&mut state, "carol", Status::Online, at(14, 0));
    arrive(
        &mut state,
        "chat/rust",
        encode_chat("r1", "bob", "hey alice", at(14, 1), Kind::Text),
        at(14, 1),
    );
    arrive(
        &mut state,
        "chat/random",
        encode_chat("r2", "bob", "meh", at(14, 1), Kind::Text),
        at(14, 1),
    );
    say(&mut state, "g1", "carol", "morning all", at(14, 2));
    insta::assert_snapshot!(screen(&state, 90, 14));
}

#[test]
fn narrow_terminal_hides_the_panel() {
    let mut state = state(&["general"]);
    presence(&mut state, "bob", Status::Online, at(14, 0));
    say(
        &mut state,
        "1",
        "bob",
        "a narrow terminal still wraps words properly",
        at(14, 1),
    );
    insta::assert_snapshot!(screen(&state, 40, 10));
}

#[test]
fn help_overlay() {
    let mut state = state(&["general"]);
    state.update(
        Event::Key(crate::app::key::Key::plain(crate::app::key::KeyCode::F(1))),
        at(14, 0),
    );
    insta::assert_snapshot!(screen(&state, 80, 24));
}

#[test]
fn reconnecting_shows_one_live_line_with_what_waits_first() {
    let mut state = state(&["general"]);
    presence(&mut state, "bob", Status::Online, at(14, 0));
    let lost = NetEvent::Disconnected {
        server: "localhost:1883".into(),
        reason: "the broker closed the connection".into(),
        retry_in: Duration::from_secs(4),
    };
    state.update(Event::Net(lost), at(14, 10));
    state.update(Event::Line("are you there?".into()), at(14, 10));
    state.update(Event::Line("hello?".into()), at(14, 10));
    let narrowest = screen(&state, 50, 15);
    let status = narrowest.lines().nth(13).unwrap_or_default();
    assert!(status.starts_with("\" 2 waiting · connection lost: "), "{status}");
    at_sizes("reconnecting", &mut state);
}

#[test]
fn quitting_with_messages_unsent_shows_the_count_the_time_left_and_the_way_out() {
    let mut state = state(&["general"]);
    let lost = NetEvent::Disconnected {
        server: "localhost:1883".into(),
        reason: "the broker closed the connection".into(),
        retry_in: Duration::from_secs(4),
    };
    state.update(Event::Net(lost), at(14, 10));
    state.update(Event::Line("are you there?".into()), at(14, 10));
    state.update(Event::Quit, at(14, 10));
    let shown = screen(&state, 120, 8);
    assert!(
        shown.contains("quitting: 1 waiting to send, giving up in 10s (Ctrl-C: quit now)"),
        "{shown}"
    );
    insta::assert_snapshot!(shown);
}

#[test]
fn scrolled_back_shows_new_messages_marker_and_day_separator() {
    let mut state = state(&["general"]);
    let yesterday = at(14, 0) - chrono::Duration::days(1);
    say(&mut state, "y", "bob", "yesterday's message", at(14, 0));
    if let Some(crate::app::room::Entry::Message(m)) = state.rooms[0].entries.back_mut() {
        m.time = yesterday;
    }
    for n in 0..12 {
        say(&mut state, &format!("m{n}"), "bob", &format!("message {n}"), at(14, 1));
    }
    state.update(Event::Scroll(5), at(14, 2));
    say(&mut state, "late", "carol", "arrived while scrolled up", at(14, 3));
    insta::assert_snapshot!(screen(&state, 70, 10));
}

#[test]
fn hostile_text_never_reaches_the_buffer_raw() {
    let mut state = state(&["general"]);
    let nasty = "\x1b]0;owned\x07\x1b[2J\u{9b}31m\u{202e}evil\r\x08";
    say(&mut state, "1", "ev\u{200b}il\x1b[5m", nasty, at(14, 1));
    let shown = screen(&state, 80, 8);
    assert!(!shown.chars().any(|c| c.is_control() && c != '\n'), "{shown:?}");
    assert!(!shown.contains('\u{202e}'));
    assert!(shown.contains("␛]0;owned␇␛[2J"), "{shown}");
}

#[test]
fn a_huge_scrollback_draws_its_last_lines() {
    // Only what fits is laid out; the screen ends with the newest messages.
    let mut state = state(&["general"]);
    state.rooms[0].cap = 200_000;
    for n in 0..100_000 {
        say(&mut state, &format!("b{n}"), "bob", "filler", at(14, 1));
    }
    for n in 0..3 {
        say(&mut state, &format!("s{n}"), "bob", &format!("tail {n}"), at(14, 1));
    }
    let shown = screen(&state, 60, 10);
    let body: Vec<&str> = shown.lines().skip(1).take(7).collect();
    assert!(body[..4].iter().all(|l| l.contains("<bob> filler")), "{shown}");
    for (n, line) in body[4..].iter().enumerate() {
        assert!(line.contains(&format!("<bob> tail {n}")), "{shown}");
    }
}

#[test]
fn configured_colours_are_used() {
    use crate::settings::Color as Configured;
    use ratatui::style::Color;
    let mut settings = Settings::for_test("alice", &["general"], Mode::Tui);
    settings.colors.own = Some(Configured::Cyan);
    settings.colors.others = Some(Configured::Magenta);
    settings.colors.notice = Some(Configured::Blue);
    let mut state = State::new(settings, at(14, 0), 0);
    say(&mut state, "1", "bob", "hi", at(14, 1));
    state.update(Event::Paste("mine".into()), at(14, 1));
    state.update(
        Event::Key(crate::app::key::Key::plain(crate::app::key::KeyCode::Enter)),
        at(14, 1),
    );
    state.update(Event::Line("/who".into()), at(14, 1));
    let mut terminal = Terminal::new(TestBackend::new(60, 8)).unwrap();
    terminal.draw(|frame| super::draw(frame, &state, Utc.fix())).unwrap();
    let buffer = terminal.backend().buffer();
    let fg_of = |needle: &str| {
        let text: Vec<String> = (0..buffer.area.height)
            .map(|y| {
                (0..buffer.area.width)
                    .map(|x| buffer[(x, y)].symbol().to_string())
                    .collect()
            })
            .collect();
        let (y, line) = text.iter().enumerate().find(|(_, l)| l.contains(needle)).expect(needle);
        let x = line[..line.find(needle).unwrap()].chars().count();
        buffer[(x as u16, y as u16)].fg
    };
    assert_eq!(fg_of("alice>"), Color::Cyan);
    assert_eq!(fg_of("bob>"), Color::Magenta);
    assert_eq!(fg_of("-!-"), Color::Blue);
}

#[test]
fn hosting_shows_in_the_status_bar() {
    let mut settings = Settings::for_test("alice", &["general"], Mode::Tui);
    settings.hosting = Some("0.0.0.0:1883".parse().unwrap());
    settings.reachable = vec!["127.0.0.1".parse().unwrap(), "192.168.1.20".parse().unwrap()];
    let mut state = State::new(settings, at(14, 0), 0);
    state.update(Event::Started, at(14, 0));
    let shown = screen(&state, 200, 12);
    assert!(shown.contains("· hosting 192.168.1.20:1883"), "{shown}");
    assert!(
        shown.contains("hosting a broker on 192.168.1.20:1883 (friends: komunikator -s 192.168.1.20 -p 1883 NAME)"),
        "{shown}"
    );
    assert!(!shown.contains("0.0.0.0"), "{shown}");
    assert!(!screen(&self::state(&["general"]), 100, 12).contains("hosting"));
    at_sizes("hosting", &mut state);
}

#[test]
fn who_lists_one_person_per_line_fitted_to_the_pane_at_every_size() {
    for (width, height) in SIZES {
        let mut state = state(&["general"]);
        presence(&mut state, "bob", Status::Online, at(14, 0));
        let mut away = encode_presence("carol", Status::Away, at(14, 0), "carol");
        let lunch = r#""message":"at lunch with the whole team, back at three","#;
        away.splice(1..1, lunch.bytes());
        arrive(&mut state, "presence/carol", away, at(14, 0));
        state.update(Event::Resize { width, height }, at(14, 5));
        state.update(Event::Line("/who *".into()), at(14, 5));
        let shown = screen(&state, width, height);
        assert!(shown.contains("◐ carol, away"), "{shown}");
        insta::assert_snapshot!(format!("who_{width}x{height}"), shown);
    }
}

#[test]
fn a_narrow_title_drops_whole_words_and_keeps_the_unread_count_and_mention() {
    let mut state = state(&["engineering-team", "rust"]);
    presence(&mut state, "bob", Status::Online, at(14, 0));
    for (id, text) in [("1", "anyone?"), ("2", "alice: a question for you")] {
        let payload = encode_chat(id, "bob", text, at(14, 1), Kind::Text);
        arrive(&mut state, "chat/rust", payload, at(14, 1));
    }
    let narrowest = screen(&state, 50, 15);
    assert!(
        narrowest.starts_with("\" #engineering-team · 1 here · 2 unread @1 "),
        "{narrowest}"
    );
    let wide = screen(&state, 80, 24);
    assert!(
        wide.starts_with("\" komunikator · #engineering-team · 1 here · 2 unread elsewhere · @1 for you "),
        "{wide}"
    );
    at_sizes("unread_elsewhere", &mut state);
}

#[test]
fn a_room_topic_shows_under_the_title() {
    use crate::protocol::payload::encode_topic;
    let mut state = state(&["general", "rust"]);
    presence(&mut state, "bob", Status::Online, at(14, 0));
    let topic = encode_topic(
        "general",
        "bob",
        "Release on Friday: freeze at noon, notes in the wiki, and \u{1b}[31mno\u{1b}[0m pushes to main after that",
        at(14, 1),
    );
    arrive(&mut state, "topic/general", topic, at(14, 1));
    say(&mut state, "1", "bob", "Topic is set, see above.", at(14, 2));
    at_sizes("topic", &mut state);
}
