//! The example config and the two themes in `assets/`: each reads with the
//! real config loader, and the example names every key there is.

use std::path::Path;

use super::catalog::settings;
use super::parse_file;
use crate::settings::Color;
use crate::theme::Theme;

const EXAMPLE: &str = include_str!("../../assets/komunikator.toml");
const DARK: &str = include_str!("../../assets/themes/dark.toml");
const LIGHT: &str = include_str!("../../assets/themes/light.toml");

/// Whether a comment's text is a `key = value` line.
fn is_setting(comment: &str) -> bool {
    comment
        .split_once(" = ")
        .is_some_and(|(key, _)| !key.is_empty() && key.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
}

/// `text` with every commented `# key = value` line made a setting.
fn uncommented(text: &str) -> String {
    text.lines()
        .map(|line| match line.strip_prefix("# ") {
            Some(setting) if is_setting(setting) => setting,
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_example_config_reads_as_it_is_and_with_every_line_set() {
    parse_file(EXAMPLE, Path::new("komunikator.toml")).unwrap();
    let every = parse_file(&uncommented(EXAMPLE), Path::new("komunikator.toml")).unwrap();
    assert_eq!(every.username.as_deref(), Some("alice"));
    assert_eq!(every.declared.theme, Some(Theme::Auto));
    assert_eq!(every.declared.time_format.as_deref(), Some("%H:%M"));
    assert_eq!(every.colors.mention, Some(Color::Magenta));
}

#[test]
fn the_example_config_names_every_key() {
    let every = uncommented(EXAMPLE);
    let mut table = "";
    let mut keys = Vec::new();
    for line in every.lines() {
        if let Some(header) = line.strip_prefix('[') {
            table = header.split(']').next().unwrap_or_default();
        } else if let Some((key, _)) = line.split_once(" = ") {
            keys.push(match table {
                "" => key.trim().to_owned(),
                table => format!("{table}.{}", key.trim()),
            });
        }
    }
    for key in settings().filter_map(|s| s.key) {
        assert!(keys.iter().any(|k| k == key), "assets/komunikator.toml lacks {key}");
    }
}

#[test]
fn the_themes_read_and_set_their_theme() {
    for (text, theme, own) in [(DARK, Theme::Dark, 117), (LIGHT, Theme::Light, 25)] {
        let layer = parse_file(text, Path::new("theme.toml")).unwrap();
        assert_eq!(layer.declared.theme, Some(theme));
        assert_eq!(layer.colors, Default::default(), "the theme's own colours need no key");
        // Every commented colour is one the config takes.
        let every = parse_file(&uncommented(text), Path::new("theme.toml")).unwrap();
        assert_eq!(every.colors.own, Some(Color::Indexed(own)));
    }
}
