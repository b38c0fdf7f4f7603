//! The colours the UI draws with, for a dark or a light background, in 256
//! colours or the terminal's sixteen, or none at all (`NO_COLOR`).
//!
//! Times and notices are the terminal's own text colour dimmed rather than
//! grey: a fixed grey is the background itself in some schemes (colour 8 is
//! Solarized Dark's). A mention is shown by reverse video on its time, never
//! by a text colour, so it reads on any background and no name's colour can
//! be mistaken for it.

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier, Style};

use crate::settings::Settings;
use crate::theme::{ColorDepth, Theme};

/// Names on a dark background, 256 colours: light tints of clearly
/// different hues (red, orange, green, teal, blue, violet, pink, sand). No
/// yellow: it marks "away" and the scroll marker.
const NICKS_DARK: [Color; 8] = [
    Color::Indexed(203),
    Color::Indexed(209),
    Color::Indexed(114),
    Color::Indexed(80),
    Color::Indexed(75),
    Color::Indexed(141),
    Color::Indexed(212),
    Color::Indexed(180),
];

/// Names on a light background, 256 colours: the same hues, dark enough to
/// read on white.
const NICKS_LIGHT: [Color; 8] = [
    Color::Indexed(160),
    Color::Indexed(166),
    Color::Indexed(28),
    Color::Indexed(30),
    Color::Indexed(26),
    Color::Indexed(91),
    Color::Indexed(162),
    Color::Indexed(94),
];

/// Names with only the sixteen colours, on a dark background.
const NICKS_DARK_16: [Color; 6] = [
    Color::LightRed,
    Color::LightGreen,
    Color::LightBlue,
    Color::LightMagenta,
    Color::LightCyan,
    Color::Green,
];

/// Names with only the sixteen colours, on a light background.
const NICKS_LIGHT_16: [Color; 6] = [
    Color::Red,
    Color::Green,
    Color::Blue,
    Color::Magenta,
    Color::Cyan,
    Color::LightRed,
];

/// The resolved look of one run: the theme (never `Auto` here) and the depth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Look {
    light: bool,
    depth: ColorDepth,
}

impl Look {
    pub(super) const DARK: Look = Look {
        light: false,
        depth: ColorDepth::Many,
    };

    pub(super) fn of(settings: &Settings) -> Look {
        Look {
            // `Auto` left unresolved (tests, a caller without a terminal): dark.
            light: settings.theme == Theme::Light,
            depth: settings.color_depth,
        }
    }

    fn nicks(self) -> &'static [Color] {
        match (self.light, self.depth) {
            (false, ColorDepth::Sixteen) => &NICKS_DARK_16,
            (true, ColorDepth::Sixteen) => &NICKS_LIGHT_16,
            (false, _) => &NICKS_DARK,
            (true, _) => &NICKS_LIGHT,
        }
    }

    /// A stable colour per name, the same in every run and on every client.
    pub(super) fn nick(self, name: &str) -> Color {
        let nicks = self.nicks();
        nicks[(fnv1a(name) % nicks.len() as u64) as usize]
    }

    /// The user's own name, drawn bold: the terminal's own text colour,
    /// which reads on any background and is none of the names' hues.
    pub(super) fn own(self) -> Color {
        Color::Reset
    }
}

/// FNV-1a: tiny, and stable across Rust versions unlike std's hasher.
fn fnv1a(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Times, notices and other quiet text: the terminal's own colour, dimmed.
pub(super) fn quiet() -> Style {
    Style::default().add_modifier(Modifier::DIM)
}

/// The time of a message that mentions the user: reverse video, or the
/// configured mention colour behind it.
pub(super) fn mention_time(configured: Option<Color>) -> Style {
    match configured {
        Some(color) => Style::default().fg(Color::Black).bg(color),
        None => Style::default().add_modifier(Modifier::REVERSED),
    }
}

/// `NO_COLOR`: every cell back to the terminal's own colours. A cell that
/// stood out by its background (bars, marks) is shown in reverse video so
/// it still does; bold, dim and underline stay.
pub(super) fn strip_colors(buffer: &mut Buffer) {
    for cell in &mut buffer.content {
        if cell.bg != Color::Reset {
            cell.modifier.toggle(Modifier::REVERSED);
        }
        cell.fg = Color::Reset;
        cell.bg = Color::Reset;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOOKS: [Look; 4] = [
        Look {
            light: false,
            depth: ColorDepth::Many,
        },
        Look {
            light: true,
            depth: ColorDepth::Many,
        },
        Look {
            light: false,
            depth: ColorDepth::Sixteen,
        },
        Look {
            light: true,
            depth: ColorDepth::Sixteen,
        },
    ];

    #[test]
    fn nick_palettes_have_distinct_colours_none_yellow_none_the_own_one() {
        for look in LOOKS {
            let nicks = look.nicks();
            for (i, a) in nicks.iter().enumerate() {
                assert!(!nicks[i + 1..].contains(a), "{look:?}: {a:?} twice");
                assert!(
                    ![Color::Yellow, Color::LightYellow, Color::DarkGray, Color::Indexed(8)].contains(a),
                    "{look:?}: {a:?}"
                );
                assert_ne!(*a, look.own(), "{look:?}");
            }
        }
    }

    #[test]
    fn bob_and_carol_get_different_colours() {
        for look in LOOKS {
            assert_ne!(look.nick("bob"), look.nick("carol"), "{look:?}");
        }
    }

    #[test]
    fn a_mention_is_reverse_video_not_a_text_colour() {
        let style = mention_time(None);
        assert!(style.add_modifier.contains(Modifier::REVERSED));
        assert_eq!(style.fg, None);
        assert_eq!(quiet().fg, None);
    }

    #[test]
    fn without_colour_only_modifiers_stay_and_backgrounds_become_reverse() {
        use ratatui::layout::Rect;
        let mut buffer = Buffer::empty(Rect::new(0, 0, 3, 1));
        buffer[(0, 0)].set_style(Style::default().fg(Color::Red).add_modifier(Modifier::BOLD));
        buffer[(1, 0)].set_style(Style::default().bg(Color::Blue).fg(Color::White));
        strip_colors(&mut buffer);
        for cell in &buffer.content {
            assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset));
        }
        assert_eq!(buffer[(0, 0)].modifier, Modifier::BOLD);
        assert_eq!(buffer[(1, 0)].modifier, Modifier::REVERSED);
        assert_eq!(buffer[(2, 0)].modifier, Modifier::empty());
    }
}
