//! Whose key is whose: trust on first use, like ssh's `known_hosts`.
//!
//! The first key a signed presence announces for a name is remembered and
//! trusted; later messages signed by it show as that person. Anything else
//! under a name with a remembered key is marked. A new key for a known name
//! is held apart, warned about once, and marked until `/trust NAME`. The
//! list is a plain text file (one line per name) the user may edit; the
//! state says what it should hold and the front end writes it.

use std::collections::{BTreeMap, BTreeSet};

use crate::protocol::signature::{fingerprint, key_from_base64, key_to_base64, Check, Verifier};

/// Names remembered at most (a flood of self-signed presences stops here).
pub const MAX_KNOWN: usize = 10_000;
/// New keys held for known names at most.
const MAX_PENDING: usize = 1_000;

/// What a message's signature says about its sender.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Auth {
    /// No key is known for the name, and it is not signed (paho,
    /// mosquitto_pub, older clients), or no sender is named.
    #[default]
    Unsigned,
    /// Signed by the key remembered for the name.
    Signed,
    /// Signed, but no key is known for the name yet: nothing to check against.
    UnknownKey,
    /// The name has a key, and this was not signed by it (or not for this topic).
    Forged,
    /// Signed by a new key for a known name, not accepted yet (`/trust`).
    NewKey,
    /// The name's key was marked untrusted (`/untrust`).
    Untrusted,
    /// Signed, under a name with a key, but not checked: more signed
    /// messages came in than the client checks in a second (a flood).
    Unchecked,
}

impl Auth {
    /// The mark shown with the message; `None` for what needs none.
    pub fn mark(self) -> Option<&'static str> {
        match self {
            Auth::Unsigned | Auth::Signed | Auth::UnknownKey => None,
            Auth::Forged => Some("⚠ forged?"),
            Auth::NewKey => Some("⚠ new key"),
            Auth::Untrusted => Some("⚠ untrusted key"),
            Auth::Unchecked => Some("⚠ unchecked"),
        }
    }

    /// The word `--json` carries.
    pub fn as_str(self) -> &'static str {
        match self {
            Auth::Unsigned => "unsigned",
            Auth::Signed => "signed",
            Auth::UnknownKey => "unknown-key",
            Auth::Forged => "forged",
            Auth::NewKey => "new-key",
            Auth::Untrusted => "untrusted",
            Auth::Unchecked => "unchecked",
        }
    }

    /// A message that may not speak for its sender: no mention, no bell.
    pub fn is_suspect(self) -> bool {
        self.mark().is_some()
    }
}

/// A name's remembered key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known {
    pub key: [u8; 32],
    verifier: Verifier,
    /// Its box key for sealed direct messages, once announced.
    pub boxing: Option<[u8; 32]>,
    pub trusted: bool,
}

/// What a presence's own signature says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PresenceAuth {
    /// Signed by the remembered (or, first seen, now remembered) key.
    Signed {
        first_use: bool,
    },
    /// Signed by a key other than the remembered one: warn (once).
    NewKey {
        first_warning: bool,
    },
    /// Not signed by the name's key (unsigned, or a bad signature): ignore it.
    Forged,
    /// No key is known for the name and none is announced.
    Unsigned,
    Untrusted,
}

#[derive(Debug, Default)]
pub struct KeyRing {
    known: BTreeMap<String, Known>,
    /// New keys seen for known names, until accepted.
    pending: BTreeMap<String, Known>,
    /// (name, new key) already warned about.
    warned: BTreeSet<(String, [u8; 32])>,
    /// The list changed since the front end last wrote it.
    changed: bool,
}

impl KeyRing {
    /// Remembers our own key: whatever claims our name must be signed by it.
    pub fn remember_own(&mut self, me: &str, key: [u8; 32], boxing: [u8; 32]) {
        if let Some(known) = Known::new(key, Some(boxing), true) {
            if self.known.get(me).map(|k| k.key) != Some(key) {
                self.changed = true;
            }
            self.known.insert(me.to_owned(), known);
        }
    }

    pub fn get(&self, name: &str) -> Option<&Known> {
        self.known.get(name)
    }

    pub fn pending(&self, name: &str) -> Option<&Known> {
        self.pending.get(name)
    }

    /// The box key a direct message to `name` is sealed to: the trusted
    /// one only (while a new key waits, only the old key's holder reads it).
    pub fn box_key(&self, name: &str) -> Option<[u8; 32]> {
        self.known.get(name).filter(|k| k.trusted).and_then(|k| k.boxing)
    }

    /// Whether checking this payload for `user` means checking a signature
    /// (the costly part): the name has a key and the payload is signed.
    pub fn needs_signature_check(&self, user: &str, payload: &[u8]) -> bool {
        self.known.contains_key(user) && crate::protocol::signature::is_signed(payload)
    }

    /// Checks a chat message or direct message claiming to be from `user`.
    pub fn check_chat(&self, user: &str, topic: &str, payload: &[u8]) -> Auth {
        let Some(known) = self.known.get(user) else {
            return if crate::protocol::signature::is_signed(payload) {
                Auth::UnknownKey
            } else {
                Auth::Unsigned
            };
        };
        match known.verifier.check(topic, payload) {
            Check::Valid if !known.trusted => Auth::Untrusted,
            // The remembered key still speaks for the name, new key or not.
            Check::Valid => Auth::Signed,
            Check::Invalid | Check::Unsigned => match self.pending.get(user) {
                Some(new) if new.verifier.check(topic, payload) == Check::Valid => Auth::NewKey,
                _ => Auth::Forged,
            },
        }
    }

    /// Checks a presence for `user` that announces `key` (and `boxing`);
    /// remembers a first key, holds a new one apart.
    pub fn check_presence(
        &mut self,
        user: &str,
        topic: &str,
        payload: &[u8],
        key: Option<[u8; 32]>,
        boxing: Option<[u8; 32]>,
    ) -> PresenceAuth {
        let announced = key
            .and_then(|key| Known::new(key, boxing, true))
            .filter(|k| k.verifier.check(topic, payload) == Check::Valid);
        let Some(known) = self.known.get_mut(user) else {
            let Some(first) = announced else {
                return PresenceAuth::Unsigned;
            };
            if self.known.len() >= MAX_KNOWN {
                return PresenceAuth::Unsigned;
            }
            self.known.insert(user.to_owned(), first);
            self.changed = true;
            return PresenceAuth::Signed { first_use: true };
        };
        match announced {
            Some(new) if new.key == known.key => {
                if new.boxing.is_some() && known.boxing != new.boxing {
                    known.boxing = new.boxing;
                    self.changed = true;
                }
                if known.trusted {
                    PresenceAuth::Signed { first_use: false }
                } else {
                    PresenceAuth::Untrusted
                }
            }
            Some(new) => {
                let first_warning = self.warned.len() < MAX_PENDING && self.warned.insert((user.to_owned(), new.key));
                if self.pending.len() < MAX_PENDING || self.pending.contains_key(user) {
                    self.pending.insert(user.to_owned(), Known { trusted: false, ..new });
                }
                PresenceAuth::NewKey { first_warning }
            }
            None => PresenceAuth::Forged,
        }
    }

    /// `/trust NAME`: accepts the new key seen for the name, or trusts its
    /// key again after `/untrust`. `Err` says why nothing changed.
    pub fn trust(&mut self, name: &str) -> Result<[u8; 32], String> {
        if let Some(mut new) = self.pending.remove(name) {
            new.trusted = true;
            let key = new.key;
            self.known.insert(name.to_owned(), new);
            self.changed = true;
            return Ok(key);
        }
        match self.known.get_mut(name) {
            Some(known) if known.trusted => Err(format!("{name}'s key is trusted already")),
            Some(known) => {
                known.trusted = true;
                self.changed = true;
                Ok(known.key)
            }
            None => Err(format!("no key is known for {name} (none seen yet)")),
        }
    }

    /// `/untrust NAME`: marks the name's key untrusted (its messages are
    /// marked) and drops a new key waiting for it.
    pub fn untrust(&mut self, name: &str) -> Result<[u8; 32], String> {
        let dropped = self.pending.remove(name);
        match self.known.get_mut(name) {
            Some(known) if known.trusted || dropped.is_some() => {
                known.trusted = false;
                self.changed = true;
                Ok(known.key)
            }
            Some(_) => Err(format!("{name}'s key is untrusted already")),
            None => Err(format!("no key is known for {name}")),
        }
    }

    /// True once, after each change: the file is to be written again.
    pub fn take_changed(&mut self) -> bool {
        std::mem::take(&mut self.changed)
    }

    /// The list as its file holds it.
    pub fn to_file(&self, network: &str) -> String {
        let mut names: Vec<&String> = self.known.keys().collect();
        names.sort();
        let mut text = format!(
            "# komunikator: the keys of the people you chat with on {network}.\n\
             # One line per name: NAME KEY [box:KEY] [untrusted]. The first key seen for a\n\
             # name is trusted (like ssh); `/trust NAME` accepts a changed key, `/untrust NAME`\n\
             # stops trusting one. Delete a line to forget a name's key.\n"
        );
        for name in names {
            let known = &self.known[name];
            text.push_str(name);
            text.push(' ');
            text.push_str(&key_to_base64(&known.key));
            if let Some(boxing) = &known.boxing {
                text.push_str(" box:");
                text.push_str(&key_to_base64(boxing));
            }
            if !known.trusted {
                text.push_str(" untrusted");
            }
            text.push('\n');
        }
        text
    }

    /// Reads the file; lines it cannot read are skipped and described.
    pub fn load(&mut self, text: &str) -> Vec<String> {
        let mut problems = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            match parse_line(line) {
                Some((name, known)) if self.known.len() < MAX_KNOWN => {
                    self.known.insert(name, known);
                }
                Some(_) => {}
                None => problems.push(format!("line {}: not NAME KEY [box:KEY] [untrusted]", n + 1)),
            }
        }
        problems
    }

    /// What `/whois` says about a name's keys.
    pub fn describe(&self, name: &str) -> Vec<String> {
        let mut lines = Vec::new();
        match self.known.get(name) {
            Some(known) => lines.push(format!(
                "{name}'s key{}: {}",
                if known.trusted { "" } else { " (untrusted)" },
                fingerprint(&known.key)
            )),
            None => lines.push(format!("{name}: no key known (messages from {name} are not verified)")),
        }
        if let Some(new) = self.pending.get(name) {
            lines.push(format!(
                "⚠ {name} now uses another key: {} (not trusted: /trust {name} to accept it)",
                fingerprint(&new.key)
            ));
        }
        match (self.box_key(name).is_some(), self.pending.contains_key(name)) {
            (true, false) => lines.push(format!("direct messages to {name} are end-to-end encrypted")),
            (true, true) => lines.push(format!(
                "direct messages to {name} are sealed to the remembered key, which the new key cannot open"
            )),
            (false, _) => {}
        }
        lines
    }
}

impl Known {
    fn new(key: [u8; 32], boxing: Option<[u8; 32]>, trusted: bool) -> Option<Known> {
        Some(Known {
            key,
            verifier: Verifier::new(&key)?,
            boxing,
            trusted,
        })
    }
}

fn parse_line(line: &str) -> Option<(String, Known)> {
    let mut words = line.split_whitespace();
    let name = words.next()?;
    crate::protocol::validate_username(name).ok()?;
    let key = key_from_base64(words.next()?)?;
    let (mut boxing, mut trusted) = (None, true);
    for word in words {
        match word {
            "untrusted" => trusted = false,
            _ => boxing = Some(key_from_base64(word.strip_prefix("box:")?)?),
        }
    }
    Some((name.to_owned(), Known::new(key, boxing, trusted)?))
}

#[cfg(test)]
#[path = "keyring_tests.rs"]
mod tests;
