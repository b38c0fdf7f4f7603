//! Word wrapping measured in terminal cells: wide CJK and emoji count two,
//! combining marks zero, exactly as ratatui lays graphemes into the buffer.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

pub fn width(s: &str) -> usize {
    s.graphemes(true).map(UnicodeWidthStr::width).sum()
}

struct Builder {
    lines: Vec<Line<'static>>,
    current: Vec<Span<'static>>,
    col: usize,
    width: usize,
    indent: usize,
}

impl Builder {
    fn break_line(&mut self) {
        let mut spans = std::mem::take(&mut self.current);
        if let Some(last) = spans.last_mut() {
            let kept = last.content.trim_end().len();
            if kept > 0 {
                last.content.to_mut().truncate(kept);
            }
        }
        self.lines.push(Line::from(spans));
        if self.indent > 0 {
            self.current.push(Span::raw(" ".repeat(self.indent)));
        }
        self.col = self.indent;
    }

    fn push(&mut self, text: &str, style: Style) {
        if text.is_empty() {
            return;
        }
        match self.current.last_mut() {
            Some(last) if last.style == style => last.content.to_mut().push_str(text),
            _ => self.current.push(Span::styled(text.to_owned(), style)),
        }
    }

    /// Places a word too long for any line, grapheme by grapheme.
    fn push_split(&mut self, word: &str, style: Style) {
        let mut chunk = String::new();
        for g in word.graphemes(true) {
            let w = UnicodeWidthStr::width(g);
            if self.col + w > self.width && self.col > self.indent {
                self.push(&chunk, style);
                chunk.clear();
                self.break_line();
            }
            chunk.push_str(g);
            self.col += w;
        }
        self.push(&chunk, style);
    }

    fn word(&mut self, word: &str, style: Style) {
        let w = width(word);
        let blank = word.trim().is_empty();
        if self.col + w <= self.width {
            self.push(word, style);
            self.col += w;
        } else if blank {
            // A line break replaces the space where it falls.
            self.break_line();
        } else if w <= self.width.saturating_sub(self.indent) {
            self.break_line();
            self.push(word, style);
            self.col += w;
        } else {
            self.push_split(word, style);
        }
    }
}

/// Lays `prefix` then `body` into lines at most `width` cells wide;
/// continuation lines start `indent` cells in.
pub fn wrap(prefix: Vec<Span<'static>>, body: &str, style: Style, width: usize, indent: usize) -> Vec<Line<'static>> {
    let width = width.max(1);
    let indent = if indent * 2 > width { 0 } else { indent };
    let col = prefix.iter().map(|s| width_of_span(s)).sum();
    let mut b = Builder {
        lines: Vec::new(),
        current: prefix,
        col,
        width,
        indent,
    };
    for (i, paragraph) in body.split('\n').enumerate() {
        if i > 0 {
            b.break_line();
        }
        for word in paragraph.split_word_bounds() {
            b.word(word, style);
        }
    }
    let last = std::mem::take(&mut b.current);
    b.lines.push(Line::from(last));
    b.lines
}

fn width_of_span(span: &Span) -> usize {
    width(&span.content)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(lines: &[Line]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn wraps_at_words_and_indents_continuations() {
        let lines = wrap(
            vec![Span::raw("12:00 <bob> ")],
            "the quick brown fox jumps",
            Style::default(),
            24,
            12,
        );
        assert_eq!(
            texts(&lines),
            ["12:00 <bob> the quick", "            brown fox", "            jumps"]
        );
        for line in &lines {
            assert!(line.width() <= 24);
        }
    }

    #[test]
    fn wide_characters_take_two_cells() {
        let lines = wrap(vec![], "日本語のテキスト", Style::default(), 6, 0);
        assert_eq!(texts(&lines), ["日本語", "のテキ", "スト"]);
        let emoji = wrap(vec![], "👨‍👩‍👧👨‍👩‍👧👨‍👩‍👧", Style::default(), 4, 0);
        assert_eq!(emoji.len(), 2);
        let combining = wrap(vec![], "e\u{301}e\u{301}e\u{301}", Style::default(), 3, 0);
        assert_eq!(combining.len(), 1);
    }

    #[test]
    fn newlines_break_and_long_words_split() {
        let lines = wrap(vec![], "ab\ncdefghij", Style::default(), 4, 0);
        assert_eq!(texts(&lines), ["ab", "cdef", "ghij"]);
    }

    #[test]
    fn never_wider_than_the_width() {
        let body = "word 日本 verylongwordwithoutspaces 👍🏽 e\u{301} end ".repeat(20);
        for w in 11..60 {
            for line in wrap(vec![Span::raw("12:00 <x> ")], &body, Style::default(), w, 10) {
                assert!(line.width() <= w, "width {w}: {:?}", line);
            }
        }
    }
}
