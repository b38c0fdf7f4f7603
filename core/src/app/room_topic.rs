//! Room topics (docs/protocol.md, "Room topics"): `/topic` shows, sets or
//! clears the active room's topic; a retained `topic/<room>` says what it is.

use chrono::{DateTime, Utc};

use super::outbox::{self, Publish};
use super::room::Verdict;
use super::{is_direct, Effect, Record, State};
use crate::protocol::payload::{decode_topic, encode_topic, TopicError, MAX_TOPIC_BYTES};
use crate::protocol::sanitize::{self, Newlines};
use crate::protocol::{ChatIn, Form, Kind};

/// What `/topic` takes to clear the topic.
pub const CLEAR_FLAG: &str = "--clear";

/// A room's topic as it arrived: the text is untrusted (shown sanitised).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomTopic {
    /// Empty: the topic was cleared.
    pub text: String,
    /// Bytes cut off for display.
    pub cut: usize,
    /// Who set it; `None`: not said (a plain payload).
    pub user: Option<String>,
    pub ts: Option<DateTime<Utc>>,
    /// Whether the setter is who the payload says (signature, name).
    pub verdict: Verdict,
}

impl RoomTopic {
    /// The text as one safe line, with a note of what was cut.
    pub fn shown_text(&self) -> String {
        let mut text = sanitize::text(&self.text, Newlines::Mark).into_owned();
        if self.cut > 0 {
            text.push_str(&format!(" … ({} more bytes cut)", self.cut));
        }
        text
    }

    /// Who set it, safe to show (`?`: not said).
    pub fn setter(&self) -> String {
        match &self.user {
            Some(user) => sanitize::name(user).into_owned(),
            None => "?".to_owned(),
        }
    }

    /// `set by alice`, with the warning a doubtful setter gets.
    pub fn set_by(&self) -> String {
        match self.verdict.mark() {
            Some(mark) => format!("set by {} {mark}", self.setter()),
            None => format!("set by {}", self.setter()),
        }
    }
}

impl State {
    /// `/topic`: `None` shows the active room's topic, [`CLEAR_FLAG`]
    /// clears it, any other text sets it.
    pub(super) fn run_topic(&mut self, text: Option<String>, fx: &mut Vec<Effect>) {
        let Some(room) = self.rooms.get(self.active) else {
            self.notice("you are in no room: /join one first", fx);
            return;
        };
        if is_direct(&room.name) {
            self.notice("a direct conversation has no topic: /topic is for rooms", fx);
            return;
        }
        let name = room.name.clone();
        let Some(text) = text else {
            let said = match &room.topic {
                Some(topic) => format!("topic of #{name}: {} ({})", topic.shown_text(), topic.set_by()),
                None => format!("#{name} has no topic set (/topic TEXT sets one)"),
            };
            self.notice(said, fx);
            return;
        };
        let text = if text == CLEAR_FLAG { String::new() } else { text };
        if text.len() > MAX_TOPIC_BYTES {
            let said = format!(
                "topic too long ({} bytes; at most {MAX_TOPIC_BYTES}): not set",
                text.len()
            );
            self.notice(said, fx);
            return;
        }
        if let Some(c) = text.chars().find(|c| c.is_control()) {
            let said = format!("topic contains a control character (U+{:04X}): not set", c as u32);
            self.notice(said, fx);
            return;
        }
        let topic = self.topics.room_topic(&name);
        let payload = encode_topic(&name, self.me(), &text, self.now);
        let payload = self.signed_message(&topic, payload);
        let publish = Publish {
            tag: self.tag(),
            topic,
            payload,
            qos: 1,
            retain: true,
            expiry: None,
        };
        if let Err(outbox::Full(cap)) = self.outbox.push(publish) {
            self.notice(
                format!("{cap} messages are waiting to be sent already; topic not set"),
                fx,
            );
            return;
        }
        // The broker's copy coming back says it in the room, for everyone alike.
        self.flush_outbox(fx);
    }

    /// A `topic/<room>` arrived: kept for the room, and the change said in it.
    pub(super) fn room_topic_arrived(
        &mut self,
        room: &str,
        topic: &str,
        payload: &[u8],
        retained: bool,
        fx: &mut Vec<Effect>,
    ) {
        let Some(index) = self.rooms.iter().position(|r| r.name == room && !is_direct(&r.name)) else {
            return;
        };
        let name = sanitize::name(room).into_owned();
        let arrived = match decode_topic(payload) {
            Ok(arrived) => arrived,
            Err(why) => {
                let why = match why {
                    TopicError::Binary => format!("not text ({} bytes)", payload.len()),
                    TopicError::NoText => "a JSON object without a \"text\" string".to_owned(),
                };
                self.tell_in(index, format!("#{name}: a topic that is {why} was ignored"), fx);
                return;
            }
        };
        let verdict = match &arrived.user {
            Some(user) => {
                let mut said_by = ChatIn {
                    id: None,
                    user: Some(user.clone()),
                    text: String::new(),
                    kind: Kind::Text,
                    ts: arrived.ts,
                    form: Form::Proper,
                    cut: 0,
                    enc: None,
                };
                self.check_arrival(topic, payload, &mut said_by)
            }
            None => Verdict::default(),
        };
        let new = RoomTopic {
            text: arrived.text,
            cut: arrived.cut,
            user: arrived.user,
            ts: arrived.ts,
            verdict,
        };
        let old = self.rooms[index].topic.take();
        // The same topic again (a reconnect brings the retained copy back) is no news.
        let same = match &old {
            Some(old) => old.text == new.text && old.user == new.user,
            None => new.text.is_empty(),
        };
        let said = if new.text.is_empty() {
            format!("{} cleared the topic", new.setter())
        } else if retained {
            format!("topic: {} ({})", new.shown_text(), new.set_by())
        } else {
            format!("{} set the topic: {}", new.setter(), new.shown_text())
        };
        let said = match new.verdict.mark() {
            Some(mark) if new.text.is_empty() || !retained => format!("{said} {mark}"),
            _ => said,
        };
        if !same {
            if matches!(self.settings.mode, crate::settings::Mode::Line { .. }) {
                fx.push(Effect::Print(Record::Topic {
                    room: room.to_owned(),
                    topic: new.clone(),
                    retained,
                    said,
                }));
            } else {
                self.notice_in(index, said);
            }
        }
        self.rooms[index].topic = (!new.text.is_empty()).then_some(new);
    }

    /// A notice in one room; line mode says it on stderr.
    fn tell_in(&mut self, index: usize, text: String, fx: &mut Vec<Effect>) {
        if self.line_mode() {
            fx.push(Effect::Report(text));
        } else {
            self.notice_in(index, text);
        }
    }
}
