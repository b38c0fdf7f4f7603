//! What signing costs a sender and checking costs a receiver, per message:
//! Ed25519 over a typical chat payload, the check against a remembered key
//! (the key ring's lookup included), sealing and opening a direct message,
//! and a lookalike check of a new name.
//!
//! `cargo bench --bench signatures`

use std::hint::black_box;

use chrono::{TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use komunikator::app::keyring::KeyRing;
use komunikator::app::lookalikes::Lookalikes;
use komunikator::protocol::payload::{encode_chat, Kind};
use komunikator::protocol::sealed;
use komunikator::protocol::signature::{key_to_base64, SecretKeys, Verifier};
use rand_chacha::rand_core::SeedableRng;

fn payload() -> Vec<u8> {
    let ts = Utc.with_ymd_and_hms(2026, 11, 25, 14, 3, 7).unwrap();
    encode_chat(
        "01JD3X9K2M7Q8R5T6V4W0YZABC",
        "bob",
        "hello everyone, the build is green again",
        ts,
        Kind::Text,
    )
}

fn signatures(c: &mut Criterion) {
    let bob = SecretKeys::from_seed(&[2; 32]);
    let topic = "chat/general";
    let unsigned = payload();
    let signed = bob.sign(topic, unsigned.clone());
    let verifier = Verifier::new(&bob.public().sign).expect("a key");
    let mut ring = KeyRing::default();
    ring.load(&format!("bob {}\n", key_to_base64(&bob.public().sign)));

    let mut group = c.benchmark_group("signatures");
    group.throughput(Throughput::Elements(1));
    group.bench_function("sign", |b| {
        b.iter(|| bob.sign(black_box(topic), black_box(unsigned.clone())))
    });
    group.bench_function("verify", |b| {
        b.iter(|| verifier.check(black_box(topic), black_box(&signed)))
    });
    group.bench_function("check_known_sender", |b| {
        b.iter(|| ring.check_chat(black_box("bob"), black_box(topic), black_box(&signed)))
    });
    group.bench_function("check_unknown_unsigned", |b| {
        b.iter(|| ring.check_chat(black_box("pub"), black_box(topic), black_box(&unsigned)))
    });
    let mut names = Lookalikes::default();
    names.see("alice");
    group.bench_function("lookalike_seen_name", |b| b.iter(|| names.see(black_box("bob"))));
    group.bench_function("lookalike_new_name", |b| {
        b.iter(|| Lookalikes::default().see(black_box("łucja_2")))
    });

    let alice = SecretKeys::from_seed(&[1; 32]);
    let mut rng = rand_chacha::ChaCha20Rng::from_seed([3; 32]);
    let readers = [("bob", bob.public().boxing), ("alice", alice.public().boxing)];
    let text = "the secret is 4711, see you at noon";
    group.bench_function("seal_dm_two_readers", |b| {
        b.iter(|| sealed::seal(&mut rng, black_box(text), &readers))
    });
    let sealed_json = serde_json::to_string(&sealed::seal(&mut rng, text, &readers)).expect("json");
    group.bench_function("open_dm", |b| {
        b.iter(|| sealed::open(&bob, "bob", black_box(&sealed_json)))
    });
    group.finish();
}

criterion_group!(benches, signatures);
criterion_main!(benches);
