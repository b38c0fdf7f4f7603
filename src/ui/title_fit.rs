//! The title bar fitted to its width by dropping whole parts, least useful
//! first, so that no word is cut and what waits elsewhere (the unread count
//! and the mention mark) stays to the last.

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
    /// Someone mentioned us in another room.
    pub mentioned: bool,
}

/// The fullest title that fits in `width` columns (the narrowest when none does).
pub(super) fn fit_title(parts: &TitleParts, width: u16) -> String {
    let forms = forms(parts);
    let fits = |t: &&String| t.width() <= usize::from(width);
    forms.iter().find(fits).or(forms.last()).cloned().unwrap_or_default()
}

/// Every form of the title, each one part shorter than the one before.
fn forms(p: &TitleParts) -> Vec<String> {
    let unread = |word: &str, mark: &str| match (p.elsewhere, p.mentioned) {
        (0, false) => String::new(),
        (0, true) => format!(" · {mark}"),
        (n, false) => format!(" · {n} unread{word}"),
        (n, true) => format!(" · {n} unread{word} {mark}"),
    };
    let (long, short) = (unread(" elsewhere", "(@)"), unread("", "@"));
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

    fn parts(elsewhere: usize, mentioned: bool) -> TitleParts {
        TitleParts {
            room: "#general".into(),
            room_short: "#general".into(),
            here: "3 here".into(),
            elsewhere,
            mentioned,
        }
    }

    #[test]
    fn parts_go_whole_and_the_unread_count_and_mention_stay() {
        let cases = [
            (80, 5, true, " komunikator · #general · 3 here · 5 unread elsewhere (@)"),
            (50, 5, true, " #general · 3 here · 5 unread elsewhere (@)"),
            (40, 5, true, " #general · 3 here · 5 unread @"),
            (30, 5, true, " #general · 5 unread @"),
            (20, 5, true, " 5 unread @"),
            (5, 5, true, " 5 unread @"),
            (30, 0, true, " #general · 3 here · (@)"),
            (35, 0, false, " komunikator · #general · 3 here"),
            (20, 0, false, " #general · 3 here"),
            (10, 0, false, " #general"),
        ];
        for (width, elsewhere, mentioned, want) in cases {
            assert_eq!(fit_title(&parts(elsewhere, mentioned), width), want, "{width} columns");
        }
    }
}
