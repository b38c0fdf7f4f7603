//! Whole lines waiting for a reader, bounded: past the bound the oldest are
//! dropped and counted, and a marker takes their place when output resumes.

/// Makes the line that stands for `missed` dropped lines (ending in `\n`).
pub type GapMarker = Box<dyn Fn(usize) -> Vec<u8> + Send>;

#[derive(Debug, Default)]
pub struct Lines {
    bytes: Vec<u8>,
    /// `bytes[..protected]` must be written as it is: the rest of a line
    /// already partly written, or a gap marker.
    protected: usize,
    /// Lines dropped and not yet said: they were cut from `bytes` at `at`,
    /// which is always `protected` (lines are only ever cut right after it).
    gap: Option<Gap>,
    bound: usize,
}

#[derive(Debug, Clone, Copy)]
struct Gap {
    at: usize,
    count: usize,
}

impl Lines {
    pub fn new(bound: usize) -> Self {
        Lines {
            bound,
            ..Lines::default()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty() && self.gap.is_none()
    }

    /// Appends whole lines, then drops the oldest unprotected ones while
    /// more than the bound is held.
    pub fn push(&mut self, more: &[u8]) {
        self.bytes.extend_from_slice(more);
        self.trim();
    }

    /// Queues what a write left over: the rest of its line is kept whole.
    pub fn push_rest(&mut self, rest: &[u8]) {
        self.bytes.extend_from_slice(rest);
        self.written_partly();
        self.trim();
    }

    fn trim(&mut self) {
        if self.bytes.len() <= self.bound {
            return;
        }
        let excess = self.bytes.len() - self.bound;
        let from = self.protected;
        if from >= self.bytes.len() {
            return;
        }
        // Cut after the line holding the `excess`-th droppable byte, so that
        // no line is split; a protected prefix stays.
        let last = (from + excess).min(self.bytes.len()) - 1;
        let cut = match self.bytes[last..].iter().position(|&b| b == b'\n') {
            Some(i) => last + i + 1,
            None => self.bytes.len(),
        };
        let count = self.bytes[from..cut].iter().filter(|&&b| b == b'\n').count();
        self.gap.get_or_insert(Gap { at: from, count: 0 }).count += count;
        self.bytes.drain(from..cut);
    }

    /// What to write next: up to where lines were dropped, then the marker
    /// that says how many (made only when it is next, so that lines dropped
    /// while the reader is stuck add up in one marker).
    pub fn pending(&mut self, marker: &GapMarker) -> &[u8] {
        match self.gap {
            Some(gap) if gap.at == 0 => {
                self.gap = None;
                let text = marker(gap.count);
                self.protected = text.len();
                self.bytes.splice(0..0, text);
                &self.bytes
            }
            Some(gap) => &self.bytes[..gap.at],
            None => &self.bytes,
        }
    }

    /// `n` bytes of [`Lines::pending`] were written.
    pub fn written(&mut self, n: usize) {
        if n == 0 {
            return;
        }
        let mid_line = self.bytes[n - 1] != b'\n';
        self.bytes.drain(..n);
        self.protected = self.protected.saturating_sub(n);
        if let Some(gap) = &mut self.gap {
            gap.at -= n.min(gap.at);
        }
        if mid_line && self.protected == 0 {
            self.written_partly();
        }
    }

    /// The queue starts with the rest of a line already partly written
    /// elsewhere: keep it whole.
    pub fn written_partly(&mut self) {
        self.protected = self
            .bytes
            .iter()
            .position(|&b| b == b'\n')
            .map_or(self.bytes.len(), |i| i + 1);
    }

    /// Hands over everything (a marker first), leaving `spare` in its place.
    pub fn take_into(&mut self, spare: &mut Vec<u8>, marker: &GapMarker) {
        // Nothing is protected here (all is handed over at once): a gap is at 0.
        self.pending(marker);
        spare.clear();
        std::mem::swap(spare, &mut self.bytes);
        self.protected = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marker() -> GapMarker {
        Box::new(|n| format!("[{n} not shown]\n").into_bytes())
    }

    fn drain(lines: &mut Lines, step: usize) -> String {
        let gap = marker();
        let mut out = Vec::new();
        while !lines.is_empty() {
            let pending = lines.pending(&gap);
            let n = step.min(pending.len());
            out.extend_from_slice(&pending[..n]);
            lines.written(n);
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_oldest_lines_go_first_and_a_marker_says_how_many() {
        let mut lines = Lines::new(16);
        for n in 0..10 {
            lines.push(format!("line {n}\n").as_bytes());
        }
        assert_eq!(drain(&mut lines, 1000), "[8 not shown]\nline 8\nline 9\n");
    }

    #[test]
    fn a_partly_written_line_is_finished_before_anything_else() {
        let mut lines = Lines::new(16);
        lines.push(b"first line\n");
        let gap = marker();
        let pending = lines.pending(&gap).len();
        assert_eq!(pending, 11);
        lines.written(3);
        for n in 0..10 {
            lines.push(format!("line {n}\n").as_bytes());
        }
        // "st line\n" (8 bytes) is kept whole; then one 7-byte line fits.
        assert_eq!(drain(&mut lines, 2), "st line\n[9 not shown]\nline 9\n");
    }

    #[test]
    fn the_marker_stands_where_the_lines_were_even_when_writes_end_mid_line() {
        let mut lines = Lines::new(30);
        for n in 0..4 {
            lines.push(format!("early {n}\n").as_bytes());
        }
        // A reader that takes 9 bytes at a time rarely stops at a line's end.
        let gap = marker();
        let mut out = Vec::new();
        let mut pushed = 4;
        while !lines.is_empty() {
            let pending = lines.pending(&gap);
            let n = 9.min(pending.len());
            out.extend_from_slice(&pending[..n]);
            lines.written(n);
            if pushed < 40 {
                lines.push(format!("late {pushed:02}\n").as_bytes());
                pushed += 1;
            }
        }
        let text = String::from_utf8(out).unwrap();
        let marker_at = text.find(" not shown]").expect("a marker");
        assert!(marker_at < text.find("late 39").unwrap(), "{text}");
        let shown = text
            .lines()
            .filter(|l| l.starts_with("late") || l.starts_with("early"))
            .count();
        let missed: usize = text
            .lines()
            .filter_map(|l| l.strip_prefix('[')?.split_once(" ")?.0.parse::<usize>().ok())
            .sum();
        assert_eq!(shown + missed, 40, "{text}");
    }

    #[test]
    fn without_pressure_every_line_arrives_in_order() {
        let mut lines = Lines::new(1 << 20);
        let mut expected = String::new();
        for n in 0..1000 {
            let line = format!("{n}\n");
            lines.push(line.as_bytes());
            expected += &line;
        }
        assert_eq!(drain(&mut lines, 7), expected);
    }
}
