use proptest::prelude::*;

use super::*;
use crate::protocol::payload::{encode_chat, Kind};

fn keys(n: u8) -> SecretKeys {
    SecretKeys::from_seed(&[n; 32])
}

fn verifier(keys: &SecretKeys) -> Verifier {
    Verifier::new(&keys.public().sign).unwrap()
}

fn at() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap()
}

#[test]
fn a_signed_payload_is_the_object_with_one_member_more() {
    let plain = encode_chat("01ID", "bob", "hi", at(), Kind::Text);
    let signed = keys(1).sign("chat/general", plain.clone());
    let text = std::str::from_utf8(&signed).unwrap();
    assert!(text.starts_with(std::str::from_utf8(&plain[..plain.len() - 1]).unwrap()));
    assert!(text.contains(",\"sig\":\"") && text.ends_with("\"}"), "{text}");
    // Still a chat object for a client that knows nothing of signatures.
    let read: serde_json::Value = serde_json::from_slice(&signed).unwrap();
    assert_eq!(read["user"], "bob");
    assert_eq!(read["sig"].as_str().unwrap().len(), 88);
}

#[test]
fn verifies_for_its_key_and_topic_only() {
    let bob = keys(1);
    let signed = bob.sign("chat/general", encode_chat("1", "bob", "hi", at(), Kind::Text));
    assert_eq!(verifier(&bob).check("chat/general", &signed), Check::Valid);
    assert_eq!(
        verifier(&bob).check("chat/random", &signed),
        Check::Invalid,
        "replayed to another room"
    );
    assert_eq!(
        verifier(&bob).check("dm/carol", &signed),
        Check::Invalid,
        "replayed to a person"
    );
    assert_eq!(
        verifier(&keys(2)).check("chat/general", &signed),
        Check::Invalid,
        "another key"
    );
    let plain = encode_chat("1", "bob", "hi", at(), Kind::Text);
    assert_eq!(verifier(&bob).check("chat/general", &plain), Check::Unsigned);
}

#[test]
fn a_signature_not_written_as_the_protocol_says_is_no_signature() {
    let signed = keys(1).sign("t", encode_chat("1", "bob", "hi", at(), Kind::Text));
    let text = String::from_utf8(signed).unwrap();
    for variant in [
        format!("{text} "),
        text.replace(",\"sig\":\"", ", \"sig\":\""),
        text.replace("\"}", "\" }"),
        text[..text.len() - 3].to_owned() + "\"}",
    ] {
        assert_eq!(find_signature(variant.as_bytes()).map(|(at, _)| at), None, "{variant}");
    }
    assert!(find_signature(b"").is_none());
    assert!(find_signature(b"\"}").is_none());
}

#[test]
fn keys_read_back_from_base64_and_fingerprints_are_thirty_digits() {
    let public = keys(1).public();
    assert_eq!(key_from_base64(&key_to_base64(&public.sign)), Some(public.sign));
    assert_eq!(key_from_base64("short"), None);
    assert_eq!(key_from_base64(&"!".repeat(44)), None);
    let print = fingerprint(&public.sign);
    assert_eq!(print.len(), 35, "{print}");
    assert!(print
        .split(' ')
        .all(|g| g.len() == 5 && g.bytes().all(|b| b.is_ascii_digit())));
    assert_eq!(print, fingerprint(&public.sign));
    assert_ne!(print, fingerprint(&keys(2).public().sign));
    // The box key is not the signing key.
    assert_ne!(public.sign, public.boxing);
}

fn field() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[a-zA-Z0-9 łż日\"\\\\\n]{0,12}").unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// The canonical form covers every field: changing any one of them, or
    /// the topic, breaks the signature.
    #[test]
    fn any_field_change_breaks_the_signature(
        id in field(), user in field(), text in field(), action in any::<bool>(),
        secs in 0i64..4_000_000_000, which in 0usize..6, other in field(),
    ) {
        let kind = if action { Kind::Action } else { Kind::Text };
        let ts = chrono::DateTime::from_timestamp(secs, 0).unwrap();
        let bob = keys(9);
        let topic = "chat/general";
        let signed = bob.sign(topic, encode_chat(&id, &user, &text, ts, kind));
        prop_assert_eq!(verifier(&bob).check(topic, &signed), Check::Valid);

        // The same payload with one field changed, written as the signer
        // writes it, and the old signature spliced on as a forger would.
        let changed = |s: &str| if s == other { format!("{other}!") } else { other.clone() };
        let (mut topic2, field_name) = (topic.to_owned(), ["id", "user", "text", "ts", "kind", "topic"][which]);
        let unsigned = match field_name {
            "id" => encode_chat(&changed(&id), &user, &text, ts, kind),
            "user" => encode_chat(&id, &changed(&user), &text, ts, kind),
            "text" => encode_chat(&id, &user, &changed(&text), ts, kind),
            "ts" => encode_chat(&id, &user, &text, ts + chrono::Duration::seconds(1), kind),
            "kind" => encode_chat(&id, &user, &text, ts, if action { Kind::Text } else { Kind::Action }),
            _ => {
                topic2 = format!("chat/{other}x");
                encode_chat(&id, &user, &text, ts, kind)
            }
        };
        let (sig_at, _) = find_signature(&signed).unwrap();
        let mut forged = unsigned[..unsigned.len() - 1].to_vec();
        forged.extend_from_slice(&signed[sig_at..]);
        prop_assert!(find_signature(&forged).is_some());
        prop_assert_ne!(verifier(&bob).check(&topic2, &forged), Check::Valid, "{}", field_name);
    }

    /// Any byte changed anywhere in a signed payload breaks it.
    #[test]
    fn any_byte_change_breaks_the_signature(text in field(), at in any::<prop::sample::Index>(), bit in 0u8..8) {
        let bob = keys(3);
        let signed = bob.sign("dm/carol", encode_chat("1", "bob", &text, at_ts(), Kind::Text));
        let mut flipped = signed.clone();
        let i = at.index(flipped.len());
        flipped[i] ^= 1 << bit;
        prop_assert_ne!(verifier(&bob).check("dm/carol", &flipped), Check::Valid);
    }
}

fn at_ts() -> chrono::DateTime<chrono::Utc> {
    at()
}
