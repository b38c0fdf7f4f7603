//! The input line: editing (tui-input), history of sent lines, Tab completion.

use tui_input::{Input, InputRequest};

/// Sent lines remembered for Up/Down.
const HISTORY: usize = 500;

#[derive(Debug, Default)]
pub struct InputLine {
    pub editor: Input,
    history: Vec<String>,
    /// Position while browsing history; `None` when editing a new line.
    browsing: Option<usize>,
    /// Text typed before browsing started, restored past the newest entry.
    draft: String,
    completion: Option<Completion>,
}

#[derive(Debug)]
struct Completion {
    /// The line with the word being completed cut out: (before, after).
    before: String,
    after: String,
    candidates: Vec<String>,
    next: usize,
}

impl InputLine {
    pub fn value(&self) -> &str {
        self.editor.value()
    }

    pub fn is_empty(&self) -> bool {
        self.editor.value().is_empty()
    }

    pub fn edit(&mut self, request: InputRequest) {
        self.completion = None;
        self.editor.handle(request);
    }

    /// Inserts a whole paste at the cursor at once (inserting a long paste
    /// character by character would cost quadratic time).
    pub fn paste(&mut self, text: &str) {
        self.completion = None;
        // Line breaks in a paste stay in the message; CR LF counts as one.
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        let value = self.editor.value();
        let cursor = self.editor.cursor();
        let at = value.char_indices().nth(cursor).map_or(value.len(), |(i, _)| i);
        let joined = format!("{}{text}{}", &value[..at], &value[at..]);
        self.editor = Input::new(joined).with_cursor(cursor + text.chars().count());
    }

    /// Takes the line for sending and remembers it.
    pub fn take(&mut self) -> String {
        let line = self.editor.value_and_reset();
        self.browsing = None;
        self.completion = None;
        if !line.trim().is_empty() && self.history.last() != Some(&line) {
            if self.history.len() == HISTORY {
                self.history.remove(0);
            }
            self.history.push(line.clone());
        }
        line
    }

    fn set(&mut self, value: String) {
        self.editor = Input::new(value);
    }

    pub fn history_back(&mut self) {
        let at = match self.browsing {
            None if self.history.is_empty() => return,
            None => {
                self.draft = self.editor.value().to_owned();
                self.history.len() - 1
            }
            Some(0) => return,
            Some(i) => i - 1,
        };
        self.browsing = Some(at);
        self.set(self.history[at].clone());
    }

    pub fn history_forward(&mut self) {
        match self.browsing {
            None => {}
            Some(i) if i + 1 < self.history.len() => {
                self.browsing = Some(i + 1);
                self.set(self.history[i + 1].clone());
            }
            Some(_) => {
                self.browsing = None;
                let draft = std::mem::take(&mut self.draft);
                self.set(draft);
            }
        }
    }

    /// Completes the word before the cursor from `candidates`; Tab again cycles.
    pub fn complete(&mut self, candidates: impl FnOnce(&str, bool) -> Vec<String>) {
        if self.completion.is_some() {
            self.cycle_completion();
            return;
        }
        let value = self.editor.value();
        let cursor_byte = value
            .char_indices()
            .nth(self.editor.cursor())
            .map_or(value.len(), |(i, _)| i);
        let (head, after) = value.split_at(cursor_byte);
        let start = head.rfind(char::is_whitespace).map_or(0, |i| i + 1);
        let (before, word) = head.split_at(start);
        let first_word = before.trim().is_empty();
        let mut found = candidates(word, first_word);
        found.sort();
        found.dedup();
        if found.is_empty() {
            return;
        }
        // Start one before the first, so the cycling step lands on it.
        self.completion = Some(Completion {
            before: before.to_owned(),
            after: after.to_owned(),
            next: found.len() - 1,
            candidates: found,
        });
        self.cycle_completion();
    }

    fn cycle_completion(&mut self) {
        let Some(c) = &mut self.completion else { return };
        c.next = (c.next + 1) % c.candidates.len();
        let line = format!("{}{}", c.before, c.candidates[c.next]);
        let cursor = line.chars().count();
        let full = format!("{line}{}", c.after);
        self.editor = Input::new(full).with_cursor(cursor);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(text: &str) -> InputLine {
        let mut line = InputLine::default();
        line.paste(text);
        line
    }

    #[test]
    fn history_walks_back_and_restores_the_draft() {
        let mut line = typed("one");
        line.take();
        line.paste("two");
        line.take();
        line.paste("dra");
        line.history_back();
        assert_eq!(line.value(), "two");
        line.history_back();
        assert_eq!(line.value(), "one");
        line.history_back();
        assert_eq!(line.value(), "one");
        line.history_forward();
        line.history_forward();
        assert_eq!(line.value(), "dra");
    }

    #[test]
    fn tab_cycles_through_sorted_candidates() {
        let mut line = typed("hi bo");
        let names = |word: &str, first: bool| {
            assert!(!first);
            ["bob", "boris", "carol"]
                .iter()
                .filter(|n| n.starts_with(word))
                .map(|n| n.to_string())
                .collect()
        };
        line.complete(names);
        assert_eq!(line.value(), "hi bob");
        line.complete(|_, _| unreachable!());
        assert_eq!(line.value(), "hi boris");
        line.complete(|_, _| unreachable!());
        assert_eq!(line.value(), "hi bob");
    }

    #[test]
    fn multibyte_editing_never_panics() {
        let mut line = typed("zażółć 日本 👨‍👩‍👧");
        for _ in 0..20 {
            line.edit(InputRequest::GoToPrevChar);
            line.edit(InputRequest::DeletePrevChar);
        }
        line.edit(InputRequest::GoToEnd);
        line.edit(InputRequest::DeletePrevWord);
        line.complete(|w, _| vec![format!("{w}ł")]);
        assert!(line.value().ends_with('ł'));
    }
}
