//! Property tests over everything that reads untrusted bytes: payload
//! decoding, sanitising, JSON output, the state machine and drawing.
//! Bounded (a few thousand cases each) so they run in CI; raise
//! PROPTEST_CASES for a longer hunt.

use bytes::Bytes;
use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use komunikator::app::{Effect, Event, NetEvent, State};
use komunikator::protocol::payload::{decode_chat, decode_presence, MAX_SHOWN_TEXT_BYTES};
use komunikator::protocol::sanitize::{self, Newlines};
use komunikator::protocol::{json, Form};
use komunikator::settings::{Mode, Settings};

fn dangerous(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200b}' | '\u{feff}')
}

/// Bytes that look like payloads: JSON-ish fragments, escapes and noise.
fn payload() -> impl Strategy<Value = Vec<u8>> {
    let fragment = prop_oneof![
        Just(b"{\"v\":1,\"id\":\"x\",\"user\":\"u\",\"text\":\"t\",\"ts\":\"2026-11-25T14:03:07Z\"}".to_vec()),
        Just(b"{".to_vec()),
        Just(b"}".to_vec()),
        Just(b"\"text\":".to_vec()),
        Just(b"\x1b[2J".to_vec()),
        Just(b"\x1b]52;c;aGk=\x07".to_vec()),
        Just("\u{202e}\u{9b}".as_bytes().to_vec()),
        Just(b"[[[[[[[[".to_vec()),
        prop::collection::vec(any::<u8>(), 0..16),
        "[ -~]{0,12}".prop_map(String::into_bytes),
    ];
    prop::collection::vec(fragment, 0..12).prop_map(|parts| parts.concat())
}

/// Well-formed chat objects whose fields hold anything: hostile names and
/// texts that pass decoding and must be neutralised on output.
fn structured() -> impl Strategy<Value = Vec<u8>> {
    let text = prop_oneof![
        any::<String>(),
        "[\\x00-\\x1f\\x7f-\\u{9f}\\u{202a}-\\u{202e}\\u{2066}-\\u{2069}a ]{0,12}"
    ];
    (
        text.clone(),
        text.clone(),
        text,
        prop::option::of(prop_oneof![Just("action"), Just("text"), Just("x")]),
        prop::option::of(sealed_field()),
        prop::option::of(prop_oneof![
            Just("bob"),
            Just("alice"),
            Just("a\u{3164}"),
            Just("\u{430}lice")
        ]),
        any::<bool>(),
    )
        .prop_map(|(id, user, text, kind, enc, claimed, signed)| {
            let user = claimed.map_or(user, str::to_owned);
            let mut v = serde_json::json!({"v": 1, "id": id, "user": user, "text": text, "ts": "2026-11-25T14:00:00Z"});
            if let Some(kind) = kind {
                v["kind"] = kind.into();
            }
            if let Some(enc) = enc {
                v["enc"] = enc;
            }
            let bytes = v.to_string().into_bytes();
            // Signed by a key of our own (not the one the receiver knows for
            // bob): a signature that is there and does not verify.
            if signed {
                komunikator::protocol::signature::SecretKeys::from_seed(&[9; 32]).sign("chat/general", bytes)
            } else {
                bytes
            }
        })
}

/// An `enc` member as a hostile sender may write it: wrong algorithm, huge
/// reader lists, base64 of noise, boxes for the receiver that do not open.
fn sealed_field() -> impl Strategy<Value = serde_json::Value> {
    let reader = prop_oneof![Just("alice".to_owned()), "[a-z\u{3164}]{0,6}"];
    let boxed = prop_oneof![
        "[A-Za-z0-9+/=]{0,120}",
        any::<Vec<u8>>().prop_map(|b| komunikator::protocol::signature::to_base64(&b)),
        any::<String>(),
    ];
    (
        prop_oneof![Just("x25519-xsalsa20poly1305-sealedbox".to_owned()), any::<String>()],
        prop::collection::btree_map(reader, boxed, 0..12),
    )
        .prop_map(|(alg, to)| serde_json::json!({"alg": alg, "to": to}))
}

/// Any payload: noise, fragments, or a chat object with hostile fields.
fn any_payload() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![payload(), structured()]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn chat_decoding_never_panics_and_stays_bounded(bytes in any_payload()) {
        let m = decode_chat(&bytes);
        prop_assert!(m.text.len() <= MAX_SHOWN_TEXT_BYTES);
        if let Form::Binary { len } = m.form {
            prop_assert_eq!(len, bytes.len());
        }
        let _ = decode_presence(&bytes);
    }

    #[test]
    fn sanitised_text_holds_nothing_a_terminal_acts_on(s in any::<String>()) {
        for shown in [sanitize::text(&s, Newlines::Keep), sanitize::text(&s, Newlines::Mark), sanitize::name(&s)] {
            prop_assert!(!shown.chars().any(dangerous), "{:?}", shown);
        }
        prop_assert!(!sanitize::text(&s, Newlines::Mark).contains('\n'));
    }

    #[test]
    fn json_output_round_trips_and_is_terminal_safe(s in any::<String>()) {
        let mut out = Vec::new();
        json::write_str(&mut out, &s).unwrap();
        let text = String::from_utf8(out).unwrap();
        prop_assert!(!text.chars().any(dangerous));
        let back: String = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(back, s);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn any_arrival_leaves_a_working_client_and_a_clean_screen(
        arrivals in prop::collection::vec((0usize..4, any_payload(), any::<String>()), 1..8)
    ) {
        let now = Utc.with_ymd_and_hms(2026, 11, 25, 14, 0, 0).unwrap();
        let mut state = State::new(Settings::for_test("alice", &["general"], Mode::Tui), now, 0);
        // With keys, as the program runs: bob's is known, so claims to be
        // bob are checked and sealed messages are tried.
        state.set_keys(&[1; 32], [2; 32]);
        let bob = komunikator::protocol::signature::SecretKeys::from_seed(&[3; 32]).public();
        let bob = komunikator::protocol::signature::key_to_base64(&bob.sign);
        state.load_known_keys(&format!("bob {bob}\n"));
        state.update(Event::Net(NetEvent::Connected {
        session: "s".into(),
        link: komunikator::app::testing::link(komunikator::settings::Spoken::V311),
    }), now);
        for (kind, bytes, name) in arrivals {
            let topic = match kind {
                0 => "chat/general".to_owned(),
                1 => format!("presence/{name}"),
                2 => "dm/alice".to_owned(),
                _ => format!("chat/{name}"),
            };
            let event = NetEvent::Message { topic, payload: Bytes::from(bytes), retained: kind == 1 };
            state.update(Event::Net(event), now);
        }
        let mut terminal = Terminal::new(TestBackend::new(70, 16)).unwrap();
        terminal.draw(|frame| komunikator::ui::draw(frame, &state, chrono::Offset::fix(&chrono::Utc))).unwrap();
        let shown = terminal.backend().buffer().content().iter().map(|c| c.symbol()).collect::<String>();
        prop_assert!(!shown.chars().any(|c| dangerous(c) || c == '\n'), "{:?}", shown);
        // Still usable: a line typed now goes out to the room, as typed.
        let fx = state.update(Event::Line("still here".into()), now);
        let sent: Vec<_> = fx.iter().filter_map(|e| match e {
            Effect::Publish(p) => Some(p),
            _ => None,
        }).collect();
        prop_assert_eq!(sent.len(), 1, "{:?}", fx);
        prop_assert_eq!(sent[0].topic.as_str(), "chat/general");
        let decoded = decode_chat(&sent[0].payload);
        prop_assert_eq!(decoded.text.as_str(), "still here");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Line mode: whatever arrives, on whatever topic, every line written to
    /// stdout (plain or JSON) and every notice for stderr is terminal-safe,
    /// and each JSON line parses.
    #[test]
    fn line_mode_output_is_terminal_safe_for_any_arrival(
        arrivals in prop::collection::vec((0usize..5, any_payload(), any::<String>()), 1..8),
        json in any::<bool>(),
    ) {
        use komunikator::line::Formatter;
        let now = Utc.with_ymd_and_hms(2026, 11, 25, 14, 0, 0).unwrap();
        let mut state = State::new(Settings::for_test("alice", &["general"], Mode::Line { json }), now, 0);
        state.set_keys(&[1; 32], [2; 32]);
        let mut effects = state.update(Event::Net(NetEvent::Connected {
        session: "s".into(),
        link: komunikator::app::testing::link(komunikator::settings::Spoken::V311),
    }), now);
        for (kind, bytes, name) in arrivals {
            let topic = match kind {
                0 => "chat/general".to_owned(),
                1 => format!("presence/{name}"),
                2 => "dm/alice".to_owned(),
                3 => format!("dm/{name}"),
                _ => format!("chat/{name}"),
            };
            let event = NetEvent::Message { topic, payload: Bytes::from(bytes), retained: kind == 1 };
            effects.extend(state.update(Event::Net(event), now));
        }
        effects.extend(state.update(Event::Line("/who".into()), now));
        let mut formatter = Formatter::new(json);
        for effect in effects {
            match effect {
                Effect::Print(record) => {
                    let mut out = Vec::new();
                    formatter.write(&mut out, &record).unwrap();
                    let text = String::from_utf8(out).unwrap();
                    prop_assert!(text.ends_with('\n') && text.matches('\n').count() == 1, "{:?}", text);
                    prop_assert!(!text.chars().any(dangerous), "{:?}", text);
                    if json {
                        prop_assert!(serde_json::from_str::<serde_json::Value>(&text).is_ok(), "{:?}", text);
                    }
                }
                Effect::Report(text) => prop_assert!(!text.chars().any(|c| dangerous(c) || c == '\n'), "{:?}", text),
                _ => {}
            }
        }
    }
}
