//! Any bytes as a chat or presence payload: decoding never panics, keeps
//! what it shows bounded, what is shown holds nothing a terminal acts on,
//! and the fast JSON reader decodes exactly as serde alone does.

#![no_main]

use komunikator::protocol::payload::{
    decode_chat, decode_chat_without_fast_path, decode_presence, MAX_SHOWN_TEXT_BYTES,
};
use komunikator::protocol::sanitize::{self, Newlines};
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
    let _ = decode_presence(data);
    if let Ok(text) = std::str::from_utf8(data) {
        assert_safe(&sanitize::name(text));
        assert_safe(&sanitize::text(text, Newlines::Mark));
    }
});
