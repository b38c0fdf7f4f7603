//! Running a command the user typed, and opening and leaving rooms.

use super::command::{self, Command};
use super::history::shown_room;
use super::room::Room;
use super::{is_direct, Conn, Effect, State, MAX_DIRECT};
use crate::protocol::payload::Kind;

impl State {
    pub(super) fn run(&mut self, cmd: Command, fx: &mut Vec<Effect>) -> bool {
        match cmd {
            Command::Say(text) => return self.send(self.active, &text, Kind::Text, fx),
            Command::Me(text) => return self.send(self.active, &text, Kind::Action, fx),
            Command::Msg { user, text } => {
                let index = self.open_room(&format!("@{user}"), fx);
                let from = self.active;
                let sent = self.send(index, &text, Kind::Text, fx);
                if sent {
                    self.echo_direct(from, index, &user, &text, fx);
                }
                return sent;
            }
            Command::Join(name) => {
                let known = self.rooms.iter().any(|r| r.name == name);
                let index = self.open_room(&name, fx);
                super::keys::switch_to(self, index);
                if known {
                    self.notice(format!("#{name} is now active"), fx);
                } else {
                    if matches!(self.conn, Conn::Connected { .. }) {
                        fx.push(Effect::Subscribe(vec![(self.topics.chat(&name), self.settings.qos)]));
                        fx.push(Effect::Subscribe(vec![(self.topics.room_topic(&name), 1)]));
                    }
                    self.notice(format!("joined #{name}"), fx);
                    self.presence_changed(fx);
                }
            }
            Command::Part(name) => self.part(name, fx),
            Command::Who(scope) => self.who(scope.as_deref(), fx),
            Command::Away(message) => self.set_away(message, false, fx),
            Command::Back => self.set_back(fx),
            Command::Clear => {
                if let Some(room) = self.rooms.get_mut(self.active) {
                    room.clear();
                }
            }
            Command::Search { text, all } => self.search(text, all, fx),
            Command::Forget => self.forget(fx),
            Command::Whois(name) => self.whois(&name, fx),
            Command::Trust(name) => self.trust(&name, fx),
            Command::Untrust(name) => self.untrust(&name, fx),
            Command::Help => {
                if self.line_mode() {
                    for spec in command::COMMANDS {
                        fx.push(Effect::Report(format!("{:<18} {}", spec.usage, spec.about)));
                    }
                } else {
                    self.open_help();
                }
            }
            Command::Quit(message) => self.quit(message, fx),
            Command::Topic(text) => self.run_topic(text, fx),
        }
        true
    }

    /// The user leaves the room on screen: it remembers where they stopped reading.
    pub(super) fn leave_active(&mut self) {
        let now = self.now;
        if let Some(room) = self.rooms.get_mut(self.active) {
            room.leave(now);
        }
    }

    /// Index of the room or direct conversation, opened if new.
    pub(super) fn open_room(&mut self, name: &str, fx: &mut Vec<Effect>) -> usize {
        if let Some(i) = self.rooms.iter().position(|r| r.name == name) {
            return i;
        }
        if is_direct(name) {
            self.make_room_for_direct(fx);
        }
        let cap = if self.line_mode() { 0 } else { self.settings.scrollback };
        let seen_keys = self.entropy.hash_keys();
        self.rooms.push(Room::new(name, cap, seen_keys));
        let index = self.rooms.len() - 1;
        self.touch(index);
        self.room_opened(index, fx);
        index
    }

    /// Marks a room as just active (for closing the least recently active).
    pub(super) fn touch(&mut self, index: usize) {
        self.activity += 1;
        if let Some(room) = self.rooms.get_mut(index) {
            room.last_activity = self.activity;
        }
    }

    /// At [`MAX_DIRECT`] direct conversations, closes the least recently
    /// active one (never the one on screen) before another opens.
    pub(super) fn make_room_for_direct(&mut self, fx: &mut Vec<Effect>) {
        let open = self.rooms.iter().filter(|r| is_direct(&r.name)).count();
        if open < MAX_DIRECT {
            return;
        }
        let oldest = self
            .rooms
            .iter()
            .enumerate()
            .filter(|(i, r)| *i != self.active && is_direct(&r.name))
            .min_by_key(|(_, r)| r.last_activity)
            .map(|(i, _)| i);
        let Some(index) = oldest else { return };
        self.rooms.remove(index);
        if self.active > index {
            self.active -= 1;
        }
        if !std::mem::replace(&mut self.direct_full_noticed, true) {
            self.notice(
                format!("too many direct conversations ({MAX_DIRECT}): the least recently active are closed"),
                fx,
            );
        }
    }

    pub(super) fn part(&mut self, name: Option<String>, fx: &mut Vec<Effect>) {
        let index = match &name {
            Some(name) => self.rooms.iter().position(|r| &r.name == name),
            None => (self.active < self.rooms.len()).then_some(self.active),
        };
        let Some(index) = index else {
            let what = name.map(|n| shown_room(&n)).unwrap_or_else(|| "any room".into());
            self.notice(format!("you are not in {what}"), fx);
            return;
        };
        let room = self.rooms.remove(index);
        if !is_direct(&room.name) && matches!(self.conn, Conn::Connected { .. }) {
            fx.push(Effect::Unsubscribe(self.topics.chat(&room.name)));
            fx.push(Effect::Unsubscribe(self.topics.room_topic(&room.name)));
        }
        if self.active > index || self.active >= self.rooms.len() {
            self.active = self.active.saturating_sub(1);
        }
        // Where we land is read, as when switching to it.
        super::keys::switch_to(self, self.active);
        self.notice(format!("left {}", shown_room(&room.name)), fx);
        if !is_direct(&room.name) {
            self.presence_changed(fx);
        }
    }
}
