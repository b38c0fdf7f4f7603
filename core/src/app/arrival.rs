//! What an incoming MQTT message means for the state.

use super::history::shown_room;
use super::room::{Entry, Message, Origin};
use super::{is_direct, Effect, Record, State};
use crate::protocol::payload::decode_chat;
use crate::protocol::{ChatIn, TopicRef};

/// A sender's clock further off than this is not believed.
const MAX_CLOCK_SKEW: chrono::TimeDelta = chrono::TimeDelta::minutes(5);
/// A caught-up message older than this is not believed (a broker keeps a
/// session a week at most, as `--session-expiry` allows).
const MAX_CATCH_UP_AGE: chrono::TimeDelta = chrono::TimeDelta::days(8);

pub(super) fn handle(state: &mut State, topic: &str, payload: &[u8], retained: bool, fx: &mut Vec<Effect>) {
    match state.topics.parse(topic) {
        TopicRef::Chat(room) => {
            if let Some(index) = state.rooms.iter().position(|r| r.name == room) {
                chat(state, index, Arrived { topic, payload }, decode_chat(payload), fx);
            }
        }
        TopicRef::Direct(to) if to == state.me() => {
            let chat_in = decode_chat(payload);
            // A conversation is opened under a valid name only; a name that
            // breaks the rules (or looks like another's) never gets one of its own.
            let from = match chat_in.user.as_deref() {
                Some(user) if state.lookalikes.see(user).is_none() => user.to_owned(),
                _ => "?".to_owned(),
            };
            let index = state.open_room(&format!("@{from}"), fx);
            chat(state, index, Arrived { topic, payload }, chat_in, fx);
        }
        TopicRef::Presence(user) => state.presence_arrived(user, topic, payload, retained, fx),
        TopicRef::Alive(user) => state.heartbeat_arrived(user, payload, retained, fx),
        TopicRef::RollCall(user) => state.roll_call_arrived(user, payload),
        TopicRef::Answer { from, to } if to == state.me() => state.presence_arrived(from, topic, payload, false, fx),
        TopicRef::HistoryReply(to) if to == state.me() => state.keeper_replied(payload, fx),
        TopicRef::RoomTopic(room) => state.room_topic_arrived(room, topic, payload, retained, fx),
        TopicRef::Direct(_)
        | TopicRef::Answer { .. }
        | TopicRef::HistoryRequest(_)
        | TopicRef::HistoryReply(_)
        | TopicRef::Other => {}
    }
}

/// A message as it came: its signature covers these bytes and this topic.
struct Arrived<'a> {
    topic: &'a str,
    payload: &'a [u8],
}

fn chat(state: &mut State, index: usize, arrived: Arrived<'_>, mut chat_in: ChatIn, fx: &mut Vec<Effect>) {
    state.touch(index);
    let now = state.now;
    let line_mode = state.line_mode();
    if let Some(id) = &chat_in.id {
        if !state.rooms[index].seen.insert(id) {
            return;
        }
    }
    // Checked once it is known to be new: a repeat costs no signature check.
    let verdict = state.check_arrival(arrived.topic, arrived.payload, &mut chat_in);
    if let Some(user) = &chat_in.user {
        let name = &state.rooms[index].name;
        if !is_direct(name) && !verdict.is_suspect() {
            state.people.spoke(user, name);
        }
    }
    // A message sent before the session resumed was kept for us by the
    // broker while we were away: its time is believed further back.
    let caught_up = match (chat_in.ts, state.caught_up_before) {
        (Some(ts), Some(cutoff)) => ts < cutoff && now - ts <= MAX_CATCH_UP_AGE,
        _ => false,
    };
    let (time, skewed) = match chat_in.ts {
        Some(ts) if caught_up || (ts - now).abs() <= MAX_CLOCK_SKEW => (ts, false),
        Some(_) => (now, true),
        None => (now, false),
    };
    let me = &state.settings.username;
    let from_me = chat_in.user.as_deref() == Some(me.as_str());
    // Whoever may not be who they say rings no bell and calls no one.
    let mention = !from_me && !verdict.is_suspect() && mentions(&chat_in.text, me);
    // A direct message is addressed to us as a mention is: mark, bell, title.
    let calls_me = mention || (!from_me && !verdict.is_suspect() && is_direct(&state.rooms[index].name));
    let message = Message {
        id: chat_in.id,
        user: chat_in.user,
        text: chat_in.text,
        cut: chat_in.cut,
        kind: chat_in.kind,
        form: chat_in.form,
        time,
        skewed,
        mention,
        own: None,
        tag: None,
        origin: if caught_up { Origin::CaughtUp } else { Origin::Live },
        verdict,
    };
    // Stored after it is shown: the disk's turn comes after the screen's.
    let kept = state.kept(index, &message);
    let room = &mut state.rooms[index];
    if line_mode {
        if caught_up && !std::mem::replace(&mut room.told_catch_up, true) {
            let text = format!("{}: what was sent while you were away follows", shown_room(&room.name));
            fx.push(Effect::Report(text));
        }
        let room = room.shared_name();
        fx.push(Effect::Print(Record::Message { room, message }));
        fx.extend(kept.map(Effect::Store));
        return;
    }
    fx.extend(kept.map(Effect::Store));
    if index != state.active {
        room.unread += 1;
        room.mentioned |= calls_me;
        room.mentions += usize::from(calls_me);
    }
    if caught_up {
        // What was said while away rings no bell, one by one.
        room.add_caught_up(message);
        return;
    }
    let alert = calls_me.then(|| super::notify::alert(&room.name, &message, state.settings.notify));
    room.push(Entry::Message(message));
    if calls_me && state.settings.bell {
        fx.push(Effect::Bell);
    }
    fx.extend(alert.flatten().map(Effect::Notify));
}

/// True when `text` names `user` as a whole word, ignoring case.
pub(super) fn mentions(text: &str, user: &str) -> bool {
    // Most chat is short ASCII: fold case on the stack instead of allocating.
    const SHORT: usize = 512;
    if text.len() <= SHORT && user.len() <= 64 && text.is_ascii() && user.is_ascii() {
        let (mut text_buf, mut user_buf) = ([0u8; SHORT], [0u8; 64]);
        let text_lower = &mut text_buf[..text.len()];
        text_lower.copy_from_slice(text.as_bytes());
        text_lower.make_ascii_lowercase();
        let user_lower = &mut user_buf[..user.len()];
        user_lower.copy_from_slice(user.as_bytes());
        user_lower.make_ascii_lowercase();
        if let (Ok(text_lower), Ok(user_lower)) = (std::str::from_utf8(text_lower), std::str::from_utf8(user_lower)) {
            return names_word(text_lower, user_lower);
        }
    }
    names_word(&text.to_lowercase(), &user.to_lowercase())
}

fn names_word(text_lower: &str, user_lower: &str) -> bool {
    let is_name_char = |c: char| c.is_alphanumeric() || matches!(c, '_' | '-' | '.');
    text_lower.match_indices(user_lower).any(|(at, found)| {
        let before = text_lower[..at].chars().next_back();
        let after = text_lower[at + found.len()..].chars().next();
        !before.is_some_and(is_name_char) && !after.is_some_and(|c| is_name_char(c) && c != '.')
    })
}

#[cfg(test)]
mod tests {
    use super::mentions;

    #[test]
    fn mention_is_a_whole_word_in_any_case() {
        assert!(mentions("hi alice!", "alice"));
        assert!(mentions("ALICE: look", "alice"));
        assert!(mentions("thanks alice.", "alice"));
        assert!(!mentions("malice", "alice"));
        assert!(!mentions("alice_bot says", "alice"));
        assert!(!mentions("nothing here", "alice"));
        assert!(mentions("ŁUCJA, look", "łucja"));
        assert!(!mentions("Łucjan", "łucja"));
        assert!(mentions("hi Alice 日本", "alice"));
        let long = format!("{} alice", "x".repeat(600));
        assert!(mentions(&long, "ALICE"));
        assert!(!mentions(&format!("{long}x"), "alice"));
    }
}
