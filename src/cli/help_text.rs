//! What `--help` says after the flags: examples, the full-screen keys (from
//! the keymap, so they never disagree with the UI) and, in the long form,
//! the environment variables.

use crate::app::keymap;
use crate::config::variables;

const EXAMPLES: &str = "Examples:
  komunikator alice
  komunikator -s broker.example.org -r rust -r random bob
  komunikator -s mqtts://broker.example.org --user bob bob
  komunikator --serve -p 1884 alice
  printf 'hello\\n' | komunikator --no-tui carol
  komunikator --man | man -l -
";

/// `-h`: the examples, and where the keys are.
pub(super) fn short() -> String {
    format!("{EXAMPLES}\nKeys: F1 in the chat shows every key, command and mark; --help lists the keys.")
}

/// `--help`: the examples, the keys, then the environment variables.
pub(super) fn long() -> String {
    let mut text = format!("{EXAMPLES}\nKeys (full-screen UI; F1 shows them with every command):\n");
    for row in keymap::documented() {
        text += &format!("  {:<20} {}\n", row.keys, row.brief);
    }
    text += "\nEnvironment variables (weaker than flags, stronger than the config file):\n";
    for (name, what) in variables() {
        text += &format!("  {name:<27} {what}\n");
    }
    text += "  RUST_LOG                    log level, e.g. debug (default: warn,komunikator=info)\n";
    text
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::super::Cli;
    use crate::app::keymap;

    #[test]
    fn long_help_has_examples_then_every_key_then_the_variables() {
        let help = Cli::command().render_long_help().to_string();
        let examples = help.find("Examples:\n  komunikator alice").expect("examples");
        let keys = help.find("\nKeys (full-screen UI").expect("keys");
        let variables = help.find("\nEnvironment variables").expect("variables");
        assert!(examples < keys && keys < variables, "{help}");
        for row in keymap::documented() {
            let line = format!("  {:<20} {}", row.keys, row.brief);
            assert!(help[keys..variables].contains(&line), "{line:?} missing:\n{help}");
        }
    }

    #[test]
    fn short_help_has_the_examples_and_says_where_the_keys_are() {
        let help = Cli::command().render_help().to_string();
        assert!(help.contains("Examples:\n  komunikator alice"), "{help}");
        assert!(help.contains("Keys: F1 in the chat"), "{help}");
    }
}
