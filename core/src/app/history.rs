//! What was said before we came (the local history, history keepers) and
//! while we were away (the broker's session). The store is the front end's:
//! here are the decisions, as effects ([`Effect::Store`], …) and the events
//! that answer them ([`HistoryEvent`]).

use chrono::{DateTime, Utc};

use super::room::{Delivery, Entry, Message, Origin, Verdict};
use super::{is_direct, Effect, Publish, Record, State};
use crate::protocol::history::{decode_reply, encode_request, HistoryRequest, MAX_REPLY_MESSAGES};
use crate::protocol::{Form, Kind};

/// Messages read from disk per page (at start, on join, reading back).
pub const HISTORY_PAGE: usize = 200;
/// Search hits shown at most.
pub const MAX_HITS: usize = 200;
/// Keeper requests we wait for answers to at most; older ones are forgotten.
const MAX_ASKS: usize = 256;
/// How long a keeper has to answer a request.
const ASK_TIMEOUT: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

/// One message as the local history keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    /// `general`, or `@bob` for a direct conversation.
    pub room: String,
    pub id: String,
    pub user: Option<String>,
    pub text: String,
    pub action: bool,
    pub time: DateTime<Utc>,
    /// Sent by this user from this machine.
    pub own: bool,
    /// A warning shown with it, as [`Verdict::stored_mark`] writes it.
    pub mark: Option<String>,
    /// It came end-to-end encrypted.
    pub sealed: bool,
}

impl Kept {
    /// `message` of `room`, as stored; `None` for what is not worth keeping (binary).
    pub fn of(room: &str, message: &Message, fallback_id: impl FnOnce() -> String) -> Option<Kept> {
        if matches!(message.form, Form::Binary { .. }) {
            return None;
        }
        Some(Kept {
            room: room.to_owned(),
            id: message.id.clone().unwrap_or_else(fallback_id),
            user: message.user.clone(),
            text: message.shown_text().into_owned(),
            action: message.kind == Kind::Action,
            time: message.time,
            own: message.own.is_some(),
            mark: message.verdict.stored_mark(),
            sealed: message.verdict.sealed,
        })
    }

    /// As shown in a room: history, never a mention nor a bell again.
    pub fn to_message(&self) -> Message {
        Message {
            id: Some(self.id.clone()),
            user: self.user.clone(),
            text: self.text.clone(),
            cut: 0,
            kind: if self.action { Kind::Action } else { Kind::Text },
            form: Form::Proper,
            time: self.time,
            skewed: false,
            mention: false,
            own: self.own.then_some(Delivery::Sent),
            tag: None,
            origin: Origin::History,
            verdict: Verdict::from_stored(self.mark.as_deref(), self.sealed),
        }
    }
}

/// What the local history answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryEvent {
    /// `room`'s stored messages, oldest first: its latest (`older: false`)
    /// or the page before the oldest shown.
    Loaded {
        room: String,
        messages: Vec<Kept>,
        older: bool,
    },
    /// Search hits, newest first.
    Found {
        text: String,
        all: bool,
        hits: Vec<Kept>,
    },
    /// The messages around a search hit (`hit`: its id), oldest first.
    Context {
        room: String,
        messages: Vec<Kept>,
        hit: String,
    },
    Forgotten {
        room: String,
        count: usize,
    },
}

/// The search results over the message pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchView {
    pub text: String,
    pub all: bool,
    pub hits: Vec<Kept>,
    pub selected: usize,
}

/// A search hit among the messages around it, over the message pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextView {
    pub room: String,
    pub messages: Vec<Message>,
    /// The index of the hit in `messages`.
    pub hit: usize,
    /// Lines scrolled back from the view that centres the hit.
    pub scroll: isize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    Search(SearchView),
    Context(ContextView),
}

/// A keeper request waiting for answers.
#[derive(Debug, Clone)]
pub(super) struct Ask {
    nonce: String,
    room: String,
    at: DateTime<Utc>,
}

impl State {
    fn keeps_history(&self) -> bool {
        self.settings.store_history
    }

    /// The front end is up: each room shows its latest history (the UI).
    pub(super) fn started(&mut self, fx: &mut Vec<Effect>) {
        self.announce_hosting(fx);
        if !self.keeps_history() || self.line_mode() {
            return;
        }
        for room in &self.rooms {
            fx.push(Effect::LoadHistory {
                room: room.name.clone(),
                before: None,
            });
        }
    }

    /// A room was opened (joined, or a direct conversation began).
    pub(super) fn room_opened(&mut self, index: usize, fx: &mut Vec<Effect>) {
        if self.keeps_history() && !self.line_mode() {
            fx.push(Effect::LoadHistory {
                room: self.rooms[index].name.clone(),
                before: None,
            });
        }
        if matches!(self.conn, super::Conn::Connected { ready: true }) {
            self.ask_keeper(index, fx);
        }
    }

    /// Keeps `message` of the room at `index` on disk.
    pub(super) fn keep(&mut self, index: usize, message: &Message, fx: &mut Vec<Effect>) {
        fx.extend(self.kept(index, message).map(Effect::Store));
    }

    /// `message` of the room at `index` as the history keeps it, if it does.
    pub(super) fn kept(&mut self, index: usize, message: &Message) -> Option<Kept> {
        if !self.keeps_history() {
            return None;
        }
        let room = &self.rooms[index];
        if room.forgotten_at.is_some_and(|at| message.time <= at) {
            return None;
        }
        let now = self.now;
        let entropy = &mut self.entropy;
        Kept::of(&room.name, message, || entropy.message_id(now))
    }

    pub(super) fn on_history(&mut self, event: HistoryEvent, fx: &mut Vec<Effect>) {
        match event {
            HistoryEvent::Loaded { room, messages, older } => self.loaded(&room, messages, older, fx),
            HistoryEvent::Found { text, all, hits } => self.found(text, all, hits, fx),
            HistoryEvent::Context { room, messages, hit } => {
                let messages: Vec<Message> = messages.iter().map(Kept::to_message).collect();
                let hit = messages.iter().position(|m| m.id.as_deref() == Some(&hit)).unwrap_or(0);
                self.overlay = Some(Overlay::Context(ContextView {
                    room,
                    messages,
                    hit,
                    scroll: 0,
                }));
            }
            HistoryEvent::Forgotten { room, count } => {
                self.notice(
                    format!("forgot the history of {} ({count} messages)", shown_room(&room)),
                    fx,
                );
            }
        }
    }

    fn loaded(&mut self, name: &str, messages: Vec<Kept>, older: bool, fx: &mut Vec<Effect>) {
        let Some(room) = self.rooms.iter_mut().find(|r| r.name == name) else {
            return;
        };
        room.reading_back = false;
        if older && messages.is_empty() {
            room.history_exhausted = true;
            return;
        }
        let fresh: Vec<Message> = messages
            .iter()
            .filter(|k| room.seen.insert(&k.id))
            .map(Kept::to_message)
            .collect();
        if older {
            if !room.add_older(fresh) {
                room.history_exhausted = true;
                self.notice(
                    "that is as far back as the scrollback goes: /search finds older messages",
                    fx,
                );
            }
        } else {
            room.add_history(fresh);
        }
    }

    fn found(&mut self, text: String, all: bool, hits: Vec<Kept>, fx: &mut Vec<Effect>) {
        if self.line_mode() {
            let count = hits.len();
            fx.extend(hits.into_iter().map(|hit| Effect::Print(Record::Found(hit))));
            self.notice(format!("{count} message(s) found for \"{text}\""), fx);
            return;
        }
        if hits.is_empty() {
            self.notice(format!("nothing found for \"{text}\""), fx);
            return;
        }
        self.overlay = Some(Overlay::Search(SearchView {
            text,
            all,
            hits,
            selected: 0,
        }));
    }

    /// `/search [-a] TEXT`.
    pub(super) fn search(&mut self, text: String, all: bool, fx: &mut Vec<Effect>) {
        if !self.keeps_history() {
            self.notice("history is off (--no-history): there is nothing to search", fx);
            return;
        }
        let room = match (all, self.active_room()) {
            (false, Some(room)) => Some(room.name.clone()),
            _ => None,
        };
        fx.push(Effect::Search { text, room });
    }

    /// `/forget`: the active room's history goes, on disk and on screen.
    pub(super) fn forget(&mut self, fx: &mut Vec<Effect>) {
        let Some(room) = self.rooms.get_mut(self.active) else {
            self.notice("you are in no room: nothing to forget", fx);
            return;
        };
        room.clear();
        room.forgotten_at = Some(self.now);
        room.history_exhausted = true;
        let name = room.name.clone();
        if self.keeps_history() {
            fx.push(Effect::Forget(name));
        } else {
            self.notice("history is off (--no-history): nothing was kept", fx);
        }
    }

    /// Scrolled to the top of the room: the page before it, from disk.
    pub(super) fn read_back(&mut self, fx: &mut Vec<Effect>) {
        if !self.keeps_history() {
            return;
        }
        let Some(room) = self.rooms.get_mut(self.active) else {
            return;
        };
        let at_top = room.scroll_back + 1 >= room.entries.len();
        if !at_top || room.reading_back || room.history_exhausted {
            return;
        }
        let before = room
            .oldest_message()
            .map(|m| (m.time, m.id.clone().unwrap_or_default()));
        room.reading_back = true;
        fx.push(Effect::LoadHistory {
            room: room.name.clone(),
            before: before.or(Some((self.now, String::new()))),
        });
    }

    /// Connected and subscribed: keepers fill in what each room missed.
    pub(super) fn ask_keepers(&mut self, fx: &mut Vec<Effect>) {
        for index in 0..self.rooms.len() {
            self.ask_keeper(index, fx);
        }
    }

    fn ask_keeper(&mut self, index: usize, fx: &mut Vec<Effect>) {
        let room = &self.rooms[index];
        if is_direct(&room.name) {
            return;
        }
        let now = self.now;
        self.asks.retain(|a| now - a.at < ASK_TIMEOUT);
        if self.asks.len() >= MAX_ASKS {
            self.asks.remove(0);
        }
        let nonce = crate::protocol::history::nonce(self.entropy.below(u64::MAX));
        let request = HistoryRequest {
            user: self.me().to_owned(),
            nonce: nonce.clone(),
            after: room.newest_time(),
            limit: MAX_REPLY_MESSAGES,
        };
        let topic = self.topics.history_request(&room.name);
        self.asks.push(Ask {
            nonce,
            room: room.name.clone(),
            at: now,
        });
        let tag = self.tag();
        fx.push(Effect::Publish(Publish {
            tag,
            topic,
            payload: encode_request(&request),
            qos: 0,
            retain: false,
            expiry: None,
        }));
    }

    /// A keeper's answer: history for a room, if we asked for it.
    pub(super) fn keeper_replied(&mut self, payload: &[u8], fx: &mut Vec<Effect>) {
        let Ok(reply) = decode_reply(payload) else {
            return;
        };
        let now = self.now;
        let asked = self
            .asks
            .iter()
            .any(|a| a.nonce == reply.nonce && a.room == reply.room && now - a.at < ASK_TIMEOUT);
        let Some(index) = self.rooms.iter().position(|r| r.name == reply.room) else {
            return;
        };
        if !asked {
            return;
        }
        let mut fresh = Vec::new();
        let topic = self.topics.chat(&reply.room);
        for (mut chat, payload) in reply.messages.into_iter().zip(reply.payloads) {
            let verdict = self.check_arrival(&topic, &payload, &mut chat);
            let Some(id) = chat.id.clone() else {
                continue;
            };
            if !self.rooms[index].seen.insert(&id) {
                continue;
            }
            // A keeper's stand-in for a payload that was not ours (plain
            // text, say) has no sender: shown from `?`, as live plain text is.
            let form = match (&chat.user, chat.form) {
                (None, crate::protocol::Form::Malformed(_)) => Form::PlainText,
                (_, form) => form,
            };
            let message = Message {
                id: Some(id),
                own: None,
                mention: false,
                tag: None,
                origin: Origin::History,
                skewed: false,
                time: chat.ts.filter(|ts| *ts <= now).unwrap_or(now),
                user: chat.user,
                text: chat.text,
                cut: chat.cut,
                kind: chat.kind,
                form,
                verdict,
            };
            self.keep(index, &message, fx);
            fresh.push(message);
        }
        if self.line_mode() {
            if !fresh.is_empty() {
                let text = format!(
                    "{}: {} earlier message(s) from history follow",
                    shown_room(&reply.room),
                    fresh.len()
                );
                fx.push(Effect::Report(text));
            }
            let room = self.rooms[index].shared_name();
            fx.extend(fresh.into_iter().map(|message| {
                Effect::Print(Record::Message {
                    room: room.clone(),
                    message,
                })
            }));
        } else {
            fresh.sort_by_key(|m| m.time);
            self.rooms[index].add_history(fresh);
        }
    }

    /// Esc, or any key the overlay does not take: back to the chat.
    pub fn close_overlay(&mut self) {
        self.overlay = None;
    }

    /// Enter on a search hit: the messages around it.
    pub(super) fn open_hit(&mut self, fx: &mut Vec<Effect>) {
        let Some(Overlay::Search(view)) = &self.overlay else {
            return;
        };
        if let Some(hit) = view.hits.get(view.selected) {
            fx.push(Effect::LoadContext {
                room: hit.room.clone(),
                time: hit.time,
                id: hit.id.clone(),
            });
        }
    }
}

/// `#general`, or `@bob` as it is.
pub fn shown_room(room: &str) -> String {
    if is_direct(room) {
        room.to_owned()
    } else {
        format!("#{room}")
    }
}

/// Whether `entry` is a message from history (drawn dimmed).
pub fn is_history(entry: &Entry) -> bool {
    matches!(entry, Entry::Message(m) if m.origin == Origin::History)
}
