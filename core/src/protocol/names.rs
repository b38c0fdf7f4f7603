//! Usernames and room names: the only strings that become topic levels.

use std::fmt;

pub const MAX_USERNAME_CHARS: usize = 32;
pub const MAX_ROOM_CHARS: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    Username,
    Room,
}

impl NameKind {
    fn label(self) -> &'static str {
        match self {
            NameKind::Username => "username",
            NameKind::Room => "room name",
        }
    }

    fn max_chars(self) -> usize {
        match self {
            NameKind::Username => MAX_USERNAME_CHARS,
            NameKind::Room => MAX_ROOM_CHARS,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameError {
    pub kind: NameKind,
    pub reason: String,
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid {}: {} (the rule: 1 to {} characters; letters, digits, '_', '-', '.')",
            self.kind.label(),
            self.reason,
            self.kind.max_chars()
        )
    }
}

impl std::error::Error for NameError {}

fn allowed(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// Describes a character for an error message without echoing it raw.
fn describe(c: char) -> String {
    match c {
        ' ' => "a space".into(),
        '/' | '+' | '#' | '$' => format!("'{c}'"),
        c if c.is_control() => format!("a control character (U+{:04X})", c as u32),
        c if c.is_whitespace() => format!("whitespace (U+{:04X})", c as u32),
        c if c.is_ascii_graphic() => format!("'{c}'"),
        c => format!("U+{:04X}", c as u32),
    }
}

pub fn validate(kind: NameKind, name: &str) -> Result<(), NameError> {
    let fail = |reason: String| Err(NameError { kind, reason });
    if name.is_empty() {
        return fail("it is empty".into());
    }
    let chars = name.chars().count();
    if chars > kind.max_chars() {
        return fail(format!("it is {chars} characters long"));
    }
    if let Some(c) = name.chars().find(|&c| !allowed(c)) {
        return fail(format!("it contains {}", describe(c)));
    }
    Ok(())
}

pub fn validate_username(name: &str) -> Result<(), NameError> {
    validate(NameKind::Username, name)
}

pub fn validate_room(name: &str) -> Result<(), NameError> {
    validate(NameKind::Room, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_letters_digits_and_punctuation_allowed_by_the_rule() {
        for ok in ["alice", "Bob_2", "a-b.c", "łódź", "日本", "x", &"a".repeat(32)] {
            assert_eq!(validate_username(ok), Ok(()), "{ok}");
        }
        assert_eq!(validate_room(&"r".repeat(64)), Ok(()));
    }

    #[test]
    fn refuses_every_broken_rule_with_a_message_naming_it() {
        let cases = [
            ("", "empty"),
            ("a/b", "'/'"),
            ("a+b", "'+'"),
            ("a#b", "'#'"),
            ("a b", "a space"),
            ("$SYS", "'$'"),
            ("a\u{1b}b", "control character (U+001B)"),
            ("a\u{9b}b", "control character (U+009B)"),
            ("a\u{202e}b", "U+202E"),
            ("a\u{200b}b", "U+200B"),
            ("a\tb", "control character"),
        ];
        for (name, needle) in cases {
            let err = validate_username(name).unwrap_err().to_string();
            assert!(err.contains(needle), "{name:?}: {err}");
            assert!(err.contains("1 to 32 characters"), "{err}");
        }
        let long = validate_username(&"a".repeat(33)).unwrap_err().to_string();
        assert!(long.contains("33 characters long"), "{long}");
        let room = validate_room(&"r".repeat(65)).unwrap_err().to_string();
        assert!(room.starts_with("invalid room name"), "{room}");
    }
}
