//! What the user typed, as a value: a chat line or a `/command`.

use crate::protocol::{validate_room, validate_username, NameError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Say(String),
    Me(String),
    Msg { user: String, text: String },
    Join(String),
    Part(Option<String>),
    Who,
    Clear,
    Help,
    Quit(Option<String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandError {
    Empty,
    Unknown(String),
    Usage(&'static CommandSpec),
    BadName(NameError),
}

impl std::fmt::Display for CommandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CommandError::Empty => write!(f, "nothing to send"),
            CommandError::Unknown(name) => write!(
                f,
                "unknown command /{}: type /help for the list",
                crate::protocol::sanitize::name(name)
            ),
            CommandError::Usage(spec) => write!(f, "usage: {}", spec.usage),
            CommandError::BadName(err) => write!(f, "{err}"),
        }
    }
}

pub struct CommandSpec {
    pub name: &'static str,
    pub usage: &'static str,
    pub about: &'static str,
}

impl std::fmt::Debug for CommandSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

impl PartialEq for CommandSpec {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for CommandSpec {}

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "join",
        usage: "/join ROOM",
        about: "join a room and make it active",
    },
    CommandSpec {
        name: "part",
        usage: "/part [ROOM]",
        about: "leave a room (default: the active one)",
    },
    CommandSpec {
        name: "me",
        usage: "/me TEXT",
        about: "send an action: * you TEXT",
    },
    CommandSpec {
        name: "msg",
        usage: "/msg USER TEXT",
        about: "send a direct message",
    },
    CommandSpec {
        name: "who",
        usage: "/who",
        about: "list people and their status",
    },
    CommandSpec {
        name: "clear",
        usage: "/clear",
        about: "clear the active room's scrollback",
    },
    CommandSpec {
        name: "help",
        usage: "/help",
        about: "show keys and commands",
    },
    CommandSpec {
        name: "quit",
        usage: "/quit [MESSAGE]",
        about: "say MESSAGE (if any), go offline and exit",
    },
];

fn spec(name: &str) -> &'static CommandSpec {
    COMMANDS
        .iter()
        .find(|c| c.name == name)
        .expect("every command has a spec")
}

fn nonempty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

pub fn parse(line: &str) -> Result<Command, CommandError> {
    let Some(rest) = line.strip_prefix('/') else {
        return if line.trim().is_empty() {
            Err(CommandError::Empty)
        } else {
            Ok(Command::Say(line.to_owned()))
        };
    };
    // `//text` sends `/text` as it is, as in irssi.
    if rest.starts_with('/') {
        return Ok(Command::Say(rest.to_owned()));
    }
    let (name, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let args = args.trim();
    let usage = |name| Err(CommandError::Usage(spec(name)));
    match name {
        "join" | "j" => match args.split_whitespace().collect::<Vec<_>>()[..] {
            [room] => {
                let room = room.trim_start_matches('#');
                validate_room(room).map_err(CommandError::BadName)?;
                Ok(Command::Join(room.to_owned()))
            }
            _ => usage("join"),
        },
        "part" | "leave" => match args.split_whitespace().collect::<Vec<_>>()[..] {
            [] => Ok(Command::Part(None)),
            [room] => {
                let room = room.trim_start_matches('#');
                validate_room(room).map_err(CommandError::BadName)?;
                Ok(Command::Part(Some(room.to_owned())))
            }
            _ => usage("part"),
        },
        "me" => nonempty(args).map(Command::Me).map_or_else(|| usage("me"), Ok),
        "msg" | "query" => match args.split_once(char::is_whitespace) {
            Some((user, text)) if !text.trim().is_empty() => {
                validate_username(user).map_err(CommandError::BadName)?;
                Ok(Command::Msg {
                    user: user.to_owned(),
                    text: text.trim().to_owned(),
                })
            }
            _ => usage("msg"),
        },
        "who" | "names" if args.is_empty() => Ok(Command::Who),
        "clear" if args.is_empty() => Ok(Command::Clear),
        "help" => Ok(Command::Help),
        "quit" | "exit" => Ok(Command::Quit(nonempty(args))),
        "who" | "names" => usage("who"),
        "clear" => usage("clear"),
        other => Err(CommandError::Unknown(other.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let ok = [
            ("hello", Command::Say("hello".into())),
            ("  spaced  ", Command::Say("  spaced  ".into())),
            ("//not a command", Command::Say("/not a command".into())),
            ("/me waves", Command::Me("waves".into())),
            ("/join rust", Command::Join("rust".into())),
            ("/j #łódź", Command::Join("łódź".into())),
            ("/part", Command::Part(None)),
            ("/part rust", Command::Part(Some("rust".into()))),
            (
                "/msg bob hi there",
                Command::Msg {
                    user: "bob".into(),
                    text: "hi there".into(),
                },
            ),
            ("/who", Command::Who),
            ("/clear", Command::Clear),
            ("/help", Command::Help),
            ("/quit", Command::Quit(None)),
            ("/quit see you", Command::Quit(Some("see you".into()))),
        ];
        for (line, want) in ok {
            assert_eq!(parse(line), Ok(want), "{line}");
        }
    }

    #[test]
    fn errors_name_the_problem() {
        assert_eq!(parse(""), Err(CommandError::Empty));
        assert_eq!(parse("   "), Err(CommandError::Empty));
        assert_eq!(parse("/frobnicate"), Err(CommandError::Unknown("frobnicate".into())));
        assert_eq!(parse("/join"), Err(CommandError::Usage(spec("join"))));
        assert_eq!(parse("/join a b"), Err(CommandError::Usage(spec("join"))));
        assert_eq!(parse("/me"), Err(CommandError::Usage(spec("me"))));
        assert_eq!(parse("/msg bob"), Err(CommandError::Usage(spec("msg"))));
        assert_eq!(parse("/who x"), Err(CommandError::Usage(spec("who"))));
        for bad in ["/join a/b", "/join a+", "/join #", "/part x#y", "/msg a/b hi"] {
            let err = parse(bad).unwrap_err();
            assert!(matches!(err, CommandError::BadName(_)), "{bad}: {err:?}");
            assert!(err.to_string().contains("the rule"), "{err}");
        }
        let shown = parse("/\x1b[2J").unwrap_err().to_string();
        assert!(!shown.contains('\x1b'), "{shown}");
    }
}
