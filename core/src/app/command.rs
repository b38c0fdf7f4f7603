//! What the user typed, as a value: a chat line or a `/command`.

use crate::protocol::{validate_room, validate_username, NameError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Say(String),
    Me(String),
    Msg {
        user: String,
        text: String,
    },
    Join(String),
    Part(Option<String>),
    /// `/who` (the active room), `/who ROOM`, `/who *` (everyone).
    Who(Option<String>),
    Away(Option<String>),
    Back,
    Clear,
    /// `/search TEXT` (the active room), `/search -a TEXT` (every room).
    Search {
        text: String,
        all: bool,
    },
    /// `/forget`: delete the active room's history.
    Forget,
    /// `/whois NAME`: their key's fingerprint, status and rooms.
    Whois(String),
    /// `/trust NAME`: accept NAME's new key (or trust it again).
    Trust(String),
    /// `/untrust NAME`: stop trusting NAME's key.
    Untrust(String),
    Help,
    Quit(Option<String>),
    /// `/topic` shows the active room's topic, `/topic TEXT` sets it,
    /// `/topic --clear` clears it.
    Topic(Option<String>),
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

/// What a command takes after its name, and the command it makes of it.
#[derive(Clone, Copy)]
pub enum Args {
    /// Nothing: anything after the name is a usage error.
    Nothing(fn() -> Command),
    /// Whatever follows is ignored.
    Ignored(fn() -> Command),
    /// Exactly one room name (a leading `#` is dropped).
    Room(fn(String) -> Command),
    /// At most one room name.
    OptionalRoom(fn(Option<String>) -> Command),
    /// Some text (trimmed, not empty).
    Text(fn(String) -> Command),
    /// Text, or nothing.
    OptionalText(fn(Option<String>) -> Command),
    /// A user name, then some text.
    UserAndText(fn(String, String) -> Command),
    /// Exactly one user name.
    User(fn(String) -> Command),
}

pub struct CommandSpec {
    pub name: &'static str,
    /// Other names that run the same command (irssi's and weechat's).
    pub aliases: &'static [&'static str],
    pub args: Args,
    pub usage: &'static str,
    /// What it does, in a few words (the help overlay and line mode's /help).
    pub about: &'static str,
    /// What it does, in full (the README).
    pub full: &'static str,
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

fn direct_message(user: String, text: String) -> Command {
    Command::Msg { user, text }
}

/// `-a TEXT` or `--all TEXT` searches every room.
fn search(text: String) -> Command {
    for flag in ["-a ", "--all "] {
        if let Some(rest) = text.strip_prefix(flag) {
            return Command::Search {
                text: rest.trim().to_owned(),
                all: true,
            };
        }
    }
    Command::Search { text, all: false }
}

/// Every command, in the order the help lists them.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "join",
        aliases: &["j"],
        args: Args::Room(Command::Join),
        usage: "/join ROOM",
        about: "join a room and make it active",
        full: "join a room (subscribe) and make it active",
    },
    CommandSpec {
        name: "part",
        aliases: &["leave"],
        args: Args::OptionalRoom(Command::Part),
        usage: "/part [ROOM]",
        about: "leave a room (default: the active one)",
        full: "leave a room, default the active one",
    },
    CommandSpec {
        name: "me",
        aliases: &[],
        args: Args::Text(Command::Me),
        usage: "/me TEXT",
        about: "send an action: * you TEXT",
        full: "an action: shows as `* alice TEXT`",
    },
    CommandSpec {
        name: "msg",
        aliases: &["query"],
        args: Args::UserAndText(direct_message),
        usage: "/msg USER TEXT",
        about: "send a direct message",
        full: "a direct message (opens an `@USER` conversation)",
    },
    CommandSpec {
        name: "who",
        aliases: &["names"],
        args: Args::OptionalText(Command::Who),
        usage: "/who [ROOM]",
        about: "who is here (/who * for everyone)",
        full: "who is in the active room (or ROOM), with status and away message; `/who *` lists everyone seen, with last seen",
    },
    CommandSpec {
        name: "away",
        aliases: &[],
        args: Args::OptionalText(Command::Away),
        usage: "/away [MESSAGE]",
        about: "mark yourself away",
        full: "mark yourself away, with MESSAGE if given (others see ◐ and the message)",
    },
    CommandSpec {
        name: "back",
        aliases: &[],
        args: Args::Nothing(|| Command::Back),
        usage: "/back",
        about: "no longer away",
        full: "no longer away",
    },
    CommandSpec {
        name: "clear",
        aliases: &[],
        args: Args::Nothing(|| Command::Clear),
        usage: "/clear",
        about: "clear the active room's scrollback",
        full: "clear the active room's scrollback",
    },
    CommandSpec {
        name: "search",
        aliases: &["grep"],
        args: Args::Text(search),
        usage: "/search [-a] TEXT",
        about: "search the history (-a: every room)",
        full: "search the active room's history for messages with every word of TEXT (`-a`: every room); Up/Down pick a hit, Enter shows it among the messages around it, Esc closes",
    },
    CommandSpec {
        name: "forget",
        aliases: &[],
        args: Args::Nothing(|| Command::Forget),
        usage: "/forget",
        about: "delete the active room's history",
        full: "delete the active room's history, on disk and on screen",
    },
    CommandSpec {
        name: "whois",
        aliases: &[],
        args: Args::User(Command::Whois),
        usage: "/whois USER",
        about: "USER's key fingerprint, status, rooms",
        full: "USER's key fingerprint (six groups of five digits, to compare by voice), whether it is trusted, whether direct messages to USER are encrypted, status and rooms",
    },
    CommandSpec {
        name: "trust",
        aliases: &[],
        args: Args::User(Command::Trust),
        usage: "/trust USER",
        about: "accept USER's new key",
        full: "accept the new key USER announced (after comparing fingerprints with /whois), or trust USER's key again after /untrust",
    },
    CommandSpec {
        name: "untrust",
        aliases: &[],
        args: Args::User(Command::Untrust),
        usage: "/untrust USER",
        about: "stop trusting USER's key",
        full: "stop trusting USER's key: USER's messages are marked `⚠ untrusted key` and direct messages to USER are no longer encrypted to it",
    },
    CommandSpec {
        name: "help",
        aliases: &[],
        args: Args::Ignored(|| Command::Help),
        usage: "/help",
        about: "show keys, commands and marks",
        full: "keys, commands and what the marks on messages mean",
    },
    CommandSpec {
        name: "quit",
        aliases: &["exit"],
        args: Args::OptionalText(Command::Quit),
        usage: "/quit [MESSAGE]",
        about: "go offline (others see MESSAGE) and exit",
        full: "go offline and exit; others see `alice left (MESSAGE)` in the rooms you share",
    },
    CommandSpec {
        name: "topic",
        aliases: &[],
        args: Args::OptionalText(Command::Topic),
        usage: "/topic [TEXT]",
        about: "show or set the room's topic",
        full: "show the active room's topic, or set it to TEXT for everyone (kept by the broker); `/topic --clear` clears it",
    },
];

/// The command with this name or alias.
pub fn find(name: &str) -> Option<&'static CommandSpec> {
    COMMANDS.iter().find(|c| c.name == name || c.aliases.contains(&name))
}

fn nonempty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

fn room(word: &str) -> Result<String, CommandError> {
    let room = word.trim_start_matches('#');
    validate_room(room).map_err(CommandError::BadName)?;
    Ok(room.to_owned())
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
    let spec = find(name).ok_or_else(|| CommandError::Unknown(name.to_owned()))?;
    parse_args(spec, args.trim())
}

/// The command `spec` makes of `args` (trimmed), or why it cannot.
fn parse_args(spec: &'static CommandSpec, args: &str) -> Result<Command, CommandError> {
    let usage = Err(CommandError::Usage(spec));
    let words: Vec<&str> = args.split_whitespace().collect();
    match (spec.args, &words[..]) {
        (Args::Nothing(make), []) | (Args::Ignored(make), _) => Ok(make()),
        (Args::Room(make), [word]) => Ok(make(room(word)?)),
        (Args::OptionalRoom(make), []) => Ok(make(None)),
        (Args::OptionalRoom(make), [word]) => Ok(make(Some(room(word)?))),
        (Args::Text(make), _) => nonempty(args).map(make).map_or(usage, Ok),
        (Args::OptionalText(make), _) => Ok(make(nonempty(args))),
        (Args::UserAndText(make), _) => match args.split_once(char::is_whitespace) {
            Some((user, text)) if !text.trim().is_empty() => {
                validate_username(user).map_err(CommandError::BadName)?;
                Ok(make(user.to_owned(), text.trim().to_owned()))
            }
            _ => usage,
        },
        (Args::User(make), [word]) => {
            validate_username(word).map_err(CommandError::BadName)?;
            Ok(make((*word).to_owned()))
        }
        (Args::Nothing(_) | Args::Room(_) | Args::OptionalRoom(_) | Args::User(_), _) => usage,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(name: &str) -> Result<Command, CommandError> {
        Err(CommandError::Usage(find(name).unwrap()))
    }

    fn say(text: &str) -> Result<Command, CommandError> {
        Ok(Command::Say(text.into()))
    }

    #[test]
    fn table() {
        let msg = |user: &str, text: &str| {
            Ok(Command::Msg {
                user: user.into(),
                text: text.into(),
            })
        };
        let cases = [
            ("hello", say("hello")),
            ("  spaced  ", say("  spaced  ")),
            ("//not a command", say("/not a command")),
            ("", Err(CommandError::Empty)),
            ("   ", Err(CommandError::Empty)),
            ("/frobnicate", Err(CommandError::Unknown("frobnicate".into()))),
            ("/", Err(CommandError::Unknown("".into()))),
            ("/JOIN rust", Err(CommandError::Unknown("JOIN".into()))),
            ("/me waves", Ok(Command::Me("waves".into()))),
            ("/me   waves  ", Ok(Command::Me("waves".into()))),
            ("/me", usage("me")),
            ("/me   ", usage("me")),
            ("/join rust", Ok(Command::Join("rust".into()))),
            ("/join  #rust ", Ok(Command::Join("rust".into()))),
            ("/j #łódź", Ok(Command::Join("łódź".into()))),
            ("/join", usage("join")),
            ("/join a b", usage("join")),
            ("/part", Ok(Command::Part(None))),
            ("/part rust", Ok(Command::Part(Some("rust".into())))),
            ("/leave #rust", Ok(Command::Part(Some("rust".into())))),
            ("/part a b", usage("part")),
            ("/msg bob hi there", msg("bob", "hi there")),
            ("/query bob  hi ", msg("bob", "hi")),
            ("/msg bob", usage("msg")),
            ("/msg bob   ", usage("msg")),
            ("/msg", usage("msg")),
            ("/who", Ok(Command::Who(None))),
            ("/names #rust", Ok(Command::Who(Some("#rust".into())))),
            ("/who *", Ok(Command::Who(Some("*".into())))),
            ("/away", Ok(Command::Away(None))),
            (
                "/away lunch, back at 2",
                Ok(Command::Away(Some("lunch, back at 2".into()))),
            ),
            ("/back", Ok(Command::Back)),
            ("/back x", usage("back")),
            ("/clear", Ok(Command::Clear)),
            ("/forget", Ok(Command::Forget)),
            ("/whois bob", Ok(Command::Whois("bob".into()))),
            ("/trust  bob ", Ok(Command::Trust("bob".into()))),
            ("/untrust bob", Ok(Command::Untrust("bob".into()))),
            ("/whois", usage("whois")),
            ("/trust a b", usage("trust")),
            (
                "/search hello world",
                Ok(Command::Search {
                    text: "hello world".into(),
                    all: false,
                }),
            ),
            (
                "/search -a  hello",
                Ok(Command::Search {
                    text: "hello".into(),
                    all: true,
                }),
            ),
            (
                "/grep --all x",
                Ok(Command::Search {
                    text: "x".into(),
                    all: true,
                }),
            ),
            ("/search", usage("search")),
            ("/clear all", usage("clear")),
            ("/help", Ok(Command::Help)),
            ("/help me", Ok(Command::Help)),
            ("/quit", Ok(Command::Quit(None))),
            ("/quit see you", Ok(Command::Quit(Some("see you".into())))),
            ("/exit  bye ", Ok(Command::Quit(Some("bye".into())))),
            ("/topic", Ok(Command::Topic(None))),
            (
                "/topic  Release on Friday ",
                Ok(Command::Topic(Some("Release on Friday".into()))),
            ),
            ("/topic --clear", Ok(Command::Topic(Some("--clear".into())))),
        ];
        for (line, want) in cases {
            assert_eq!(parse(line), want, "{line:?}");
        }
    }

    #[test]
    fn bad_names_are_refused_with_the_rule() {
        for bad in ["/join a/b", "/join a+", "/join #", "/part x#y", "/msg a/b hi"] {
            let err = parse(bad).unwrap_err();
            assert!(matches!(err, CommandError::BadName(_)), "{bad}: {err:?}");
            assert!(err.to_string().contains("the rule"), "{err}");
        }
        let shown = parse("/\x1b[2J").unwrap_err().to_string();
        assert!(!shown.contains('\x1b'), "{shown}");
    }

    #[test]
    fn names_and_aliases_are_unique_and_usage_starts_with_the_name() {
        let mut seen = std::collections::BTreeSet::new();
        for spec in COMMANDS {
            for name in std::iter::once(&spec.name).chain(spec.aliases) {
                assert!(seen.insert(*name), "/{name} twice");
            }
            assert!(spec.usage.starts_with(&format!("/{}", spec.name)), "{}", spec.usage);
        }
    }
}
