//! Any bytes as a chat or presence payload: decoding never panics, keeps
//! what it shows bounded, what is shown holds nothing a terminal acts on,
//! and the fast JSON reader decodes exactly as serde alone does. The
//! signature and sealing fields too: finding and checking a signature and
//! opening a sealed direct message never panic, never verify what was not
//! signed with the key, and a payload signed here verifies for its topic
//! only and decodes as it did unsigned.

#![no_main]

use komunikator::protocol::payload::{
    decode_chat, decode_chat_without_fast_path, decode_presence, MAX_SHOWN_TEXT_BYTES,
};
use komunikator::protocol::sanitize::{self, Newlines};
use komunikator::protocol::sealed;
use komunikator::protocol::signature::{find_signature, Check, SecretKeys, Verifier};
use komunikator::protocol::Form;
use libfuzzer_sys::fuzz_target;

fn dangerous(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200b}' | '\u{feff}')
}

fn assert_safe(shown: &str) {
    assert!(!shown.chars().any(dangerous), "{shown:?}");
}

fuzz_target!(|data: &[u8]| {
    let m = decode_chat(data);
    assert_eq!(m, decode_chat_without_fast_path(data), "{data:?}");
    assert!(m.text.len() <= MAX_SHOWN_TEXT_BYTES);
    if let Form::Binary { len } = m.form {
        assert_eq!(len, data.len());
    }
    assert_safe(&sanitize::text(&m.text, Newlines::Mark));
    let kept = sanitize::text(&m.text, Newlines::Keep);
    assert_safe(&kept);
    if let Some(user) = &m.user {
        let name = sanitize::name(user);
        assert_safe(&name);
        assert!(!name.contains('\n'));
    }
    if let Some(id) = &m.id {
        assert_safe(&sanitize::name(id));
    }
    if let Form::Malformed(why) = &m.form {
        assert_safe(&sanitize::name(why));
    }
    if let Ok(p) = decode_presence(data) {
        let _ = (p.key, p.boxing);
    }
    signatures_and_seals(data, &m);
    if let Ok(text) = std::str::from_utf8(data) {
        assert_safe(&sanitize::name(text));
        assert_safe(&sanitize::text(text, Newlines::Mark));
    }
});

fn signatures_and_seals(data: &[u8], m: &komunikator::protocol::ChatIn) {
    let keys = SecretKeys::from_seed(&[7; 32]);
    let verifier = Verifier::new(&keys.public().sign).expect("a valid key");
    let _ = find_signature(data);
    // Not signed with this key: never valid (a forgery would need the key).
    assert_ne!(verifier.check("chat/general", data), Check::Valid, "{data:?}");
    if let Some(enc) = &m.enc {
        if let Ok(text) = sealed::open(&keys, "alice", enc) {
            assert_safe(&sanitize::text(&text, Newlines::Mark));
        }
    }
    // Any object, signed here: valid for its topic only, and read as before.
    let object = matches!(serde_json::from_slice::<serde_json::Value>(data), Ok(serde_json::Value::Object(ref o)) if !o.is_empty());
    if object && data.last() == Some(&b'}') {
        let signed = keys.sign("chat/general", data.to_vec());
        assert_eq!(verifier.check("chat/general", &signed), Check::Valid);
        assert_eq!(verifier.check("chat/random", &signed), Check::Invalid);
        let again = decode_chat(&signed);
        assert_eq!((&again.user, &again.text, &again.id), (&m.user, &m.text, &m.id));
    }
}
