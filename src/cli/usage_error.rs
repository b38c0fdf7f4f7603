//! A command-line error as one line, built from clap's typed error (its
//! kind and context values) rather than from its rendered text, so that a
//! change in clap's layout cannot garble it. The wording is clap's own.

use clap::error::{ContextKind, ContextValue, Error, ErrorKind};

/// The error, its tips, and a pointer to `--help`, on one line.
pub fn one_line(error: &Error) -> String {
    let mut parts = vec![headline(error)];
    for (kind, what) in [
        (ContextKind::SuggestedArg, "argument"),
        (ContextKind::SuggestedValue, "value"),
    ] {
        if let Some(possible) = error.get(kind) {
            parts.push(did_you_mean(what, possible));
        }
    }
    if let Some(ContextValue::StyledStrs(tips)) = error.get(ContextKind::Suggested) {
        parts.extend(tips.iter().map(|tip| format!("tip: {tip}")));
    }
    format!("{} (see --help)", parts.join(" "))
}

fn text(error: &Error, kind: ContextKind) -> Option<&str> {
    match error.get(kind) {
        Some(ContextValue::String(s)) => Some(s),
        _ => None,
    }
}

/// What went wrong, as clap words it for each kind this program can meet;
/// clap's description of the kind for the rest.
fn headline(error: &Error) -> String {
    let arg = text(error, ContextKind::InvalidArg);
    let value = text(error, ContextKind::InvalidValue);
    let specific = match (error.kind(), arg, value) {
        (ErrorKind::ValueValidation, Some(arg), Some(value)) => {
            let mut line = format!("invalid value '{value}' for '{arg}'");
            if let Some(why) = std::error::Error::source(error) {
                line += &format!(": {why}");
            }
            Some(line)
        }
        (ErrorKind::InvalidValue, Some(arg), Some("")) => {
            Some(format!("a value is required for '{arg}' but none was supplied"))
        }
        (ErrorKind::InvalidValue, Some(arg), Some(value)) => {
            let mut line = format!("invalid value '{value}' for '{arg}'");
            if let Some(ContextValue::Strings(valid)) = error.get(ContextKind::ValidValue) {
                if !valid.is_empty() {
                    line += &format!(" [possible values: {}]", valid.join(", "));
                }
            }
            Some(line)
        }
        (ErrorKind::TooManyValues, Some(arg), Some(value)) => Some(format!(
            "unexpected value '{value}' for '{arg}' found; no more were expected"
        )),
        (ErrorKind::UnknownArgument, Some(arg), _) => Some(format!("unexpected argument '{arg}' found")),
        (ErrorKind::ArgumentConflict, Some(arg), _) => Some(conflict(error, arg)),
        (ErrorKind::MissingRequiredArgument, ..) => match error.get(ContextKind::InvalidArg) {
            Some(ContextValue::Strings(missing)) => Some(format!(
                "the following required arguments were not provided: {}",
                missing.join(" ")
            )),
            _ => None,
        },
        (ErrorKind::NoEquals, Some(arg), _) => Some(format!("equal sign is needed when assigning values to '{arg}'")),
        _ => None,
    };
    specific
        .or_else(|| error.kind().as_str().map(str::to_owned))
        .unwrap_or_else(|| "unknown cause".to_owned())
}

fn conflict(error: &Error, arg: &str) -> String {
    match error.get(ContextKind::PriorArg) {
        Some(ContextValue::String(prior)) if prior == arg => {
            format!("the argument '{arg}' cannot be used multiple times")
        }
        Some(ContextValue::String(prior)) => format!("the argument '{arg}' cannot be used with '{prior}'"),
        Some(ContextValue::Strings(prior)) => {
            format!("the argument '{arg}' cannot be used with: {}", prior.join(" "))
        }
        _ => format!("the argument '{arg}' cannot be used with one or more of the other specified arguments"),
    }
}

fn did_you_mean(what: &str, possible: &ContextValue) -> String {
    match possible {
        ContextValue::Strings(all) if all.len() != 1 => {
            let quoted: Vec<String> = all.iter().map(|p| format!("'{p}'")).collect();
            format!("tip: some similar {what}s exist: {}", quoted.join(", "))
        }
        ContextValue::Strings(one) => format!("tip: a similar {what} exists: '{}'", one[0]),
        ContextValue::String(one) => format!("tip: a similar {what} exists: '{one}'"),
        _ => "tip:".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::one_line;
    use crate::cli::Cli;

    /// The line built from clap's typed error says what clap prints (its
    /// rendered text is used here only as the reference), minus the usage
    /// block and help pointer, on one line.
    #[test]
    fn same_words_as_clap() {
        let cases: &[&[&str]] = &[
            &["-p", "0", "bob"],
            &["--qos", "3", "bob"],
            &["--bind", "127.0.0.1", "bob"],
            &["--serve", "-s", "example.org", "bob"],
            &["--serve", "--bind", "nowhere", "bob"],
            &["--no-tuii", "bob"],
            &["--port"],
            &["bob", "carol"],
            &["--user", "a", "--user", "b", "bob"],
        ];
        Cli::command().debug_assert();
        for args in cases {
            let err = Cli::try_parse_from(std::iter::once(&"komunikator").chain(args.iter())).unwrap_err();
            let rendered = err.to_string();
            let body: Vec<&str> = rendered
                .lines()
                .map(str::trim)
                .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
                .filter(|l| !l.is_empty())
                .collect();
            let clap_text = body.join(" ");
            let want = format!("{} (see --help)", clap_text.strip_prefix("error: ").unwrap());
            assert_eq!(one_line(&err), want, "{args:?}");
        }
    }
}
