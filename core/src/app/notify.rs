//! Desktop notifications through the terminal (OSC 9, OSC 777) on a
//! mention or a direct message. Everything in one comes from the network,
//! so it is escaped here, once, by a pure function: no control character,
//! no separator, nothing long.

use std::fmt;

use crate::protocol::sanitize::{self, Newlines};

/// Characters of a title or body at most (then `…`).
pub const NOTIFY_CHARS: usize = 100;

/// Which escape sequence desktop notifications use (`--notify`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Notifier {
    /// No desktop notifications.
    #[default]
    Off,
    /// `ESC ] 9 ; TEXT BEL` (iTerm2, Windows Terminal, kitty, foot, WezTerm).
    Osc9,
    /// `ESC ] 777 ; notify ; TITLE ; BODY BEL` (urxvt, VTE terminals, foot, WezTerm).
    Osc777,
}

impl Notifier {
    /// As `--notify` and the config file spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Notifier::Off => "off",
            Notifier::Osc9 => "osc9",
            Notifier::Osc777 => "osc777",
        }
    }

    /// The whole escape sequence for a notification, or `None` when off.
    pub fn sequence(self, title: &str, body: &str) -> Option<String> {
        let (title, body) = (clean(title), clean(body));
        match self {
            Notifier::Off => None,
            Notifier::Osc9 => Some(format!("\x1b]9;{title}: {body}\x07")),
            Notifier::Osc777 => Some(format!("\x1b]777;notify;{title};{body}\x07")),
        }
    }
}

impl fmt::Display for Notifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The notification for a message that calls us in `room` (`None`: off).
pub(super) fn alert(room: &str, message: &super::room::Message, notifier: Notifier) -> Option<String> {
    let from = message.user.as_deref().unwrap_or("?");
    let title = match room.strip_prefix('@') {
        Some(_) => format!("{from} (direct)"),
        None => format!("{from} in #{room}"),
    };
    notifier.sequence(&title, &message.shown_text())
}

/// `text` safe inside an OSC string: controls (C0, DEL, C1) shown as
/// stand-ins or dropped, `;` (the field separator) made a `,`, at most
/// [`NOTIFY_CHARS`] characters.
pub fn clean(text: &str) -> String {
    let shown = sanitize::text(text, Newlines::Mark);
    let mut kept = shown
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| if c == ';' { ',' } else { c });
    let mut out: String = kept.by_ref().take(NOTIFY_CHARS).collect();
    if kept.next().is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn sequences_carry_the_title_and_body_and_off_writes_nothing() {
        assert_eq!(Notifier::Off.sequence("bob", "hi"), None);
        assert_eq!(Notifier::Osc9.sequence("bob", "hi").unwrap(), "\x1b]9;bob: hi\x07");
        assert_eq!(
            Notifier::Osc777.sequence("bob", "hi").unwrap(),
            "\x1b]777;notify;bob;hi\x07"
        );
    }

    #[test]
    fn hostile_text_is_defused_and_cut() {
        let evil = "a\x1b]52;c;Zm9v\x07b\u{9b}2J;c\r\nd";
        let body = clean(evil);
        assert!(!body.contains(['\x1b', '\x07', '\u{9b}', ';', '\r', '\n']), "{body:?}");
        assert_eq!(clean(&"x".repeat(150)), format!("{}…", "x".repeat(NOTIFY_CHARS)));
    }

    proptest! {
        #[test]
        fn any_text_makes_one_sequence_with_no_other_control(title in any::<String>(), body in any::<String>()) {
            for (notifier, fields) in [(Notifier::Osc9, 1), (Notifier::Osc777, 3)] {
                let seq = notifier.sequence(&title, &body).unwrap();
                prop_assert!(seq.starts_with("\x1b]"));
                prop_assert!(seq.ends_with('\x07'));
                let inner = &seq[1..seq.len() - 1];
                prop_assert!(!inner.chars().any(char::is_control), "{:?}", seq);
                prop_assert_eq!(seq.matches(';').count(), fields);
                prop_assert!(seq.chars().count() <= 2 * NOTIFY_CHARS + 20);
            }
        }
    }
}
