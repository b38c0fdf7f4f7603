//! The title bar fitted to its width by dropping whole parts, least useful
//! first, so that no word is cut and what waits elsewhere (the unread count
//! and the calls: mentions and direct messages) stays to the last.

use unicode_width::UnicodeWidthStr;

/// What the title may say, most important last.
pub(super) struct TitleParts {
    /// The active room as labelled in full (`#general`, `@bob 🔒 end-to-end encrypted`).
    pub room: String,
    /// The active room in a word (`#general`, `@bob`).
    pub room_short: String,
    /// `3 here`, `5 online`, `who is here unknown`.
    pub here: String,
    /// Unread messages in the other rooms.
    pub elsewhere: usize,
    /// Mentions and direct messages waiting in the other rooms.
    pub calls: usize,
}

/// The fullest title that fits in `width` columns (the narrowest when none does).
pub(super) fn fit_title(parts: &TitleParts, width: u16) -> String {
    let forms = forms(parts);
    let fits = |t: &&String| t.width() <= usize::from(width);
    forms.iter().find(fits).or(forms.last()).cloned().unwrap_or_default()
}

/// Every form of the title, each one part shorter than the one before.
fn forms(p: &TitleParts) -> Vec<String> {
    let calls = p.calls;
    let long = match (p.elsewhere, calls) {
        (0, 0) => String::new(),
        (0, c) => format!(" · @{c} for you"),
        (n, 0) => format!(" · {n} unread elsewhere"),
        (n, c) => format!(" · {n} unread elsewhere · @{c} for you"),
    };
    let short = match (p.elsewhere, calls) {
        (0, 0) => String::new(),
        (0, c) => format!(" · @{c}"),
        (n, 0) => format!(" · {n} unread"),
        (n, c) => format!(" · {n} unread @{c}"),
    };
    let unread_alone = short.trim_start_matches(" · ");
    let mut forms = vec![
        format!(" komunikator · {} · {}{long}", p.room, p.here),
        format!(" {} · {}{long}", p.room, p.here),
        format!(" {} · {}{short}", p.room, p.here),
        format!(" {} · {}{short}", p.room_short, p.here),
        format!(" {}{short}", p.room_short),
    ];
    if !unread_alone.is_empty() {
        forms.push(format!(" {unread_alone}"));
    }
    forms
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(elsewhere: usize, calls: usize) -> TitleParts {
        TitleParts {
            room: "#general".into(),
            room_short: "#general".into(),
            here: "3 here".into(),
            elsewhere,
            calls,
        }
    }

    #[test]
    fn parts_go_whole_and_the_unread_count_and_mention_stay() {
        let cases = [
            (
                80,
                5,
                2,
                " komunikator · #general · 3 here · 5 unread elsewhere · @2 for you",
            ),
            (60, 5, 2, " #general · 3 here · 5 unread elsewhere · @2 for you"),
            (40, 5, 2, " #general · 3 here · 5 unread @2"),
            (30, 5, 2, " #general · 5 unread @2"),
            (20, 5, 2, " 5 unread @2"),
            (5, 5, 2, " 5 unread @2"),
            (40, 0, 1, " #general · 3 here · @1 for you"),
            (25, 0, 1, " #general · 3 here · @1"),
            (35, 0, 0, " komunikator · #general · 3 here"),
            (20, 0, 0, " #general · 3 here"),
            (10, 0, 0, " #general"),
        ];
        for (width, elsewhere, calls, want) in cases {
            assert_eq!(fit_title(&parts(elsewhere, calls), width), want, "{width} columns");
        }
    }
}
