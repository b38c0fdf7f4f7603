//! The help overlay (F1, /help): what it says, how it is laid out for a
//! screen size, and its keys. The layout is here rather than in the ui so
//! that the keys can scroll it exactly to its end: the ui draws these lines.

use unicode_width::UnicodeWidthStr;

use super::command::COMMANDS;
use super::key::{Key, KeyCode};
use super::keymap::{self, Action};
use super::State;

/// One thing the help explains: a key, a command or a mark, and what it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub label: &'static str,
    pub about: &'static str,
}

pub struct Section {
    pub title: &'static str,
    pub entries: Vec<Entry>,
}

/// The marks messages carry: how far our own got, and what is known of a
/// sender (`Auth::mark`, `Verdict::mark`).
pub const MARKS: &[Entry] = &[
    Entry {
        label: "⧖",
        about: "your message is waiting to be sent",
    },
    Entry {
        label: "✓",
        about: "the broker has your message",
    },
    Entry {
        label: "✗ not sent: REASON",
        about: "your message was not sent, and why",
    },
    Entry {
        label: "⚠ forged?",
        about: "not signed by the key known for the name",
    },
    Entry {
        label: "⚠ new key",
        about: "a new key for a known name: /whois, /trust",
    },
    Entry {
        label: "⚠ untrusted key",
        about: "you ran /untrust for this name",
    },
    Entry {
        label: "⚠ unchecked",
        about: "a flood: the signature was not checked",
    },
    Entry {
        label: "⚠ looks like NAME",
        about: "a name easily mistaken for NAME",
    },
    Entry {
        label: "⚠ invalid name",
        about: "a name that breaks the naming rules",
    },
    Entry {
        label: "🔒",
        about: "direct messages are end-to-end encrypted",
    },
    Entry {
        label: "● ◐ ○",
        about: "online / away / offline",
    },
];

/// Keys, commands and marks, in the order the help shows them.
pub fn sections() -> [Section; 3] {
    let keys = keymap::documented().map(|row| Entry {
        label: row.keys,
        about: row.brief,
    });
    let commands = COMMANDS.iter().map(|c| Entry {
        label: c.usage,
        about: c.about,
    });
    [
        Section {
            title: "Keys",
            entries: keys.collect(),
        },
        Section {
            title: "Commands",
            entries: commands.collect(),
        },
        Section {
            title: "Marks",
            entries: MARKS.to_vec(),
        },
    ]
}

/// What a piece of a help line is, for the ui to style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Heading,
    Label,
    Text,
}

pub type Segment = (Part, String);

/// The help laid out for one screen: the box's width (borders included)
/// and its lines, each a row of segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpLayout {
    pub width: u16,
    pub lines: Vec<Vec<Segment>>,
    pub two_columns: bool,
}

/// Between the two columns.
const GAP: usize = 3;
/// A description narrower than this starts on the line below its label.
const MIN_ABOUT: usize = 12;
/// Two columns only when each leaves its descriptions this much room:
/// narrower, they would wrap every few words.
const MIN_SIDE_BY_SIDE: usize = 30;

fn width_of(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

/// Labels and the space after them: one width per section.
fn label_width(section: &Section) -> usize {
    section.entries.iter().map(|e| width_of(e.label)).max().unwrap_or(0) + 2
}

/// The width a section needs with nothing wrapped.
fn natural_width(section: &Section) -> usize {
    let widest = section.entries.iter().map(|e| width_of(e.about)).max().unwrap_or(0);
    (label_width(section) + widest).max(width_of(section.title))
}

/// The help on a screen `screen_width` wide: two columns (keys and marks
/// beside the commands) when both have room for their labels and a
/// readable description, else one; descriptions too long for their column
/// wrap under themselves.
pub fn layout(screen_width: u16) -> HelpLayout {
    let [keys, commands, marks] = sections();
    let room = usize::from(screen_width).saturating_sub(2);
    let left = natural_width(&keys).max(natural_width(&marks));
    let right = natural_width(&commands);
    let (left, right) = if left + GAP + right <= room {
        (left, right)
    } else {
        let half = room.saturating_sub(GAP) / 2;
        (half, room.saturating_sub(GAP) - half)
    };
    let narrowest = [&keys, &commands, &marks]
        .map(label_width)
        .into_iter()
        .max()
        .unwrap_or(0)
        + MIN_SIDE_BY_SIDE;
    if left.min(right) < narrowest {
        let inner = natural_width(&keys)
            .max(natural_width(&commands))
            .max(natural_width(&marks))
            .min(room)
            .max(1);
        return HelpLayout {
            width: (inner + 2) as u16,
            lines: column(&[&keys, &commands, &marks], inner),
            two_columns: false,
        };
    }
    let mut left_lines = column(&[&keys, &marks], left);
    let right_lines = column(&[&commands], right);
    left_lines.resize(left_lines.len().max(right_lines.len()), Vec::new());
    let lines = left_lines
        .into_iter()
        .zip(right_lines.into_iter().chain(std::iter::repeat(Vec::new())))
        .map(|(mut line, right)| {
            if !right.is_empty() {
                let used: usize = line.iter().map(|(_, text)| width_of(text)).sum();
                line.push((Part::Text, " ".repeat(left - used + GAP)));
                line.extend(right);
            }
            line
        })
        .collect();
    HelpLayout {
        width: (left + GAP + right + 2) as u16,
        lines,
        two_columns: true,
    }
}

/// Sections one below the other, a blank line between them, `width` wide.
fn column(sections: &[&Section], width: usize) -> Vec<Vec<Segment>> {
    let mut lines = Vec::new();
    for (i, section) in sections.iter().enumerate() {
        if i > 0 {
            lines.push(Vec::new());
        }
        lines.push(vec![(Part::Heading, section.title.to_owned())]);
        let labels = label_width(section);
        for entry in &section.entries {
            entry_lines(entry, labels, width, &mut lines);
        }
    }
    lines
}

/// One entry: its label, then what it does, wrapped under itself (hanging
/// indent); below the label when there is too little room beside it.
fn entry_lines(entry: &Entry, labels: usize, width: usize, lines: &mut Vec<Vec<Segment>>) {
    let label = (
        Part::Label,
        format!("{}{}", entry.label, " ".repeat(labels - width_of(entry.label))),
    );
    let (indent, about_width) = if width >= labels + MIN_ABOUT {
        (labels, width - labels)
    } else {
        lines.push(vec![label.clone()]);
        (2, width.saturating_sub(2).max(1))
    };
    for (i, piece) in wrap(entry.about, about_width).into_iter().enumerate() {
        let lead = if i == 0 && indent == labels {
            label.clone()
        } else {
            (Part::Text, " ".repeat(indent))
        };
        lines.push(vec![lead, (Part::Text, piece)]);
    }
}

/// `text` in lines at most `width` wide, broken between words; a word
/// wider than a line is broken inside, never cut off.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let needed = if line.is_empty() { 0 } else { width_of(&line) + 1 };
        if !line.is_empty() && needed + width_of(word) > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        for c in word.chars() {
            let mut buf = [0; 4];
            if !line.is_empty() && width_of(&line) + width_of(c.encode_utf8(&mut buf)) > width {
                lines.push(std::mem::take(&mut line));
            }
            line.push(c);
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Rows of help a screen `height` tall shows at once (inside the border).
pub fn visible_rows(total: usize, height: u16) -> usize {
    total.min(usize::from(height.saturating_sub(2))).max(1)
}

/// The furthest the help scrolls on a screen of `size`: its last line at the bottom.
pub fn max_scroll(size: (u16, u16)) -> usize {
    let total = layout(size.0).lines.len();
    total - visible_rows(total, size.1)
}

impl State {
    /// Shows the help from its top; the status bar stops pointing at it.
    pub(super) fn open_help(&mut self) {
        self.show_help = true;
        self.help_scroll = 0;
        self.help_seen = true;
    }

    /// Scrolls the help `lines` down (up when negative), within its length
    /// at the current size.
    pub(super) fn scroll_help(&mut self, lines: isize) {
        let end = max_scroll(self.size);
        let from = self.help_scroll.min(end);
        self.help_scroll = from.saturating_add_signed(lines).min(end);
    }
}

/// A key while the help is shown. It scrolls or closes the help and does
/// nothing else; false only for Ctrl-C, which closes it and still does
/// what it does (clear the line, quit).
pub(super) fn key(state: &mut State, key: Key) -> bool {
    let page = {
        let total = layout(state.size.0).lines.len();
        visible_rows(total, state.size.1).saturating_sub(1).max(1) as isize
    };
    let plain = !key.mods.ctrl && !key.mods.alt;
    match key.code {
        _ if keymap::lookup(key) == Some(Action::ClearOrQuit) => {
            state.show_help = false;
            return false;
        }
        KeyCode::Esc | KeyCode::F(1) | KeyCode::Enter => state.show_help = false,
        KeyCode::Char('q') if plain => state.show_help = false,
        KeyCode::Up => state.scroll_help(-1),
        KeyCode::Down => state.scroll_help(1),
        KeyCode::PageUp => state.scroll_help(-page),
        KeyCode::PageDown => state.scroll_help(page),
        KeyCode::Home => state.help_scroll = 0,
        KeyCode::End => state.help_scroll = max_scroll(state.size),
        _ => {}
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_breaks_between_words_and_inside_only_words_too_long() {
        assert_eq!(wrap("one two three", 7), ["one two", "three"]);
        assert_eq!(wrap("abcdefghij x", 4), ["abcd", "efgh", "ij x"]);
        assert_eq!(wrap("", 5), [""]);
    }

    #[test]
    fn two_columns_when_each_has_room_for_its_descriptions() {
        let [keys, commands, marks] = sections();
        let entries = keys.entries.len() + marks.entries.len() + 3;
        let wide = layout(220);
        assert!(wide.two_columns);
        assert_eq!(
            wide.lines.len(),
            entries.max(commands.entries.len() + 1),
            "nothing wraps"
        );
        let laptop = layout(120);
        assert!(laptop.two_columns);
        assert!(laptop.lines.len() > wide.lines.len(), "some descriptions wrap at 120");
        let classic = layout(80);
        assert!(!classic.two_columns);
        assert!(classic.lines.len() > entries + commands.entries.len());
    }

    #[test]
    fn no_line_is_wider_than_the_box() {
        for width in 50..=240 {
            let help = layout(width);
            assert!(help.width <= width, "{width}: box {}", help.width);
            for line in &help.lines {
                let used: usize = line.iter().map(|(_, text)| width_of(text)).sum();
                assert!(used + 2 <= usize::from(help.width), "{width}: {line:?}");
            }
        }
    }
}
