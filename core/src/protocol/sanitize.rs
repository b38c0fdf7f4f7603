//! Makes untrusted text safe to put on a terminal.
//!
//! Nothing that a terminal interprets (C0/C1 controls, so every escape
//! sequence: CSI, OSC, DCS) and nothing that reorders or hides text (bidi
//! overrides, zero-width characters) passes through raw: each is replaced by a
//! visible stand-in, so `ESC[2J` shows as `␛[2J` and U+202E as `\u{202e}`.

use std::borrow::Cow;
use std::fmt::Write;

/// What to do with a line feed inside a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Newlines {
    /// Keep `\n` so the UI can break the line there.
    Keep,
    /// Show `\n` as `↵` so one message stays on one output line.
    Mark,
}

pub const NEWLINE_MARK: char = '↵';

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Safe,
    Newline,
    Tab,
    ControlPicture(char),
    Escaped,
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200b}' | '\u{200c}' | '\u{2060}'..='\u{2064}' | '\u{feff}' | '\u{180e}' | '\u{00ad}'
            | '\u{2028}' | '\u{2029}' | '\u{fff9}'..='\u{fffb}' | '\u{fffe}' | '\u{ffff}'
    )
}

/// Characters harmless inside text but able to disguise a name: joiners,
/// variation selectors, and letters that draw nothing (Hangul fillers, the
/// blank Braille pattern), so `alice\u{3164}` never shows as `alice`.
fn is_name_disguise(c: char) -> bool {
    matches!(
        c,
        '\u{200d}'
            | '\u{fe00}'..='\u{fe0f}'
            | '\u{e0000}'..='\u{e007f}'
            | '\u{034f}'
            | '\u{115f}'
            | '\u{1160}'
            | '\u{3164}'
            | '\u{ffa0}'
            | '\u{2800}'
            | '\u{17b4}'
            | '\u{17b5}'
    )
}

#[inline]
fn classify(c: char, strict: bool) -> Class {
    match c {
        '\n' => Class::Newline,
        '\t' => Class::Tab,
        '\u{0}'..='\u{1f}' => Class::ControlPicture(char::from_u32(0x2400 + c as u32).unwrap_or('?')),
        '\u{7f}' => Class::ControlPicture('␡'),
        ' '..='~' => Class::Safe,
        '\u{80}'..='\u{9f}' => Class::Escaped,
        c if is_bidi_control(c) || is_invisible(c) => Class::Escaped,
        c if strict && is_name_disguise(c) => Class::Escaped,
        _ => Class::Safe,
    }
}

fn sanitize(text: &str, newlines: Newlines, strict: bool) -> Cow<'_, str> {
    let first_unsafe = text.char_indices().find(|&(_, c)| {
        let class = classify(c, strict);
        !(class == Class::Safe || (class == Class::Newline && newlines == Newlines::Keep && !strict))
    });
    let Some((start, _)) = first_unsafe else {
        return Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len() + 16);
    out.push_str(&text[..start]);
    for c in text[start..].chars() {
        match classify(c, strict) {
            Class::Safe => out.push(c),
            Class::Newline if newlines == Newlines::Keep && !strict => out.push('\n'),
            Class::Newline => out.push(NEWLINE_MARK),
            Class::Tab => out.push_str("    "),
            Class::ControlPicture(p) => out.push(p),
            Class::Escaped => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
        }
    }
    Cow::Owned(out)
}

/// Message text for display.
pub fn text(text: &str, newlines: Newlines) -> Cow<'_, str> {
    sanitize(text, newlines, false)
}

/// A user or room name for display: one line, nothing invisible.
pub fn name(name: &str) -> Cow<'_, str> {
    sanitize(name, Newlines::Mark, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_text_is_borrowed_unchanged() {
        for s in ["hello", "zażółć gęślą jaźń", "日本語", "👨‍👩‍👧 family", "e\u{301}"] {
            assert!(matches!(text(s, Newlines::Mark), Cow::Borrowed(_)), "{s}");
        }
    }

    #[test]
    fn escape_sequences_become_visible() {
        assert_eq!(text("\x1b[2Jboom", Newlines::Mark), "␛[2Jboom");
        assert_eq!(text("\x1b]52;c;aGk=\x07", Newlines::Mark), "␛]52;c;aGk=␇");
        assert_eq!(
            text("\x1b]8;;http://x\x1b\\a\x1b]8;;\x1b\\", Newlines::Mark),
            "␛]8;;http://x␛\\a␛]8;;␛\\"
        );
        assert_eq!(text("\x1bP1$q\x1b\\", Newlines::Mark), "␛P1$q␛\\");
        assert_eq!(text("a\u{9b}31mb", Newlines::Mark), "a\\u{9b}31mb");
        assert_eq!(text("over\rwrite\x08", Newlines::Mark), "over␍write␈");
        assert_eq!(text("\x7f", Newlines::Mark), "␡");
    }

    #[test]
    fn bidi_and_invisible_characters_are_escaped() {
        for c in ['\u{202a}', '\u{202e}', '\u{2066}', '\u{2069}', '\u{200b}', '\u{feff}'] {
            let shown = text(&format!("a{c}b"), Newlines::Keep).into_owned();
            assert_eq!(shown, format!("a\\u{{{:x}}}b", c as u32));
        }
    }

    #[test]
    fn newlines_kept_or_marked() {
        assert_eq!(text("a\nb", Newlines::Keep), "a\nb");
        assert_eq!(text("a\nb", Newlines::Mark), "a↵b");
        assert_eq!(text("a\tb", Newlines::Keep), "a    b");
    }

    #[test]
    fn names_escape_joiners_and_newlines_too() {
        assert_eq!(name("bo\u{200d}b"), "bo\\u{200d}b");
        assert_eq!(name("a\nb"), "a↵b");
        assert_eq!(name("alice"), "alice");
        assert_eq!(text("bo\u{200d}b", Newlines::Keep), "bo\u{200d}b");
        // Letters that draw nothing never make a name look like another, or empty.
        assert_eq!(name("alice\u{3164}"), "alice\\u{3164}");
        assert_eq!(name("\u{3164}"), "\\u{3164}");
        assert_eq!(name("\u{115f}bob"), "\\u{115f}bob");
    }

    #[test]
    fn nothing_below_space_or_in_c1_survives_any_input() {
        let all: String = (0u32..0x3000).filter_map(char::from_u32).collect();
        for shown in [text(&all, Newlines::Mark), name(&all)] {
            assert!(!shown
                .chars()
                .any(|c| (c as u32) < 0x20 || (0x7f..=0x9f).contains(&(c as u32))));
            assert!(!shown.chars().any(is_bidi_control));
        }
    }
}
