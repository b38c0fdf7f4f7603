//! Drawing a 200×60 screen with 100, 10 000 and 1 000 000 messages in the
//! active room's scrollback: only what is visible is laid out, so the cost
//! must not grow with history.
//!
//! `cargo bench --bench draw`

use std::hint::black_box;

use bytes::Bytes;
use chrono::{DateTime, Duration, Offset, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use komunikator::app::{Event, NetEvent, State};
use komunikator::protocol::payload::{encode_chat, encode_presence};
use komunikator::protocol::{Kind, Status};
use komunikator::settings::{Mode, Settings};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

const WIDTH: u16 = 200;
const HEIGHT: u16 = 60;

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 8, 0, 0).unwrap()
}

fn texts() -> [&'static str; 4] {
    [
        "short one",
        "a medium sized message that says a few things about the build and the weather today",
        "a long message that wraps over several lines on most screens: lorem ipsum dolor sit amet, \
         consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. \
         Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo \
         consequat. Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore.",
        "zażółć gęślą jaźń — 日本語のテキスト 👍🏽 with a mention of alice",
    ]
}

/// A connected TUI state with `n` messages in #general, built through events.
fn state_with(n: usize) -> State {
    let mut settings = Settings::for_test("alice", &["general", "rust"], Mode::Tui);
    settings.scrollback = n + 16;
    let t0 = start();
    let mut state = State::new(settings, t0, 0);
    state.update(
        Event::Net(NetEvent::Connected {
            session: "s".into(),
            link: komunikator::app::testing::link(komunikator::settings::Spoken::V311),
        }),
        t0,
    );
    state.update(Event::Net(NetEvent::Subscribed { refused: 0 }), t0);
    state.update(
        Event::Resize {
            width: WIDTH,
            height: HEIGHT,
        },
        t0,
    );
    for (i, user) in ["bob", "carol", "dave", "erin"].iter().enumerate() {
        let payload = encode_presence(user, Status::Online, t0, &format!("s{i}"));
        let message = NetEvent::Message {
            topic: format!("presence/{user}"),
            payload: Bytes::from(payload),
            retained: true,
        };
        state.update(Event::Net(message), t0);
    }
    let users = ["bob", "carol", "dave", "erin"];
    let texts = texts();
    for i in 0..n {
        // One message every 100 ms: a million span more than a day.
        let now = t0 + Duration::milliseconds(100 * i as i64);
        let payload = encode_chat(&format!("id-{i}"), users[i % 4], texts[i % 4], now, Kind::Text);
        let message = NetEvent::Message {
            topic: "chat/general".into(),
            payload: Bytes::from(payload),
            retained: false,
        };
        state.update(Event::Net(message), now);
    }
    assert_eq!(
        state.rooms[0].entries.len(),
        n + 1,
        "every message kept (and one notice)"
    );
    state
}

fn draw(c: &mut Criterion) {
    let mut group = c.benchmark_group("draw_200x60");
    for n in [100usize, 10_000, 1_000_000] {
        // Built once per size: a million messages take a few seconds.
        let mut state = state_with(n);
        let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("test backend");
        group.bench_with_input(BenchmarkId::new("live_end", n), &n, |b, _| {
            b.iter(|| {
                terminal
                    .draw(|frame| komunikator::ui::draw(frame, black_box(&state), Utc.fix()))
                    .expect("draw");
            })
        });
        // Scrolled back half-way: the view is found by index, not by walking.
        state.rooms[0].scroll_up(n / 2);
        group.bench_with_input(BenchmarkId::new("scrolled_back", n), &n, |b, _| {
            b.iter(|| {
                terminal
                    .draw(|frame| komunikator::ui::draw(frame, black_box(&state), Utc.fix()))
                    .expect("draw");
            })
        });
    }
    group.finish();
}

criterion_group!(benches, draw);
criterion_main!(benches);
