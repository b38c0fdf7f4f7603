//! The README, clap, the config file and `--print-config` against the catalog.

use std::collections::BTreeSet;
use std::path::Path;

use clap::CommandFactory;

use super::catalog::settings;
use super::{merge, parse_file, render, Sources};
use crate::settings::Mode;

const README: &str = include_str!("../../README.md");

/// The lines of the README section under `heading`, up to the next heading.
fn section(heading: &str) -> Vec<&'static str> {
    let mut lines = README.lines().skip_while(|l| *l != heading);
    lines.next().unwrap_or_else(|| panic!("README has no {heading:?}"));
    lines
        .take_while(|l| !l.starts_with("## ") && !l.starts_with("### "))
        .collect()
}

/// The backticked names in each table row's first column.
fn first_column(lines: &[&'static str]) -> Vec<&'static str> {
    let mut names = Vec::new();
    for line in lines.iter().filter(|l| l.starts_with("| `")) {
        let cell = line.split(" | ").next().unwrap_or_default();
        names.extend(cell.split('`').skip(1).step_by(2));
    }
    names
}

fn set<'a>(items: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    items.into_iter().map(str::to_owned).collect()
}

#[test]
fn readme_flags_are_the_flags_clap_knows() {
    let mut readme = BTreeSet::new();
    for name in first_column(&section("## Command line")) {
        for word in name.split([' ', ',']) {
            if let Some(long) = word.strip_prefix("--") {
                readme.insert(format!("--{long}"));
            } else if let Some(positional) = word.strip_prefix('[') {
                readme.insert(positional.trim_end_matches(']').to_owned());
            }
        }
    }
    let mut command = crate::cli::Cli::command();
    command.build();
    let mut clap = BTreeSet::new();
    for arg in command.get_arguments().filter(|a| !a.is_hide_set()) {
        match arg.get_long() {
            Some(long) => clap.insert(format!("--{long}")),
            None => clap.insert(arg.get_id().as_str().to_uppercase()),
        };
    }
    assert_eq!(readme, clap, "the README's flag table and the flags differ");
    for flag in settings().filter_map(|s| s.flag) {
        assert!(
            clap.contains(flag),
            "the catalog names {flag}, which clap does not know"
        );
    }
}

#[test]
fn readme_variables_are_the_catalog_variables() {
    let readme = set(first_column(&section("### Environment variables"))
        .into_iter()
        .filter(|name| name.starts_with("KOMUNIKATOR_")));
    let catalog = set(settings().filter_map(|s| s.variable));
    assert_eq!(readme, catalog, "the README's variable table and the catalog differ");
}

#[test]
fn readme_config_keys_are_the_catalog_keys() {
    let mut readme = BTreeSet::new();
    let mut table = String::new();
    let lines = section("### Config file");
    let example = lines
        .iter()
        .skip_while(|l| **l != "```toml")
        .skip(1)
        .take_while(|l| **l != "```");
    for line in example {
        let line = line.trim_start_matches("# ");
        if let Some(header) = line.strip_prefix('[') {
            table = format!("{}.", header.split(']').next().unwrap());
        } else if let Some((key, _)) = line.split_once(" = ") {
            readme.insert(format!("{table}{}", key.trim()));
        }
    }
    let catalog = set(settings().filter_map(|s| s.key));
    assert_eq!(readme, catalog, "the README's config example and the catalog differ");
}

#[test]
fn print_config_shows_every_key_and_reads_back() {
    let file = "rooms = [\"a\"]\n[colors]\nown = \"red\"\nothers = \"blue\"\nmention = \"1\"\nnotice = \"#000000\"\n";
    let sources = Sources {
        command_line: super::tests::cli(&[
            "--tls",
            "--cert",
            "c",
            "--key",
            "k",
            "--user",
            "u",
            "--password-file",
            "pw",
            "alice",
        ]),
        config_file: parse_file(file, Path::new("f")).unwrap(),
        ..Sources::default()
    };
    let text = render(&merge(sources, Mode::Tui).unwrap(), "f");
    for key in settings().filter_map(|s| s.key) {
        let short = key.strip_prefix("colors.").unwrap_or(key);
        let shown = text.lines().any(|l| l.starts_with(&format!("{short} = ")))
            || text.contains(&format!("# {key} is not set"))
            // Shown in the password line: a password file's content is never printed.
            || text.contains(&format!("# password: read from pw ({key}, "));
        assert!(shown, "--print-config does not show {key}:\n{text}");
    }
    parse_file(&text, Path::new("printed")).unwrap();
}
