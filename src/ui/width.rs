//! What a terminal draws, and how wide: the one width function every layout
//! in the UI uses, and the form text takes before it reaches the screen.
//!
//! The drawing library gives each grapheme cluster the cells Unicode says it
//! takes, then skips the cells it covers. Terminals disagree with it (and
//! with each other) on three kinds of emoji sequence, and a disagreement
//! shifts everything after it on the row: the side panel's border moves and
//! a stray cell stays behind when the rows scroll. So those sequences are
//! drawn in a form every terminal measures the same way:
//!
//! - a variation selector 16 (`❤️`, `☺️`) is left out: some terminals widen
//!   the character to two cells, others keep it at one;
//! - a zero-width joiner between emoji (`👩‍👩‍👧`, `🏳️‍🌈`) is left out: some
//!   terminals draw the sequence as one glyph, others each part;
//! - a skin-tone modifier (`👍🏽`) gets a cell of its own: some terminals
//!   draw it joined to the emoji, others beside it (tmux 3.3), and when the
//!   library wrote the pair into one two-cell slot the next character
//!   overwrote the modifier. A zero-width space before it ends the grapheme
//!   cluster there; the library never sends a zero-width cluster out.
//!
//! - a flag (`🇵🇱`, a pair of regional indicators) is two one-cell
//!   clusters: terminals that draw flags join them again, and tmux keeps
//!   them as two cells anyway; as one two-cell cluster, a wide character
//!   later written over its first cell left its second behind.
//!
//! CJK and combining accents are measured alike everywhere and pass unchanged. Only the screen changes: the
//! message itself, as sent and stored, keeps every character.

use std::borrow::Cow;

use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

const VARIATION_SELECTOR_16: char = '\u{fe0f}';
const ZERO_WIDTH_JOINER: char = '\u{200d}';
/// Ends a grapheme cluster and takes no cell; the drawing library drops it.
pub(super) const CLUSTER_BREAK: &str = "\u{200b}";

pub(super) fn is_regional_indicator(c: char) -> bool {
    ('\u{1f1e6}'..='\u{1f1ff}').contains(&c)
}

fn is_skin_tone(c: char) -> bool {
    ('\u{1f3fb}'..='\u{1f3ff}').contains(&c)
}

/// Characters that take part in emoji sequences: pictographs, dingbats,
/// symbols and the arrows and marks that have an emoji form.
fn is_emoji(c: char) -> bool {
    matches!(
        c,
        '\u{1f000}'..='\u{1faff}'
            | '\u{2190}'..='\u{21ff}'
            | '\u{2300}'..='\u{23ff}'
            | '\u{2460}'..='\u{27bf}'
            | '\u{2900}'..='\u{297f}'
            | '\u{2b00}'..='\u{2bff}'
            | '\u{00a9}' | '\u{00ae}' | '\u{203c}' | '\u{2049}' | '\u{2122}' | '\u{2139}'
            | '\u{3030}' | '\u{303d}' | '\u{3297}' | '\u{3299}'
    )
}

/// Whether `text` holds a sequence terminals disagree on.
fn needs_change(text: &str) -> bool {
    text.chars()
        .any(|c| c == VARIATION_SELECTOR_16 || c == ZERO_WIDTH_JOINER || is_skin_tone(c) || is_regional_indicator(c))
}

/// `text` as it is drawn: borrowed unchanged unless it holds one of the
/// sequences above.
pub fn terminal_form(text: &str) -> Cow<'_, str> {
    if !needs_change(text) {
        return Cow::Borrowed(text);
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        let before = i.checked_sub(1).map(|j| chars[j]);
        let after = chars.get(i + 1).copied();
        match c {
            VARIATION_SELECTOR_16 => {}
            ZERO_WIDTH_JOINER if before.is_some_and(joins_emoji) || after.is_some_and(is_emoji) => {}
            c if is_skin_tone(c) => {
                if before.is_some_and(|b| b != '\n' && b != '\u{200b}') {
                    out.push_str(CLUSTER_BREAK);
                }
                out.push(c);
            }
            c if is_regional_indicator(c) => {
                if before.is_some_and(is_regional_indicator) {
                    out.push_str(CLUSTER_BREAK);
                }
                out.push(c);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A joiner after these links emoji: an emoji, its skin tone or its
/// (dropped) variation selector.
fn joins_emoji(c: char) -> bool {
    is_emoji(c) || c == VARIATION_SELECTOR_16
}

/// The cells `text` takes on the screen, measured per grapheme cluster of
/// the form it is drawn in (`terminal_form`).
pub fn width(text: &str) -> usize {
    clusters_width(&terminal_form(text))
}

/// The cells of text already in its drawn form, as the drawing library counts them.
pub(super) fn clusters_width(drawn: &str) -> usize {
    drawn.graphemes(true).map(UnicodeWidthStr::width).sum()
}

/// The grapheme clusters the drawing library sends to the terminal for
/// `text`, each with the cells it reserves for it (clusters of no width it
/// never sends). A terminal that draws each in that many cells draws `text`
/// in `width(text)` cells and keeps the row aligned.
pub fn drawn_clusters(text: &str) -> Vec<(String, usize)> {
    terminal_form(text)
        .graphemes(true)
        .map(|g| (g.to_owned(), UnicodeWidthStr::width(g)))
        .filter(|&(_, cells)| cells > 0)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed() {
        for s in ["hello", "zażółć", "日本語", "e\u{301}", "👍", "❤"] {
            assert!(matches!(terminal_form(s), Cow::Borrowed(_)), "{s}");
        }
    }

    #[test]
    fn disputed_sequences_are_drawn_in_an_agreed_form() {
        assert_eq!(terminal_form("❤\u{fe0f}"), "❤");
        assert_eq!(terminal_form("👩\u{200d}👩\u{200d}👧"), "👩👩👧");
        assert_eq!(terminal_form("🏳\u{fe0f}\u{200d}🌈"), "🏳🌈");
        assert_eq!(terminal_form("👍🏽"), "👍\u{200b}🏽");
        assert_eq!(terminal_form("👩🏽\u{200d}💻"), "👩\u{200b}🏽💻");
        assert_eq!(terminal_form("1\u{fe0f}\u{20e3}"), "1\u{20e3}");
        assert_eq!(terminal_form("🇵🇱🇩🇪"), "🇵\u{200b}🇱\u{200b}🇩\u{200b}🇪");
        // A joiner inside a word of an Indic script is kept.
        assert_eq!(terminal_form("क्\u{200d}ष"), "क्\u{200d}ष");
    }

    #[test]
    fn widths_count_the_cells_of_the_drawn_form() {
        let cases = [
            ("👍🏽", 4),
            ("✌🏽", 3),
            ("🇵🇱", 2),
            ("👩\u{200d}👩\u{200d}👧", 6),
            ("❤\u{fe0f}", 1),
            ("日本", 4),
            ("e\u{301}", 1),
            ("a", 1),
        ];
        for (text, cells) in cases {
            assert_eq!(width(text), cells, "{text}");
        }
    }

    #[test]
    fn the_library_keeps_every_part_of_the_drawn_form() {
        use ratatui::buffer::Buffer;
        use ratatui::layout::Rect;
        let mut buffer = Buffer::empty(Rect::new(0, 0, 10, 1));
        buffer.set_string(0, 0, terminal_form("👍🏽|"), ratatui::style::Style::default());
        let cells: Vec<&str> = buffer.content().iter().map(|c| c.symbol()).collect();
        assert_eq!(&cells[..5], ["👍", " ", "🏽", " ", "|"]);
    }
}
