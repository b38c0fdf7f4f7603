//! The checks of the settings for how the UI looks: its theme and the
//! format of the times beside messages.

use chrono::format::{Item, StrftimeItems};
use chrono::{TimeZone, Utc};

pub use crate::theme::Theme;

/// The times beside messages: hours and minutes.
pub const DEFAULT_TIME_FORMAT: &str = "%H:%M";

/// The widest time a format may give, in columns: wider ones would leave
/// no room for the names and the text on a small terminal.
pub const TIME_FORMAT_MAX_WIDTH: usize = 12;

pub fn parse_theme(s: &str) -> Result<Theme, String> {
    Theme::NAMES
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(s.trim()))
        .map(|&(_, theme)| theme)
        .ok_or_else(|| format!("unknown theme {s:?}: expected auto, dark or light"))
}

/// A strftime format (chrono's) that formats and stays within
/// [`TIME_FORMAT_MAX_WIDTH`] columns for every time of day and date.
pub fn parse_time_format(s: &str) -> Result<String, String> {
    if s.is_empty() {
        return Err("the time format is empty (the default is \"%H:%M\")".into());
    }
    if StrftimeItems::new(s).any(|item| matches!(item, Item::Error)) {
        return Err(format!(
            "{s:?} is no strftime format chrono knows (e.g. \"%H:%M\", \"%I:%M %p\")"
        ));
    }
    // The widest of a few times: long weekday and month names, two-digit days.
    let samples = [
        (2026, 9, 30, 23, 59, 59),
        (2026, 12, 31, 12, 0, 0),
        (2026, 5, 3, 0, 0, 0),
    ];
    let widest = samples
        .into_iter()
        .filter_map(|(y, mo, d, h, mi, se)| Utc.with_ymd_and_hms(y, mo, d, h, mi, se).single())
        .map(|at| {
            let shown = at.format(s).to_string();
            crate::ui::width::width(&shown)
        })
        .max()
        .unwrap_or(0);
    if widest > TIME_FORMAT_MAX_WIDTH {
        return Err(format!(
            "{s:?} shows times {widest} columns wide; at most {TIME_FORMAT_MAX_WIDTH} fit beside the messages"
        ));
    }
    Ok(s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn themes_by_name() {
        assert_eq!(parse_theme("dark"), Ok(Theme::Dark));
        assert_eq!(parse_theme("Light"), Ok(Theme::Light));
        assert_eq!(parse_theme("auto"), Ok(Theme::Auto));
        assert!(parse_theme("solarized").unwrap_err().contains("auto, dark or light"));
    }

    #[test]
    fn time_formats_are_checked_for_errors_and_width() {
        assert_eq!(parse_time_format("%H:%M:%S").as_deref(), Ok("%H:%M:%S"));
        assert_eq!(parse_time_format("%I:%M %p").as_deref(), Ok("%I:%M %p"));
        assert!(parse_time_format("%Q").unwrap_err().contains("no strftime format"));
        assert!(parse_time_format("%H:%M %").is_err());
        assert!(parse_time_format("").is_err());
        let wide = parse_time_format("%A %H:%M").unwrap_err();
        assert!(wide.contains("at most 12"), "{wide}");
    }
}
