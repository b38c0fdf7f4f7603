//! `/whois`, `/trust`, `/untrust`: the key ring in the user's hands.

use super::{Effect, State};
use crate::protocol::signature::fingerprint;

impl State {
    pub(super) fn whois(&mut self, name: &str, fx: &mut Vec<Effect>) {
        let mut lines = Vec::new();
        match self.people.get(name) {
            Some(person) => lines.push(super::who::entry(person, self.now, self.zone)),
            None => lines.push(format!("{name}: not seen on this network")),
        }
        if let Some(person) = self.people.get(name) {
            if let Some(rooms) = &person.rooms {
                if !rooms.is_empty() {
                    let rooms: Vec<String> = rooms.iter().map(|r| format!("#{r}")).collect();
                    lines.push(format!("{name} is in {}", rooms.join(" ")));
                }
            }
        }
        lines.extend(self.keyring.describe(name));
        if name == self.me() {
            if let Some(public) = self.public_keys() {
                lines.push(format!("(your own key: {})", fingerprint(&public.sign)));
            }
        }
        if let Some(first) = self.lookalike_of(name) {
            lines.push(format!("⚠ {name} looks like {first}: not the same person"));
        }
        for line in lines {
            self.notice(line, fx);
        }
    }

    pub(super) fn trust(&mut self, name: &str, fx: &mut Vec<Effect>) {
        let text = match self.keyring.trust(name) {
            Ok(key) => format!(
                "{name}'s key {} is trusted: messages signed by it show as {name}",
                fingerprint(&key)
            ),
            Err(why) => why,
        };
        self.notice(text, fx);
    }

    pub(super) fn untrust(&mut self, name: &str, fx: &mut Vec<Effect>) {
        let text = if name == self.me() {
            "your own key is always yours".to_owned()
        } else {
            match self.keyring.untrust(name) {
                Ok(key) => format!(
                    "{name}'s key {} is no longer trusted: {name}'s messages are marked, and direct messages to {name} are not encrypted to it (/trust {name} to undo)",
                    fingerprint(&key)
                ),
                Err(why) => why,
            }
        };
        self.notice(text, fx);
    }

    /// The name seen first that `name` looks like, if any.
    fn lookalike_of(&mut self, name: &str) -> Option<String> {
        match self.lookalikes.see(name) {
            Some(super::room::Lookalike::Of(first)) => Some(first),
            _ => None,
        }
    }
}
