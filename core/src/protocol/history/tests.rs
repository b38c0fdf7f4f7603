use super::*;
use crate::protocol::payload::{encode_chat, Form, Kind};
use chrono::TimeZone;
use proptest::prelude::*;

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 14, 3, 7).unwrap() + chrono::Duration::milliseconds(123)
}

fn request() -> HistoryRequest {
    HistoryRequest {
        user: "alice".into(),
        nonce: "k3j4q9".into(),
        after: Some(at()),
        limit: 100,
    }
}

fn chat(n: usize) -> Vec<u8> {
    encode_chat(&format!("id{n}"), "bob", &format!("message {n}"), at(), Kind::Text)
}

#[test]
fn a_request_round_trips_as_documented() {
    let bytes = encode_request(&request());
    assert_eq!(
        std::str::from_utf8(&bytes).unwrap(),
        r#"{"v":1,"user":"alice","nonce":"k3j4q9","after":"2026-11-25T14:03:07.123Z","limit":100}"#
    );
    assert_eq!(decode_request(&bytes), Ok(request()));
    let bare = HistoryRequest {
        after: None,
        limit: MAX_REPLY_MESSAGES,
        ..request()
    };
    assert_eq!(decode_request(&encode_request(&bare)), Ok(bare.clone()));
    // Optional fields absent or null, unknown fields ignored.
    let read = decode_request(br#"{"v":1,"user":"alice","nonce":"k3j4q9","after":null,"x":[1]}"#);
    assert_eq!(read, Ok(bare));
}

#[test]
fn a_request_limit_is_capped_and_zero_is_allowed() {
    let with = |limit: &str| decode_request(format!(r#"{{"v":1,"user":"a","nonce":"n","limit":{limit}}}"#).as_bytes());
    assert_eq!(with("5").unwrap().limit, 5);
    assert_eq!(with("0").unwrap().limit, 0);
    assert_eq!(with("100000").unwrap().limit, MAX_REPLY_MESSAGES);
    assert_eq!(with("18446744073709551615").unwrap().limit, MAX_REPLY_MESSAGES);
    for bad in ["-1", "1.5", "1e400", "\"5\"", "true"] {
        assert!(with(bad).is_err(), "{bad}");
    }
    let big = HistoryRequest {
        limit: 10_000,
        ..request()
    };
    assert_eq!(decode_request(&encode_request(&big)).unwrap().limit, MAX_REPLY_MESSAGES);
}

#[test]
fn hostile_requests_are_refused_with_a_reason() {
    let cases: [(&[u8], &str); 14] = [
        (b"hi", "not JSON"),
        (b"", "not JSON"),
        (b"[1]", "an array"),
        (b"\xff\xfe", "not JSON"),
        (br#"{"user":"a","nonce":"n"}"#, "no v"),
        (br#"{"v":2,"user":"a","nonce":"n"}"#, "version 2"),
        (br#"{"v":"1","user":"a","nonce":"n"}"#, "v is a string"),
        (br#"{"v":1,"nonce":"n"}"#, "no user"),
        (br#"{"v":1,"user":5,"nonce":"n"}"#, "user is a number"),
        (br#"{"v":1,"user":"a/b","nonce":"n"}"#, "invalid username"),
        (br#"{"v":1,"user":"a"}"#, "no nonce"),
        (br#"{"v":1,"user":"a","nonce":"a b"}"#, "nonce"),
        (br#"{"v":1,"user":"a","nonce":"n","after":"yesterday"}"#, "RFC 3339"),
        (br#"{"v":1,"user":"a","nonce":"n","after":1}"#, "after is a number"),
    ];
    for (bytes, reason) in cases {
        let err = decode_request(bytes).unwrap_err();
        assert!(err.contains(reason), "{:?}: {err}", String::from_utf8_lossy(bytes));
    }
    let long_nonce = format!(r#"{{"v":1,"user":"a","nonce":"{}"}}"#, "n".repeat(33));
    assert!(decode_request(long_nonce.as_bytes()).is_err());
    let padded = format!(
        r#"{{"v":1,"user":"a","nonce":"n","pad":"{}"}}"#,
        "x".repeat(MAX_REQUEST_BYTES)
    );
    assert!(decode_request(padded.as_bytes()).unwrap_err().contains("too long"));
    let deep = "[".repeat(2_000) + &"]".repeat(2_000);
    assert!(decode_request(deep.as_bytes()).is_err());
}

#[test]
fn nonces() {
    assert!(is_nonce("k3j4q9") && is_nonce("A_b-9") && is_nonce(&"z".repeat(32)));
    for bad in ["", "a b", "ą", "a/b", "a+b", &"z".repeat(33)] {
        assert!(!is_nonce(bad), "{bad}");
    }
    assert!(is_nonce(&nonce(u64::MAX)) && is_nonce(&nonce(0)));
    assert_ne!(nonce(1), nonce(2));
}

#[test]
fn a_reply_round_trips_keeping_each_payload_byte_for_byte() {
    let odd = br#"{"v":1,"id":"x9","user":"eve","text":"hi","ts":"2026-11-25T14:03:07Z","future":{"a":[1,2]}}"#;
    let payloads: Vec<Vec<u8>> = vec![chat(1), odd.to_vec(), chat(3)];
    let refs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
    let bytes = encode_reply("general", "k3j4q9", "komunikator-broker@host", &refs, false);
    let text = std::str::from_utf8(&bytes).unwrap();
    assert!(text
        .starts_with(r#"{"v":1,"room":"general","nonce":"k3j4q9","keeper":"komunikator-broker@host","messages":[{"#));
    assert!(text.ends_with(r#"}],"more":false}"#), "{text}");
    assert!(text.contains(std::str::from_utf8(odd).unwrap()), "{text}");
    let reply = decode_reply(&bytes).unwrap();
    assert_eq!(reply.room, "general");
    assert_eq!(reply.nonce, "k3j4q9");
    assert_eq!(reply.keeper, "komunikator-broker@host");
    assert!(!reply.more);
    let ids: Vec<_> = reply.messages.iter().map(|m| m.id.as_deref().unwrap()).collect();
    assert_eq!(ids, ["id1", "x9", "id3"]);
    assert!(reply.messages.iter().all(|m| m.form == Form::Proper));
    assert_eq!(reply.messages[0], decode_chat(&chat(1)), "read as a live message is");

    let empty = encode_reply("general", "n", "k", &[], false);
    assert_eq!(
        std::str::from_utf8(&empty).unwrap(),
        r#"{"v":1,"room":"general","nonce":"n","keeper":"k","messages":[],"more":false}"#
    );
    assert!(decode_reply(&empty).unwrap().messages.is_empty());
    assert!(
        decode_reply(&encode_reply("general", "n", "k", &[], true))
            .unwrap()
            .more
    );
}

#[test]
fn a_reply_skips_payloads_that_are_not_objects() {
    let payloads: [&[u8]; 6] = [
        b"hi",
        b"[1,2]",
        b"\"s\"",
        b"\xff",
        b"{broken",
        b" {\"text\":\"loose\"} ",
    ];
    let reply = decode_reply(&encode_reply("general", "n", "k", &payloads, false)).unwrap();
    assert_eq!(reply.messages.len(), 1);
    assert_eq!(reply.messages[0].text, "loose");
    assert!(matches!(reply.messages[0].form, Form::Malformed(_)));
    assert!(!reply.more, "nothing readable was left out");
}

#[test]
fn a_reply_keeps_the_newest_that_fit_in_count() {
    let payloads: Vec<Vec<u8>> = (0..250).map(chat).collect();
    let refs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
    let reply = decode_reply(&encode_reply("general", "n", "k", &refs, false)).unwrap();
    assert_eq!(reply.messages.len(), MAX_REPLY_MESSAGES);
    assert_eq!(reply.messages[0].id.as_deref(), Some("id50"));
    assert_eq!(reply.messages[199].id.as_deref(), Some("id249"));
    assert!(reply.more);
    let exactly = decode_reply(&encode_reply("general", "n", "k", &refs[50..], false)).unwrap();
    assert_eq!(exactly.messages.len(), MAX_REPLY_MESSAGES);
    assert!(!exactly.more);
}

#[test]
fn a_reply_keeps_the_newest_that_fit_in_bytes() {
    let big = |n: usize| encode_chat(&format!("id{n}"), "bob", &"x".repeat(40 * 1024), at(), Kind::Text);
    let payloads: Vec<Vec<u8>> = (0..10).map(big).collect();
    let refs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
    let bytes = encode_reply("general", "n", "k", &refs, false);
    assert!(bytes.len() <= MAX_REPLY_BYTES, "{}", bytes.len());
    let reply = decode_reply(&bytes).unwrap();
    let ids: Vec<_> = reply.messages.iter().map(|m| m.id.clone().unwrap()).collect();
    assert_eq!(ids, ["id4", "id5", "id6", "id7", "id8", "id9"]);
    assert!(reply.more);

    // One too large for any reply is skipped; the run before it still comes.
    let huge = encode_chat("huge", "bob", &"y".repeat(MAX_REPLY_BYTES), at(), Kind::Text);
    let refs: Vec<&[u8]> = vec![&payloads[0], &payloads[1], &huge];
    let reply = decode_reply(&encode_reply("general", "n", "k", &refs, false)).unwrap();
    let ids: Vec<_> = reply.messages.iter().map(|m| m.id.clone().unwrap()).collect();
    assert_eq!(ids, ["id0", "id1"]);
    assert!(reply.more);
}

#[test]
fn hostile_replies_are_refused_with_a_reason_or_bounded() {
    let ok = r#"{"v":1,"room":"general","nonce":"n","keeper":"k","messages":[],"more":false}"#;
    assert!(decode_reply(ok.as_bytes()).is_ok());
    let cases = [
        "hi".to_owned(),
        "[]".to_owned(),
        ok.replace(r#""v":1"#, r#""v":2"#),
        ok.replace(r#""v":1"#, r#""v":"1""#),
        ok.replace(r#""room":"general""#, r#""room":"a/b""#),
        ok.replace(r#""room":"general""#, r#""room":5"#),
        ok.replace(r#""nonce":"n""#, r#""nonce":"n n""#),
        ok.replace(r#""nonce":"n""#, r#""nonce":"""#),
        ok.replace(r#""messages":[]"#, r#""messages":{}"#),
        ok.replace(r#""messages":[]"#, r#""messages":"x""#),
        ok.replace(r#""more":false"#, r#""more":"yes""#),
        ok.replace(r#""keeper":"k""#, &format!(r#""keeper":"{}""#, "k".repeat(129))),
        ok.replace(r#","keeper":"k""#, ""),
        ok.replace(r#""messages":[]"#, &format!(r#""messages":[{}]"#, "[".repeat(5_000))),
    ];
    for case in cases {
        let err = decode_reply(case.as_bytes()).unwrap_err();
        assert!(!err.is_empty());
    }
    assert!(decode_reply(&vec![b' '; MAX_REPLY_BYTES + 1])
        .unwrap_err()
        .contains("too long"));

    // A huge array: only the first MAX_REPLY_MESSAGES elements are read.
    let many = ok.replace(
        r#""messages":[]"#,
        &format!(r#""messages":[{}{{}}]"#, "{},".repeat(50_000)),
    );
    assert_eq!(
        decode_reply(many.as_bytes()).unwrap().messages.len(),
        MAX_REPLY_MESSAGES
    );
    // Elements that are not objects are read as live payloads would be.
    let odd = ok.replace(r#""messages":[]"#, r#""messages":["hi",5,null,[1]]"#);
    let reply = decode_reply(odd.as_bytes()).unwrap();
    assert!(reply
        .messages
        .iter()
        .all(|m| m.form == Form::PlainText && m.user.is_none()));
    // Text is cut for display as in a live message.
    let long = encode_chat("l", "bob", &"z".repeat(100_000), at(), Kind::Text);
    let reply = decode_reply(&encode_reply("general", "n", "k", &[&long], false)).unwrap();
    assert_eq!(
        reply.messages[0].cut,
        100_000 - crate::protocol::payload::MAX_SHOWN_TEXT_BYTES
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn decoding_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = decode_request(&bytes);
        let _ = decode_reply(&bytes);
    }

    #[test]
    fn decoding_json_shaped_noise_never_panics(s in r#"[{}\[\]",:0-9a-z\\ ]{0,200}"#) {
        let _ = decode_request(s.as_bytes());
        let _ = decode_reply(s.as_bytes());
        let _ = encode_reply("r", "n", "k", &[s.as_bytes()], false);
    }
}
