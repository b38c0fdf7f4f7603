//! Which of the UI's themes to draw with, and how many colours: chosen from
//! the settings and what the terminal says of itself in the environment.
//! The edge reads the variables; this decides, so it is tested on values.

use std::fmt;

/// The UI's colour theme: `Auto` follows the terminal's background.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Theme {
    #[default]
    Auto,
    /// Colours that read on a dark background.
    Dark,
    /// Colours that read on a light background.
    Light,
}

impl Theme {
    pub const NAMES: [(&'static str, Theme); 3] =
        [("auto", Theme::Auto), ("dark", Theme::Dark), ("light", Theme::Light)];

    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Auto => "auto",
            Theme::Dark => "dark",
            Theme::Light => "light",
        }
    }

    /// `Dark` or `Light`: `Auto` decided by `COLORFGBG` (`fg;bg`, or
    /// `fg;default;bg`: the last field is the background's colour index; 7
    /// and 9–15 are light, 0–6 and 8 dark). Without a readable one, dark:
    /// the most common terminal background.
    pub fn resolve(self, colorfgbg: Option<&str>) -> Theme {
        if self != Theme::Auto {
            return self;
        }
        let background = colorfgbg
            .and_then(|v| v.rsplit(';').next())
            .and_then(|bg| bg.trim().parse::<u8>().ok());
        match background {
            Some(7 | 9..=15) => Theme::Light,
            _ => Theme::Dark,
        }
    }
}

impl fmt::Display for Theme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How many colours the UI may use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ColorDepth {
    /// The 256-colour palette (and the sixteen).
    #[default]
    Many,
    /// Only the terminal's sixteen colours.
    Sixteen,
    /// None at all (`NO_COLOR`): bold, dim and reverse video still show.
    Monochrome,
}

impl ColorDepth {
    /// `NO_COLOR` set to anything non-empty (<https://no-color.org>) turns
    /// colour off; otherwise `TERM` or `COLORTERM` must say the terminal
    /// has 256 colours or more, or the sixteen are used.
    pub fn resolve(no_color: Option<&str>, term: Option<&str>, colorterm: Option<&str>) -> ColorDepth {
        if no_color.is_some_and(|v| !v.is_empty()) {
            return ColorDepth::Monochrome;
        }
        let many = term.is_some_and(|t| t.contains("256color") || t.contains("direct"))
            || colorterm.is_some_and(|c| matches!(c, "truecolor" | "24bit"));
        if many {
            ColorDepth::Many
        } else {
            ColorDepth::Sixteen
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_follows_the_background_colorfgbg_names() {
        let cases = [
            (Some("15;0"), Theme::Dark),
            (Some("0;15"), Theme::Light),
            (Some("0;7"), Theme::Light),
            (Some("7;8"), Theme::Dark),
            (Some("12;default;11"), Theme::Light),
            (Some("0;default;0"), Theme::Dark),
            (Some("15;default"), Theme::Dark),
            (Some("garbage"), Theme::Dark),
            (Some(""), Theme::Dark),
            (None, Theme::Dark),
        ];
        for (colorfgbg, theme) in cases {
            assert_eq!(Theme::Auto.resolve(colorfgbg), theme, "{colorfgbg:?}");
        }
    }

    #[test]
    fn a_chosen_theme_wins_over_the_terminal() {
        assert_eq!(Theme::Light.resolve(Some("15;0")), Theme::Light);
        assert_eq!(Theme::Dark.resolve(Some("0;15")), Theme::Dark);
    }

    #[test]
    fn no_color_turns_colour_off_and_term_says_how_many() {
        let cases = [
            (Some("1"), Some("xterm-256color"), None, ColorDepth::Monochrome),
            (Some(""), Some("xterm-256color"), None, ColorDepth::Many),
            (None, Some("xterm-256color"), None, ColorDepth::Many),
            (None, Some("screen"), Some("truecolor"), ColorDepth::Many),
            (None, Some("xterm"), None, ColorDepth::Sixteen),
            (None, None, None, ColorDepth::Sixteen),
        ];
        for (no_color, term, colorterm, depth) in cases {
            assert_eq!(
                ColorDepth::resolve(no_color, term, colorterm),
                depth,
                "{no_color:?} {term:?}"
            );
        }
    }
}
