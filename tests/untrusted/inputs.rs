//! The hostile and broken inputs, and what may never reach a terminal.

use chrono::{TimeZone, Utc};
use komunikator_testkit::chat_payload;

/// What a terminal would act on, or what hides or reorders text.
pub(crate) fn dangerous(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200b}' | '\u{feff}')
}

pub(crate) fn assert_terminal_safe(what: &str, lines: &[String]) {
    for line in lines {
        if let Some(c) = line.chars().find(|&c| dangerous(c)) {
            panic!("{what}: a raw U+{:04X} reached the terminal in {line:?}", c as u32);
        }
    }
}

pub(crate) fn chat(user: &str, text: &str) -> Vec<u8> {
    chat_payload(user, text).into_bytes()
}

pub(crate) fn c1() -> String {
    ('\u{80}'..='\u{9f}').collect()
}

/// Hostile messages a broker carries: (topic, payload) and a piece of what
/// must be shown, visibly escaped.
pub(crate) fn hostile() -> Vec<(String, Vec<u8>, &'static str)> {
    let general = || "chat/general".to_owned();
    vec![
        (
            general(),
            chat("mallory", "\x1b[2J\x1b[31mred"),
            "<mallory> ␛[2J␛[31mred",
        ),
        (general(), chat("mallory", "\x1b]52;c;aGVsbG8=\x07"), "␛]52;c;aGVsbG8=␇"),
        (
            general(),
            chat("mallory", "\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\"),
            "␛]8;;http://evil.example/␛\\click␛]8;;␛\\",
        ),
        (
            general(),
            chat("mallory", "\x1b]0;pwned\x07\x1b]2;pwned\x1b\\"),
            "␛]0;pwned␇␛]2;pwned␛\\",
        ),
        (general(), chat("mallory", "\x1bP1$qm\x1b\\"), "␛P1$qm␛\\"),
        (general(), chat("mallory", &c1()), "\\u{80}\\u{81}\\u{82}"),
        (
            general(),
            chat("mallory", "ring\x07 back\x08 cr\rover"),
            "ring␇ back␈ cr␍over",
        ),
        (
            general(),
            chat(
                "mallory",
                "\u{202a}\u{202b}\u{202c}\u{202d}\u{202e}|\u{2066}\u{2067}\u{2068}\u{2069}",
            ),
            "\\u{202a}\\u{202b}\\u{202c}\\u{202d}\\u{202e}|\\u{2066}",
        ),
        (
            general(),
            // A name that breaks the rules is flagged as well as escaped.
            chat("ev\x1b[2Jil", "in the user field"),
            "<ev␛[2Jil> ⚠ invalid name in the user field",
        ),
        (
            general(),
            chat("bo\u{200b}b\u{200d}", "zero width"),
            "<bo\\u{200b}b\\u{200d}> ⚠ invalid name zero width",
        ),
        (
            general(),
            chat("\u{202e}eciла", "bidi name"),
            "<\\u{202e}eciла> ⚠ invalid name bidi name",
        ),
        (general(), b"\x1b[2Jraw\xc2\x9b".to_vec(), "<?> ␛[2Jraw\\u{9b}"),
        (
            "dm/alice".to_owned(),
            chat("ev\x1b]0;x\x07il", "direct"),
            "@? <ev␛]0;x␇il> ⚠ invalid name direct",
        ),
        (
            "presence/\u{202e}evil".to_owned(),
            br#"{"status":"online"}"#.to_vec(),
            "ignored presence for \"\\u{202e}evil\"",
        ),
        (
            "presence/bo\u{200b}b".to_owned(),
            br#"{"status":"online"}"#.to_vec(),
            "ignored presence for \"bo\\u{200b}b\"",
        ),
    ]
}

/// Topics a strict broker refuses (mosquitto drops such a publisher), but
/// another may carry: checked against the state and the screen only.
pub(crate) fn hostile_topics() -> Vec<(String, Vec<u8>, &'static str)> {
    vec![
        (
            "presence/ev\x1b[2Jil".to_owned(),
            br#"{"status":"online"}"#.to_vec(),
            "ignored presence for \"ev␛[2Jil\"",
        ),
        (
            "presence/x\u{9b}y".to_owned(),
            br#"{"status":"online"}"#.to_vec(),
            "ignored presence for \"x\\u{9b}y\"",
        ),
        // A room name from a topic: not joined, so not shown at all.
        ("chat/\x1b[2J".to_owned(), chat("mallory", "unseen"), ""),
    ]
}

pub(crate) fn broken() -> Vec<(Vec<u8>, String)> {
    let old = Utc.with_ymd_and_hms(1970, 1, 1, 0, 0, 0).unwrap().to_rfc3339();
    let future = Utc.with_ymd_and_hms(2999, 1, 1, 0, 0, 0).unwrap().to_rfc3339();
    let at = |ts: &str, text: &str| {
        format!(r#"{{"v":1,"id":"{text}","user":"dave","text":"{text}","ts":"{ts}"}}"#).into_bytes()
    };
    let deep = "[".repeat(10_000) + &"]".repeat(10_000);
    let deep_field = format!(
        r#"{{"v":1,"id":"deep","user":"dave","text":"deep but fine","ts":"{}","x":{}1{}}}"#,
        Utc::now().to_rfc3339(),
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let mut binary: Vec<u8> = (0..4096u32).map(|i| (i * 7 % 256) as u8).collect();
    binary[0] = 0xff;
    vec![
        (vec![0xff, 0xfe, 0x00], "<?> <binary, 3 B>".into()),
        (binary, "<?> <binary, 4.0 KiB>".into()),
        (Vec::new(), "#general <?> ".into()),
        (b"[1,2,3]".to_vec(), "<?> [1,2,3]".into()),
        (b"42".to_vec(), "<?> 42".into()),
        (b"\"just a string\"".to_vec(), "<?> \"just a string\"".into()),
        (
            br#"{"v":1,"id":5,"user":["x"],"text":{"a":1},"ts":17}"#.to_vec(),
            "<?> [malformed: id is a number, user is an array, text is an object, ts is a number]".into(),
        ),
        (
            br#"{"text":"only text"}"#.to_vec(),
            "<?> [malformed: no id, no user, no ts, no v] only text".into(),
        ),
        (deep.clone().into_bytes(), format!("<?> {}", &deep[..100])),
        (deep_field.into_bytes(), "<dave> deep but fine".into()),
        (at(&old, "from 1970"), "<dave> [clock off] from 1970".into()),
        (at(&future, "from 2999"), "<dave> [clock off] from 2999".into()),
    ]
}
