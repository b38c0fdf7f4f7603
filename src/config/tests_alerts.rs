//! The bell (on unless `--no-bell`) and desktop notifications (`--notify`).

use std::path::Path;

use super::tests::{cli, env, file_error, FILE};
use super::*;
use crate::app::notify::Notifier;

fn settings(command_line: Layer, config_file: &str) -> Settings {
    let sources = Sources {
        command_line,
        environment: env(&[]),
        config_file: parse_file(config_file, Path::new(FILE)).unwrap(),
        default_log_file: None,
    };
    merge(sources, Mode::Tui).unwrap().settings
}

#[test]
fn the_bell_rings_unless_a_flag_or_the_config_file_says_not_to() {
    // (flags, config file, bell)
    let table: [(&[&str], &str, bool); 4] = [
        (&[], "", true),
        (&["--no-bell"], "", false),
        (&[], "bell = false", false),
        (&["--no-bell"], "bell = true", false),
    ];
    for (flags, config, want) in table {
        assert_eq!(settings(cli(flags), config).bell, want, "{flags:?} {config:?}");
    }
}

#[test]
fn notifications_are_off_unless_asked_for_and_the_flag_wins() {
    // (flags, config file, notifier)
    let table: [(&[&str], &str, Notifier); 5] = [
        (&[], "", Notifier::Off),
        (&["--notify", "osc9"], "", Notifier::Osc9),
        (&[], "notify = \"osc777\"", Notifier::Osc777),
        (&["--notify=off"], "notify = \"osc777\"", Notifier::Off),
        (&["--notify", "osc777"], "notify = \"osc9\"", Notifier::Osc777),
    ];
    for (flags, config, want) in table {
        assert_eq!(settings(cli(flags), config).notify, want, "{flags:?} {config:?}");
    }
    assert!(file_error("notify = \"beep\"").contains("osc9, osc777 or off"));
}
