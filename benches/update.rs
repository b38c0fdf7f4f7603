//! `State::update` under a flood of chat messages into the active room:
//! full-screen mode (kept in scrollback) and line mode (turned into a
//! `Print` effect, then formatted as JSON like `--no-tui --json`).
//!
//! `cargo bench --bench update`

use std::hint::black_box;

use bytes::Bytes;
use chrono::{DateTime, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use komunikator::app::{Effect, Event, NetEvent, State};
use komunikator::line::Formatter;
use komunikator::protocol::payload::encode_chat;
use komunikator::protocol::Kind;
use komunikator::settings::{Mode, Settings};

/// More distinct ids than a room remembers, so no arrival is a duplicate.
const FLOOD: usize = 10_000;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 14, 0, 0).unwrap()
}

fn flood() -> Vec<NetEvent> {
    (0..FLOOD)
        .map(|i| NetEvent::Message {
            topic: "chat/general".into(),
            payload: Bytes::from(encode_chat(
                &format!("01JD3X9K2M7Q8R5T6V{i:08}"),
                "bob",
                "hello everyone, the build is green again",
                now(),
                Kind::Text,
            )),
            retained: false,
        })
        .collect()
}

fn connected(mode: Mode) -> State {
    let mut state = State::new(Settings::for_test("alice", &["general"], mode), now(), 0);
    state.update(
        Event::Net(NetEvent::Connected {
            session: "s".into(),
            link: komunikator::app::testing::link(komunikator::settings::Spoken::V311),
        }),
        now(),
    );
    state.update(Event::Net(NetEvent::Subscribed { refused: 0 }), now());
    state
}

fn update(c: &mut Criterion) {
    let events = flood();
    let mut group = c.benchmark_group("update_flood");
    group.throughput(Throughput::Elements(FLOOD as u64));
    group.sample_size(20);

    let mut tui = connected(Mode::Tui);
    group.bench_function("tui_scrollback", |b| {
        b.iter_batched(
            || events.clone(),
            |events| {
                for event in events {
                    black_box(tui.update(Event::Net(event), now()));
                }
            },
            BatchSize::LargeInput,
        )
    });

    let mut line = connected(Mode::Line { json: true });
    let mut formatter = Formatter::new(true);
    let mut out: Vec<u8> = Vec::with_capacity(4 << 20);
    group.bench_function("line_json", |b| {
        b.iter_batched(
            || events.clone(),
            |events| {
                out.clear();
                for event in events {
                    for effect in line.update(Event::Net(event), now()) {
                        if let Effect::Print(record) = effect {
                            formatter.write(&mut out, &record).expect("write to memory");
                        }
                    }
                }
                black_box(out.len())
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, update);
criterion_main!(benches);
