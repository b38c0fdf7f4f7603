//! Usernames and room names: the only strings that become topic levels.
//!
//! Beyond what a topic level can carry, a name must not pass for another:
//! nothing invisible or blank-looking, only characters that Unicode's UTS #39
//! allows in identifiers, and scripts mixed no further than its "moderately
//! restrictive" level allows (so `аlice` with a Cyrillic `а` is refused).
//! Names that still look alike, such as an all-Cyrillic `асе` and `ace`, or
//! `aIice` and `alice`, are valid: [`skeleton`] and [`confusable`] tell them.

use std::fmt;

use unicode_security::general_security_profile::IdentifierType;
use unicode_security::mixed_script::AugmentedScriptSet;
use unicode_security::{GeneralSecurityProfile, RestrictionLevel, RestrictionLevelDetection};

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

/// The rule a refused name broke, checked in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameRule {
    /// 1 to N characters: letters, digits, `_`, `-`, `.`.
    Characters,
    /// No invisible, blank-looking or formatting characters (the Hangul
    /// fillers are letters, yet show as nothing).
    Visible,
    /// Only characters that UTS #39's General Security Profile allows in
    /// identifiers (no fullwidth or mathematical look-alike letters, no
    /// scripts of limited use).
    Identifier,
    /// Scripts mixed no further than UTS #39's "moderately restrictive" level.
    OneScript,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameError {
    pub kind: NameKind,
    pub rule: NameRule,
    pub reason: String,
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {}: {} (the rule: ", self.kind.label(), self.reason)?;
        match self.rule {
            NameRule::Characters => write!(
                f,
                "1 to {} characters; letters, digits, '_', '-', '.')",
                self.kind.max_chars()
            ),
            NameRule::Visible => f.write_str("no invisible, blank-looking or formatting characters)"),
            NameRule::Identifier => f.write_str("only characters that Unicode's UTS #39 allows in identifiers)"),
            NameRule::OneScript => f.write_str(
                "one script per name, or Latin with one other script that is not Cyrillic or Greek, \
                 as Unicode's UTS #39 \"moderately restrictive\" level allows)",
            ),
        }
    }
}

impl std::error::Error for NameError {}

fn allowed(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// Characters that show as nothing or as blank space, or change how the text
/// around them shows: the listed ones, and every Default_Ignorable_Code_Point
/// (UTS #39 types them so, and the skeleton drops exactly those).
fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{2800}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{16FE4}'
            | '\u{E0000}'..='\u{E0FFF}'
    ) || (!c.is_ascii()
        && (c.identifier_type() == Some(IdentifierType::Default_Ignorable)
            || unicode_security::skeleton(c.encode_utf8(&mut [0; 4])).next().is_none()))
}

/// Describes a character for an error message without echoing it raw.
fn describe(c: char) -> String {
    match c {
        ' ' => "a space".into(),
        '/' | '+' | '#' | '$' => format!("'{c}'"),
        c if c.is_control() => format!("a control character (U+{:04X})", c as u32),
        c if c.is_whitespace() => format!("whitespace (U+{:04X})", c as u32),
        c if c.is_ascii_graphic() => format!("'{c}'"),
        c if invisible(c) => format!("U+{:04X} (an invisible or blank-looking character)", c as u32),
        c => format!("U+{:04X}", c as u32),
    }
}

/// Why UTS #39 keeps a character out of identifiers, in words.
fn restriction(c: char) -> &'static str {
    match c.identifier_type() {
        Some(IdentifierType::Not_NFKC) => "a compatibility form of another character",
        Some(IdentifierType::Limited_Use) => "from a script of limited use",
        Some(IdentifierType::Exclusion) => "from a historic script",
        Some(IdentifierType::Uncommon_Use) => "a character of uncommon use",
        Some(IdentifierType::Technical) => "a technical character",
        Some(IdentifierType::Obsolete) => "an obsolete character",
        Some(IdentifierType::Deprecated) => "a deprecated character",
        _ => "a character not used in identifiers",
    }
}

/// The scripts a name's letters are in, in order of first appearance; a
/// letter of several scripts (`ー` is Hiragana and Katakana) counts as the
/// first, and Common and Inherited characters (digits, `_`) not at all.
fn scripts(name: &str) -> Vec<&'static str> {
    let mut found = Vec::new();
    for c in name.chars() {
        let set = AugmentedScriptSet::for_char(c);
        if set.is_all() {
            continue;
        }
        if let Some(script) = set.base.iter().next().map(|s| s.full_name()) {
            if !found.contains(&script) {
                found.push(script);
            }
        }
    }
    found
}

fn and_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

pub fn validate(kind: NameKind, name: &str) -> Result<(), NameError> {
    let fail = |rule: NameRule, reason: String| Err(NameError { kind, rule, reason });
    if name.is_empty() {
        return fail(NameRule::Characters, "it is empty".into());
    }
    let chars = name.chars().count();
    if chars > kind.max_chars() {
        return fail(NameRule::Characters, format!("it is {chars} characters long"));
    }
    if let Some(c) = name.chars().find(|&c| !allowed(c)) {
        return fail(NameRule::Characters, format!("it contains {}", describe(c)));
    }
    // ASCII letters, digits and `_-.` break none of the rules below.
    if name.is_ascii() {
        return Ok(());
    }
    if let Some(c) = name.chars().find(|&c| invisible(c)) {
        return fail(NameRule::Visible, format!("it contains {}", describe(c)));
    }
    if let Some(c) = name.chars().find(|&c| !c.identifier_allowed()) {
        let reason = format!("it contains U+{:04X} ({})", c as u32, restriction(c));
        return fail(NameRule::Identifier, reason);
    }
    if name.detect_restriction_level() > RestrictionLevel::ModeratelyRestrictive {
        let scripts = scripts(name);
        let reason = if scripts.len() > 1 {
            format!("it mixes {} letters", and_list(&scripts))
        } else {
            "it mixes scripts".to_owned()
        };
        return fail(NameRule::OneScript, reason);
    }
    Ok(())
}

pub fn validate_username(name: &str) -> Result<(), NameError> {
    validate(NameKind::Username, name)
}

pub fn validate_room(name: &str) -> Result<(), NameError> {
    validate(NameKind::Room, name)
}

/// The UTS #39 confusable skeleton of a name: two names that look alike
/// (`аlice` with a Cyrillic `а` and `alice`, `aIice` and `alice`) have the
/// same skeleton. For comparing names, never for showing one.
pub fn skeleton(name: &str) -> String {
    unicode_security::skeleton(name).collect()
}

/// True when two different names look alike: same skeleton, other text.
pub fn confusable(a: &str, b: &str) -> bool {
    a != b && skeleton(a) == skeleton(b)
}

#[cfg(test)]
#[path = "names_tests.rs"]
mod tests;
