//! What the core needs to know of the screen's layout: how wide a notice
//! may be before the chat pane wraps it.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::State;

/// Columns the side panel takes when shown.
pub const PANEL_WIDTH: u16 = 24;
/// Columns before a notice's text: `14:02 -!- `.
const NOTICE_PREFIX: usize = 10;

impl State {
    /// Columns a notice's text has in the chat pane before it wraps; `None`
    /// in line mode, where nothing cuts a line.
    pub(super) fn notice_columns(&self) -> Option<usize> {
        if self.line_mode() {
            return None;
        }
        let width = self.size.0;
        // As the front end splits the body: the panel only beside a usable pane.
        let pane = if self.panel_visible(width) && width > PANEL_WIDTH + 10 {
            width - PANEL_WIDTH
        } else {
            width
        };
        Some(usize::from(pane).saturating_sub(NOTICE_PREFIX))
    }
}

/// The first of `forms` (most detailed first) that fits in `columns`, else
/// the last one cut short with `…`.
pub(super) fn fitted(forms: &[String], columns: usize) -> String {
    if let Some(form) = forms.iter().find(|f| f.width() <= columns) {
        return form.clone();
    }
    let last = forms.last().map(String::as_str).unwrap_or_default();
    let mut cut = String::new();
    let mut used = 0;
    for c in last.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > columns {
            break;
        }
        used += w;
        cut.push(c);
    }
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::fitted;

    #[test]
    fn the_most_detailed_form_that_fits_else_the_shortest_cut() {
        let forms = ["○ dave, left at 12:02 (bye)".to_owned(), "○ dave, at 12:02".to_owned()];
        let cases = [
            (40, "○ dave, left at 12:02 (bye)"),
            (27, "○ dave, left at 12:02 (bye)"),
            (26, "○ dave, at 12:02"),
            (16, "○ dave, at 12:02"),
            (10, "○ dave, a…"),
            (1, "…"),
        ];
        for (columns, want) in cases {
            assert_eq!(fitted(&forms, columns), want, "{columns} columns");
        }
        assert_eq!(
            fitted(&["● 日本語".to_owned()], 6),
            "● 日…",
            "wide characters count double"
        );
    }
}
