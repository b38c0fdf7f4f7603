//! Payload decode + sanitise, per message: what every arrival costs before
//! the state machine sees it.
//!
//! `cargo bench --bench decode`

use std::hint::black_box;

use chrono::{TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use komunikator::protocol::payload::{decode_chat, decode_chat_without_fast_path, encode_chat};
use komunikator::protocol::sanitize::{self, Newlines};
use komunikator::protocol::Kind;

fn payloads() -> Vec<(&'static str, Vec<u8>)> {
    let ts = Utc.with_ymd_and_hms(2026, 11, 25, 14, 3, 7).unwrap();
    vec![
        (
            "proper_ascii",
            encode_chat(
                "01JD3X9K2M7Q8R5T6V4W0YZABC",
                "alice",
                "hello everyone, the build is green again",
                ts,
                Kind::Text,
            ),
        ),
        (
            "proper_unicode",
            encode_chat(
                "01JD3X9K2M7Q8R5T6V4W0YZABD",
                "łucja",
                "zażółć gęślą jaźń — 日本語のテキスト 👍🏽",
                ts,
                Kind::Text,
            ),
        ),
        (
            "proper_hostile",
            encode_chat(
                "01JD3X9K2M7Q8R5T6V4W0YZABE",
                "mallory",
                "\u{1b}]52;c;aGk=\u{7}\u{9b}2J\u{202e}gnp.exe\nline two",
                ts,
                Kind::Text,
            ),
        ),
        ("plain_text", b"hi from mosquitto_pub".to_vec()),
        (
            "malformed",
            br#"{"v":1,"user":"bob","text":5,"ts":"yesterday"}"#.to_vec(),
        ),
        ("binary", vec![0xff; 256]),
    ]
}

fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode_sanitize");
    group.throughput(Throughput::Elements(1));
    for (name, bytes) in payloads() {
        group.bench_function(name, |b| {
            b.iter(|| {
                let m = decode_chat(black_box(&bytes));
                let shown = sanitize::text(&m.text, Newlines::Mark).len();
                let user = m.user.as_deref().map_or(0, |u| sanitize::name(u).len());
                black_box((m, shown, user))
            })
        });
    }
    group.finish();
}

/// What the hand-written reader of the strict chat shape saves over serde
/// alone: it is kept only while this shows a clear gain.
fn fast_path(c: &mut Criterion) {
    let mut group = c.benchmark_group("fast_path");
    group.throughput(Throughput::Elements(1));
    for (name, bytes) in payloads().into_iter().take(2) {
        group.bench_function(format!("{name}/fast"), |b| b.iter(|| decode_chat(black_box(&bytes))));
        group.bench_function(format!("{name}/serde_only"), |b| {
            b.iter(|| decode_chat_without_fast_path(black_box(&bytes)))
        });
    }
    group.finish();
}

criterion_group!(benches, decode, fast_path);
criterion_main!(benches);
