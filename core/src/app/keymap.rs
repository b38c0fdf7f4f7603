//! The one table of keys: which key does what, and how the help overlay and
//! the README describe it. Key handling, the overlay and the README's key
//! table all come from [`KEYMAP`]; a test checks that each row's label names
//! exactly the keys bound in it.

use super::key::{Key, KeyCode, Mods};

/// What a key does; `keys::perform` carries it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Send the line or run the command.
    Submit,
    /// A line break inside the message.
    NewLine,
    Complete,
    HistoryBack,
    HistoryForward,
    /// Go to the room with this index (0-based), if there is one.
    GoToRoom(usize),
    NextRoom,
    PreviousRoom,
    /// Scroll back a page.
    PageBack,
    /// Scroll forward a page.
    PageForward,
    /// Back to the newest messages, the input line untouched.
    LiveEnd,
    CharLeft,
    CharRight,
    WordLeft,
    WordRight,
    LineStart,
    /// The cursor to the end of the line.
    LineEnd,
    /// End: the cursor to the end of the line, and back to the live end.
    End,
    DeleteCharBack,
    DeleteCharForward,
    DeleteWordBack,
    DeleteWordForward,
    DeleteToStart,
    DeleteToEnd,
    Help,
    /// Start a search: `/search ` in the input line.
    Search,
    TogglePanel,
    Redraw,
    /// Ctrl-C: clears the line; on an empty line quits; while quitting, quits now.
    ClearOrQuit,
    /// Ctrl-D: deletes the next character; on an empty line quits.
    DeleteOrQuit,
    /// To the next room with a mention or direct message, else with activity.
    NextActivity,
}

/// A key as a binding names it: the code and the modifiers it needs.
pub type Chord = Key;

/// One line of the key documentation and the bindings it describes.
pub struct KeyRow {
    /// The keys, as the help overlay and the README name them.
    pub keys: &'static str,
    /// What they do, in a few words (the help overlay).
    pub brief: &'static str,
    /// What they do, in full (the README).
    pub full: &'static str,
    pub bindings: &'static [(Chord, Action)],
}

const fn plain(code: KeyCode) -> Chord {
    Key::plain(code)
}

const fn ctrl(c: char) -> Chord {
    Key::ctrl(c)
}

const fn alt(c: char) -> Chord {
    Key::alt(c)
}

const fn with(mods: Mods, code: KeyCode) -> Chord {
    Key::new(code, mods)
}

use Action as A;
use KeyCode as K;

/// Every key, in the order the help shows them. When a key matches several
/// bindings (Ctrl-Alt-←), the one asking for more modifiers wins, then the
/// earlier one.
pub const KEYMAP: &[KeyRow] = &[
    KeyRow {
        keys: "Enter / Alt-Enter",
        brief: "send the line / new line in the message",
        full: "send the line (or run the command) / a new line inside the message",
        bindings: &[(plain(K::Enter), A::Submit), (with(Mods::ALT, K::Enter), A::NewLine)],
    },
    KeyRow {
        keys: "Tab",
        brief: "complete a command, #room or name",
        full: "complete a `/command`, `#room` or name (again: next candidate)",
        bindings: &[(plain(K::Tab), A::Complete)],
    },
    KeyRow {
        keys: "Up / Down",
        brief: "history of sent lines",
        full: "history of sent lines",
        bindings: &[(plain(K::Up), A::HistoryBack), (plain(K::Down), A::HistoryForward)],
    },
    KeyRow {
        keys: "Alt-1..9, Alt-0",
        brief: "go to room 1..10",
        full: "go to room 1 … 10",
        bindings: &[
            (alt('1'), A::GoToRoom(0)),
            (alt('2'), A::GoToRoom(1)),
            (alt('3'), A::GoToRoom(2)),
            (alt('4'), A::GoToRoom(3)),
            (alt('5'), A::GoToRoom(4)),
            (alt('6'), A::GoToRoom(5)),
            (alt('7'), A::GoToRoom(6)),
            (alt('8'), A::GoToRoom(7)),
            (alt('9'), A::GoToRoom(8)),
            (alt('0'), A::GoToRoom(9)),
        ],
    },
    KeyRow {
        keys: "Ctrl-N/P, Alt-←/→",
        brief: "next / previous room",
        full: "next / previous room (Ctrl-N, Alt-→ / Ctrl-P, Alt-←)",
        bindings: &[
            (ctrl('n'), A::NextRoom),
            (ctrl('p'), A::PreviousRoom),
            (with(Mods::ALT, K::Left), A::PreviousRoom),
            (with(Mods::ALT, K::Right), A::NextRoom),
        ],
    },
    KeyRow {
        keys: "PgUp/PgDn, wheel",
        brief: "scroll back / forward; End: live end",
        full: "scroll back / forward (also the mouse wheel); past the oldest message in memory, older ones \
               are read from the history; End or Ctrl-End goes back to the live end (typing does it too)",
        bindings: &[(plain(K::PageUp), A::PageBack), (plain(K::PageDown), A::PageForward)],
    },
    KeyRow {
        keys: "←/→ Home/End ^A ^E",
        brief: "move in the line",
        full: "move in the input line (^A is Ctrl-A; End also goes back to the live end)",
        bindings: &[
            (plain(K::Left), A::CharLeft),
            (plain(K::Right), A::CharRight),
            (plain(K::Home), A::LineStart),
            (plain(K::End), A::End),
            (ctrl('a'), A::LineStart),
            (ctrl('e'), A::LineEnd),
        ],
    },
    KeyRow {
        keys: "Ctrl-←/→, Alt-B/F",
        brief: "move a word left / right",
        full: "move a word left / right",
        bindings: &[
            (with(Mods::CTRL, K::Left), A::WordLeft),
            (with(Mods::CTRL, K::Right), A::WordRight),
            (alt('b'), A::WordLeft),
            (alt('f'), A::WordRight),
        ],
    },
    KeyRow {
        keys: "^W ^U ^K, Alt-Bksp",
        brief: "delete word / to start / to end / word",
        full: "delete the word before the cursor (also Alt-Backspace) / to the start of the line / \
               to its end (^W is Ctrl-W)",
        bindings: &[
            (ctrl('w'), A::DeleteWordBack),
            (ctrl('u'), A::DeleteToStart),
            (ctrl('k'), A::DeleteToEnd),
            (with(Mods::ALT, K::Backspace), A::DeleteWordBack),
        ],
    },
    KeyRow {
        keys: "Ctrl-F",
        brief: "search the history (/search)",
        full: "search the active room's history: types `/search ` for you; in the results Up/Down pick a hit, \
               Enter shows it among the messages around it, Esc closes",
        bindings: &[(ctrl('f'), A::Search)],
    },
    KeyRow {
        keys: "F1 / F2 / Ctrl-L",
        brief: "this help / side panel / redraw",
        full: "help overlay with every key, command and mark (Up/Down, PgUp/PgDn, Home/End scroll it; Esc, F1, \
               q or Enter close it) / show or hide the side panel \
               (it hides itself under 60 columns) / redraw the screen",
        bindings: &[
            (plain(K::F(1)), A::Help),
            (plain(K::F(2)), A::TogglePanel),
            (ctrl('l'), A::Redraw),
        ],
    },
    KeyRow {
        keys: "Ctrl-C, Ctrl-D",
        brief: "quit (on an empty line; Ctrl-C clears it)",
        full: "Ctrl-C: clear the input line; on an empty line, quit (when hosting with `--serve`, press it \
               twice: the first warns that everyone else is disconnected); while quitting with messages \
               still waiting, quit now and leave them (they are named once the screen is restored, exit \
               status 3). Ctrl-D: quit on an empty line (pressed again while quitting, it keeps waiting)",
        bindings: &[(ctrl('c'), A::ClearOrQuit), (ctrl('d'), A::DeleteOrQuit)],
    },
    KeyRow {
        keys: "Alt-A",
        brief: "next room calling you, then with activity",
        full: "go to the next room with a mention or direct message unread, else to the next with anything \
               unread (\"no activity\" when there is none); a click on a room in the side panel goes there too",
        bindings: &[(alt('a'), A::NextActivity)],
    },
    KeyRow {
        keys: "",
        brief: "",
        full: "",
        bindings: &[
            (plain(K::Backspace), A::DeleteCharBack),
            (with(Mods::CTRL, K::Backspace), A::DeleteWordBack),
            (plain(K::Delete), A::DeleteCharForward),
            (alt('d'), A::DeleteWordForward),
            (with(Mods::CTRL, K::End), A::LiveEnd),
        ],
    },
];

/// The rows the help overlay and the README show (the last row holds the
/// keys everyone expects and nobody needs told about).
pub fn documented() -> impl Iterator<Item = &'static KeyRow> {
    KEYMAP.iter().filter(|row| !row.keys.is_empty())
}

/// What the key does, if anything. Typing a character is not in the table:
/// any character without Ctrl or Alt is inserted.
pub fn lookup(key: Key) -> Option<Action> {
    KEYMAP
        .iter()
        .flat_map(|row| row.bindings)
        .filter(|(chord, _)| chord.code == key.code && key.mods.includes(chord.mods))
        // `max_by_key` keeps the last of equals: reverse to keep the first.
        .rev()
        .max_by_key(|(chord, _)| chord.mods.count())
        .map(|&(_, action)| action)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// The keys a label such as "Ctrl-N/P, Alt-←/→" names: words split by
    /// spaces or commas, `Ctrl-`, `Alt-` or `^` before one or more keys
    /// joined by `/`, `1..9` for a run of digits.
    fn named(label: &str) -> BTreeSet<String> {
        let mut keys = BTreeSet::new();
        for word in label
            .split([' ', ','])
            .filter(|w| !w.is_empty() && *w != "/" && *w != "wheel")
        {
            let (mods, rest) = if let Some(rest) = word.strip_prefix("Ctrl-").or(word.strip_prefix('^')) {
                (Mods::CTRL, rest)
            } else if let Some(rest) = word.strip_prefix("Alt-") {
                (Mods::ALT, rest)
            } else {
                (Mods::NONE, word)
            };
            for name in rest.split('/') {
                let codes: Vec<KeyCode> = match name {
                    "1..9" => ('1'..='9').map(KeyCode::Char).collect(),
                    _ => vec![code(name).unwrap_or_else(|| panic!("{name:?} in {label:?} is no key"))],
                };
                keys.extend(codes.into_iter().map(|code| format!("{:?}", Key::new(code, mods))));
            }
        }
        keys
    }

    fn code(name: &str) -> Option<KeyCode> {
        let mut chars = name.chars();
        if let (Some(c), None) = (chars.next(), chars.next()) {
            return Some(match c {
                '←' => KeyCode::Left,
                '→' => KeyCode::Right,
                _ => KeyCode::Char(c.to_ascii_lowercase()),
            });
        }
        Some(match name {
            "Enter" => KeyCode::Enter,
            "Tab" => KeyCode::Tab,
            "Up" => KeyCode::Up,
            "Down" => KeyCode::Down,
            "Home" => KeyCode::Home,
            "End" => KeyCode::End,
            "PgUp" => KeyCode::PageUp,
            "PgDn" => KeyCode::PageDown,
            "Bksp" => KeyCode::Backspace,
            _ => KeyCode::F(name.strip_prefix('F')?.parse().ok()?),
        })
    }

    #[test]
    fn each_label_names_exactly_the_keys_bound_in_its_row() {
        for row in documented() {
            let bound: BTreeSet<String> = row.bindings.iter().map(|(chord, _)| format!("{chord:?}")).collect();
            assert_eq!(named(row.keys), bound, "{:?}", row.keys);
        }
    }

    #[test]
    fn no_key_is_bound_twice() {
        let mut seen = BTreeSet::new();
        for (chord, _) in KEYMAP.iter().flat_map(|row| row.bindings) {
            assert!(seen.insert(format!("{chord:?}")), "{chord:?} twice");
        }
    }

    #[test]
    fn a_key_finds_its_action_and_extra_modifiers_fall_back_as_before() {
        let ctrl_alt = Mods { ctrl: true, alt: true };
        let cases = [
            (Key::ctrl('c'), Some(Action::ClearOrQuit)),
            (Key::new(KeyCode::Char('c'), ctrl_alt), Some(Action::ClearOrQuit)),
            (Key::new(KeyCode::Char('d'), ctrl_alt), Some(Action::DeleteOrQuit)),
            (Key::alt('d'), Some(Action::DeleteWordForward)),
            (Key::new(KeyCode::Left, ctrl_alt), Some(Action::PreviousRoom)),
            (Key::new(KeyCode::Left, Mods::CTRL), Some(Action::WordLeft)),
            (Key::plain(KeyCode::Left), Some(Action::CharLeft)),
            (Key::new(KeyCode::Enter, ctrl_alt), Some(Action::NewLine)),
            (Key::new(KeyCode::Enter, Mods::CTRL), Some(Action::Submit)),
            (Key::new(KeyCode::End, Mods::CTRL), Some(Action::LiveEnd)),
            (Key::new(KeyCode::End, Mods::ALT), Some(Action::End)),
            (Key::new(KeyCode::Tab, Mods::CTRL), Some(Action::Complete)),
            (Key::alt('0'), Some(Action::GoToRoom(9))),
            (Key::ctrl('1'), None),
            (Key::plain(KeyCode::Char('x')), None),
            (Key::plain(KeyCode::Esc), None),
            (Key::plain(KeyCode::Other), None),
        ];
        for (key, want) in cases {
            assert_eq!(lookup(key), want, "{key:?}");
        }
    }
}
