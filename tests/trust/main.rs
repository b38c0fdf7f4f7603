//! "Who really said it", end to end through mosquitto with the example ACL
//! (`examples/mosquitto/acl`) and a login for each person: lines and
//! direct messages forged under another's name, or a signed line replayed
//! to another room or person, are marked `⚠ forged?` (`"auth":"forged"`);
//! a new key for a known name is warned about once and marked until
//! `/trust`, and the known keys survive a restart; a direct message between
//! komunikators is sealed on the wire and opened by its reader; paho-style
//! and `mosquitto_pub` messages still show, as unsigned; names that look
//! like a name already seen, or break the name rules, are flagged.
//!
//! Each file holds one part: [`forgery`] (forged and replayed lines, in line
//! mode and in the full-screen UI), [`keys`] (a changed key, `/trust`,
//! `/untrust`, the known-keys file), [`sealed`] (encrypted direct
//! messages), [`names`] (unsigned senders and lookalike names); [`tools`]
//! drives `mosquitto_pub` and `mosquitto_sub`.
//!
//! Skipped with a notice, as the other end-to-end tests are, where mosquitto
//! (or its tools, or tmux) is missing, unless KOMUNIKATOR_REQUIRE_MOSQUITTO=1.

use komunikator_testkit as testkit;

use testkit::records::record;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use serde_json::Value;
use testkit::{mosquitto_tool, Access, Broker, Komunikator, Lines, WAIT};

mod forgery;
mod keys;
mod names;
mod sealed;
mod tools;

use tools::{run_bounded, said};

/// The README's ACL for a shared broker, as shipped.
const EXAMPLE_ACL: &str = include_str!("../../examples/mosquitto/acl");

/// The logins every test has: one per person.
const PEOPLE: [&str; 3] = ["alice", "bob", "carol"];

/// The password of `login` (for `mosquitto_pub -P`; komunikator reads it
/// from [`Access::password_file`]).
fn password(login: &str) -> String {
    format!("{login}-secret")
}

/// mosquitto checking the example ACL (with `more_acl` after it) and the
/// logins of [`PEOPLE`] and `more_logins`, and the paths of its tools.
struct Net {
    broker: Broker,
    access: Access,
    mosquitto_pub: PathBuf,
    mosquitto_sub: PathBuf,
}

impl Net {
    /// `None` (after a notice) where mosquitto or its tools are missing and
    /// that is allowed.
    fn start(more_logins: &[&str], more_acl: &str) -> Option<Net> {
        let mosquitto_pub = mosquitto_tool("mosquitto_pub")?;
        let mosquitto_sub = mosquitto_tool("mosquitto_sub")?;
        let passwords: Vec<(String, String)> = PEOPLE
            .iter()
            .chain(more_logins)
            .map(|login| ((*login).to_owned(), password(login)))
            .collect();
        let logins: Vec<(&str, &str)> = passwords.iter().map(|(l, p)| (l.as_str(), p.as_str())).collect();
        let access = Access::new(&logins, &format!("{EXAMPLE_ACL}\n{more_acl}"))?;
        let broker = Broker::start_mosquitto_guarded(&access)?;
        Some(Net {
            broker,
            access,
            mosquitto_pub,
            mosquitto_sub,
        })
    }

    /// The example ACL and the three logins, nothing more.
    fn example() -> Option<Net> {
        Self::start(&[], "")
    }

    fn port(&self) -> String {
        self.broker.port.to_string()
    }

    /// The arguments that log `name` in (the chat name is the login name,
    /// as the ACL asks).
    fn login(&self, name: &str) -> Vec<String> {
        let file = self.access.password_file(name);
        vec![
            "--user".into(),
            name.into(),
            "--password-file".into(),
            file.to_str().expect("a UTF-8 path").into(),
        ]
    }

    /// `name` in line mode, logged in as `name`, with `data` as its data
    /// directory (its keys and known keys), or a fresh one.
    fn spawn(&self, name: &str, data: Option<&Path>, extra: &[&str]) -> Komunikator {
        let port = self.port();
        let login = self.login(name);
        let mut args = vec!["--no-tui", "-s", "127.0.0.1", "-p", &port];
        args.extend(login.iter().map(String::as_str));
        args.extend(extra);
        args.push(name);
        let data = data.map(Path::to_path_buf);
        Komunikator::spawn_custom(name, &args, move |command| {
            if let Some(data) = data {
                command.env("XDG_DATA_HOME", data);
            }
        })
    }

    /// [`Net::spawn`], once its subscriptions are acknowledged.
    fn join(&self, name: &str, data: Option<&Path>, extra: &[&str]) -> Komunikator {
        let mut client = self.spawn(name, data, extra);
        client.wait_ready();
        client
    }
}

/// The first `--json` record so far (from the start) that matches, waiting for it.
fn wait_record(client: &mut Komunikator, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
    match client
        .stdout
        .try_wait_for(WAIT, |l| record(l).is_some_and(|v| pred(&v)))
    {
        Some(line) => record(&line).expect("it parsed a moment ago"),
        None => {
            let transcript = client.transcript();
            panic!("{}: no record {what} within {WAIT:?}\n{transcript}", client.name)
        }
    }
}

/// `user`'s message with this text, as a `--json` record.
fn message(client: &mut Komunikator, user: &str, text: &str) -> Value {
    wait_record(client, &format!("of {user}'s message {text:?}"), |v| {
        v["event"] == "message" && v["user"] == user && v["text"] == text
    })
}

/// [`message`] in a room (`@NAME` for a direct conversation).
fn message_in(client: &mut Komunikator, room: &str, user: &str, text: &str) -> Value {
    wait_record(client, &format!("of {user}'s message {text:?} in {room}"), |v| {
        v["event"] == "message" && v["room"] == room && v["user"] == user && v["text"] == text
    })
}

/// Waits until `client` (`--json`) has seen `user` online: from then on it
/// knows `user`'s key.
fn wait_online(client: &mut Komunikator, user: &str) {
    wait_record(client, &format!("of {user} online"), |v| {
        v["event"] == "presence" && v["user"] == user && v["status"] == "online"
    });
}

/// Asserts a message record says it is signed by the sender's key and
/// carries no warning of any kind.
fn assert_signed(v: &Value) {
    assert_eq!(v["auth"], "signed", "{v}");
    for field in ["warning", "lookalike", "invalid_name"] {
        assert!(v.get(field).is_none(), "{field} in {v}");
    }
}

/// Asserts a message record is marked forged.
fn assert_forged(v: &Value) {
    assert_eq!(
        (&v["auth"], &v["warning"]),
        (&"forged".into(), &"⚠ forged?".into()),
        "{v}"
    );
}

/// The chat column of a full-screen UI's screen (left of the side panel)
/// as one line: a notice wrapped over rows reads whole.
fn unwrapped(screen: &str) -> String {
    let column = screen
        .lines()
        .map(|row| row.split('│').next().unwrap_or_default().trim());
    column.collect::<Vec<_>>().join(" ")
}
