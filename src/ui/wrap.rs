//! Word wrapping measured in terminal cells: wide CJK and emoji count two,
//! combining marks zero, exactly as ratatui lays graphemes into the buffer.
//! Text is laid out in the form it is drawn in (`super::width`).
//!
//! The spans borrow the text they show: drawing a frame lays out every
//! visible message again, and copying each word every frame would cost an
//! allocation per span for text that has not changed.

use std::borrow::Cow;
use std::ops::Range;

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

pub(super) use super::width::width;
use super::width::{clusters_width, is_regional_indicator, terminal_form, CLUSTER_BREAK};

/// Continuation indents are cut from this rather than allocated per line.
const SPACES: &str = "                                        ";

fn spaces(n: usize) -> Cow<'static, str> {
    match SPACES.get(..n) {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(" ".repeat(n)),
    }
}

/// Where `part` lies inside `whole`, if it is a slice of it.
fn range_in(whole: &str, part: &str) -> Option<Range<usize>> {
    let start = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    let end = start + part.len();
    (end <= whole.len()).then_some(start..end)
}

struct Builder<'a> {
    /// The text being laid out: every word pushed is a slice of it.
    body: &'a str,
    lines: Vec<Line<'a>>,
    current: Vec<Span<'a>>,
    /// First span of the trailing run of same-style pushes: a line's end is
    /// trimmed across that run as if it were one span.
    run_start: usize,
    col: usize,
    width: usize,
    indent: usize,
}

impl<'a> Builder<'a> {
    fn break_line(&mut self) {
        let mut spans = std::mem::take(&mut self.current);
        trim_end(&mut spans, self.run_start);
        self.lines.push(Line::from(spans));
        if self.indent > 0 {
            self.current.push(Span::raw(spaces(self.indent)));
        }
        self.run_start = 0;
        self.col = self.indent;
    }

    fn push(&mut self, text: &'a str, style: Style) {
        if text.is_empty() {
            return;
        }
        let same_style = self.current.last().is_some_and(|last| last.style == style);
        if !same_style {
            self.run_start = self.current.len();
        }
        // Consecutive words of the body become one span borrowing both.
        let joined = match self.current.last() {
            Some(last) if same_style => self.joined(&last.content, text),
            _ => None,
        };
        match (joined, self.current.last_mut()) {
            (Some(joined), Some(last)) => last.content = Cow::Borrowed(joined),
            _ => self.current.push(Span::styled(text, style)),
        }
    }

    /// `left` and `right` as one slice of the body, if they are adjacent in it.
    fn joined(&self, left: &str, right: &str) -> Option<&'a str> {
        let left = range_in(self.body, left)?;
        let right = range_in(self.body, right)?;
        (left.end == right.start).then(|| &self.body[left.start..right.end])
    }

    /// Places a word too long for any line, grapheme by grapheme.
    fn push_split(&mut self, word: &'a str, style: Style) {
        let mut chunk_start = 0;
        for (at, w) in unbroken_pieces(word) {
            if self.col + w > self.width && self.col > self.indent {
                self.push(&word[chunk_start..at], style);
                chunk_start = at;
                self.break_line();
            }
            self.col += w;
        }
        self.push(&word[chunk_start..], style);
    }

    fn word(&mut self, word: &'a str, style: Style) {
        let w = clusters_width(word);
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

/// Where a word too long for a line may be split, and the cells of each
/// piece: between grapheme clusters, but never inside a flag or between an
/// emoji and its skin tone, which the drawn form keeps apart as clusters of
/// their own behind a zero-width break (`super::width`).
fn unbroken_pieces(word: &str) -> Vec<(usize, usize)> {
    let mut pieces: Vec<(usize, usize)> = Vec::new();
    let mut after_break = false;
    // Regional indicators in a row so far: every other one starts a flag.
    let mut indicators = 0;
    for (at, g) in word.grapheme_indices(true) {
        let indicator = g.chars().next().is_some_and(is_regional_indicator);
        if indicator {
            indicators += 1;
        } else if g != CLUSTER_BREAK {
            indicators = 0;
        }
        let starts_flag = indicator && indicators % 2 == 1;
        let joined = g == CLUSTER_BREAK || (after_break && !starts_flag);
        after_break = g == CLUSTER_BREAK;
        let cells = UnicodeWidthStr::width(g);
        match pieces.last_mut() {
            Some((_, width)) if joined => *width += cells,
            _ => pieces.push((at, cells)),
        }
    }
    pieces
}

/// Drops the spaces a line ends with, taking the trailing run of same-style
/// spans (from `run_start`) as one; a run of nothing but spaces stays.
fn trim_end(spans: &mut Vec<Span<'_>>, run_start: usize) {
    let run = spans.get(run_start..).unwrap_or_default();
    if run.iter().all(|s| s.content.trim_end().is_empty()) {
        return;
    }
    while let Some(last) = spans.last_mut() {
        let kept = last.content.trim_end().len();
        if kept > 0 {
            match &mut last.content {
                Cow::Borrowed(s) => *s = &s[..kept],
                Cow::Owned(s) => s.truncate(kept),
            }
            return;
        }
        spans.pop();
    }
}

/// Lays `prefix` then `body` into lines at most `width` cells wide;
/// continuation lines start `indent` cells in. The lines borrow a borrowed
/// body; an owned one (text made for display) is copied into them.
pub(super) fn wrap<'a>(
    prefix: Vec<Span<'a>>,
    body: Cow<'a, str>,
    style: Style,
    width: usize,
    indent: usize,
) -> Vec<Line<'a>> {
    let prefix = prefix.into_iter().map(drawn_span).collect();
    let body = match body {
        Cow::Borrowed(body) => terminal_form(body),
        Cow::Owned(body) => match terminal_form(&body) {
            Cow::Owned(drawn) => Cow::Owned(drawn),
            Cow::Borrowed(_) => Cow::Owned(body),
        },
    };
    match body {
        Cow::Borrowed(body) => wrap_str(prefix, body, style, width, indent),
        Cow::Owned(body) => wrap_str(prefix, &body, style, width, indent)
            .into_iter()
            .map(owned_line)
            .collect(),
    }
}

/// `span` in the form it is drawn in, still borrowed when that is the same.
fn drawn_span(span: Span<'_>) -> Span<'_> {
    let drawn = match terminal_form(&span.content) {
        Cow::Owned(drawn) => drawn,
        Cow::Borrowed(_) => return span,
    };
    Span::styled(drawn, span.style)
}

fn owned_line(line: Line<'_>) -> Line<'static> {
    let spans = line
        .spans
        .into_iter()
        .map(|s| Span::styled(s.content.into_owned(), s.style));
    Line::from(spans.collect::<Vec<_>>())
}

/// A space a line may break at: not the no-break ones.
fn is_break_space(c: char) -> bool {
    c.is_whitespace() && !matches!(c, '\u{a0}' | '\u{2007}' | '\u{202f}')
}

/// What a line may break between: runs of spaces and runs of everything
/// else, so punctuation stays with its word (`today?`, `(see`, `well-known`)
/// as UAX #14 has it. A run too long for a line is split by graphemes.
fn break_units(paragraph: &str) -> impl Iterator<Item = &str> {
    let mut rest = paragraph;
    std::iter::from_fn(move || {
        let blank = is_break_space(rest.chars().next()?);
        let end = rest.find(|c| is_break_space(c) != blank).unwrap_or(rest.len());
        let (unit, tail) = rest.split_at(end);
        rest = tail;
        Some(unit)
    })
}

fn wrap_str<'a>(prefix: Vec<Span<'a>>, body: &'a str, style: Style, width: usize, indent: usize) -> Vec<Line<'a>> {
    let col = prefix.iter().map(|s| clusters_width(&s.content)).sum();
    let width = width.max(1);
    let indent = if indent * 2 > width { 0 } else { indent };
    let mut b = Builder {
        body,
        lines: Vec::new(),
        run_start: prefix.len().saturating_sub(1),
        current: prefix,
        col,
        width,
        indent,
    };
    for (i, paragraph) in body.split('\n').enumerate() {
        if i > 0 {
            b.break_line();
        }
        for unit in break_units(paragraph) {
            b.word(unit, style);
        }
    }
    let last = std::mem::take(&mut b.current);
    b.lines.push(Line::from(last));
    b.lines
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
            "the quick brown fox jumps".into(),
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
        let lines = wrap(vec![], "日本語のテキスト".into(), Style::default(), 6, 0);
        assert_eq!(texts(&lines), ["日本語", "のテキ", "スト"]);
        // Families are drawn as their people (see `super::width`): nine, two a line.
        let emoji = wrap(vec![], "👨‍👩‍👧👨‍👩‍👧👨‍👩‍👧".into(), Style::default(), 4, 0);
        assert_eq!(emoji.len(), 5);
        let combining = wrap(vec![], "e\u{301}e\u{301}e\u{301}".into(), Style::default(), 3, 0);
        assert_eq!(combining.len(), 1);
    }

    #[test]
    fn newlines_break_and_long_words_split() {
        let lines = wrap(vec![], "ab\ncdefghij".into(), Style::default(), 4, 0);
        assert_eq!(texts(&lines), ["ab", "cdef", "ghij"]);
    }

    #[test]
    fn never_wider_than_the_width() {
        let body = "word 日本 verylongwordwithoutspaces 👍🏽 e\u{301} end ".repeat(20);
        for w in 11..60 {
            for line in wrap(
                vec![Span::raw("12:00 <x> ")],
                body.as_str().into(),
                Style::default(),
                w,
                10,
            ) {
                assert!(line.width() <= w, "width {w}: {:?}", line);
            }
        }
    }

    #[test]
    fn a_borrowed_body_is_shown_without_copying_it() {
        let body = String::from("the quick brown fox jumps over the lazy dog");
        let prefix = vec![Span::raw("12:00 "), Span::raw("<bob> ")];
        let lines = wrap(prefix, Cow::Borrowed(&body), Style::default(), 20, 4);
        assert_eq!(
            texts(&lines),
            [
                "12:00 <bob> the",
                "    quick brown fox",
                "    jumps over the",
                "    lazy dog"
            ]
        );
        for span in lines.iter().flat_map(|l| &l.spans) {
            assert!(matches!(span.content, Cow::Borrowed(_)), "copied: {span:?}");
        }
    }

    #[test]
    fn an_owned_body_gives_the_same_lines() {
        let body = "zażółć gęślą jaźń 日本語のテキスト verylongwordwithoutspaces  end ";
        for w in 5..40 {
            let borrowed = wrap(vec![Span::raw("> ")], Cow::Borrowed(body), Style::default(), w, 3);
            let owned = wrap(
                vec![Span::raw("> ")],
                Cow::Owned(body.to_owned()),
                Style::default(),
                w,
                3,
            );
            assert_eq!(texts(&borrowed), texts(&owned), "width {w}");
        }
    }

    #[test]
    fn punctuation_stays_with_its_word() {
        let lines = wrap(vec![], "how are you today? (fine)".into(), Style::default(), 16, 0);
        assert_eq!(texts(&lines), ["how are you", "today? (fine)"]);
        let lines = wrap(vec![], "it is well-known.".into(), Style::default(), 12, 0);
        assert_eq!(texts(&lines), ["it is", "well-known."]);
        // A no-break space holds its neighbours together.
        let lines = wrap(vec![], "costs 10\u{a0}zł".into(), Style::default(), 8, 0);
        assert_eq!(texts(&lines), ["costs", "10\u{a0}zł"]);
    }

    #[test]
    fn emoji_are_laid_out_in_the_cells_they_are_drawn_in() {
        // A skin tone takes its own two cells; a joined family is drawn as its people.
        let lines = wrap(vec![], "👍🏽👍🏽 ok".into(), Style::default(), 8, 0);
        assert_eq!(texts(&lines), ["👍\u{200b}🏽👍\u{200b}🏽", "ok"]);
        let lines = wrap(vec![Span::raw("<👩🏽> ")], "❤\u{fe0f}".into(), Style::default(), 20, 0);
        assert_eq!(texts(&lines), ["<👩\u{200b}🏽> ❤"]);
    }

    #[test]
    fn a_long_word_never_splits_a_flag_or_a_skin_tone() {
        let lines = wrap(vec![], "👍🏽👍🏽👍🏽".into(), Style::default(), 6, 0);
        assert_eq!(texts(&lines), ["👍\u{200b}🏽", "👍\u{200b}🏽", "👍\u{200b}🏽"]);
        let lines = wrap(vec![], "a🇵🇱🇩🇪".into(), Style::default(), 4, 0);
        assert_eq!(texts(&lines), ["a🇵\u{200b}🇱\u{200b}", "🇩\u{200b}🇪"]);
    }
}
