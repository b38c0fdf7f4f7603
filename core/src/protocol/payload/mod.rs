//! Chat and presence payloads (docs/protocol.md): encoding, and decoding
//! that copes with anything a broker may hand us.

mod chat;
mod fast_strict;
mod presence;
mod strict;
mod topic;

pub use chat::{decode_chat, decode_chat_without_fast_path, encode_chat, encode_sealed_chat, ChatIn, Form, Kind};
pub use presence::{
    decode_beacon, decode_presence, encode_beacon, encode_presence, Beacon, PresenceError, PresenceIn, PresenceOut,
    Reason, Status, MAX_PRESENCE_MESSAGE_CHARS,
};
pub use topic::{decode_topic, encode_topic, TopicError, TopicIn, MAX_TOPIC_BYTES};

pub const PROTOCOL_VERSION: u64 = 1;

/// A JSON value's type in words, for saying what is wrong with a payload.
pub(crate) fn type_name(v: &serde_json::Value) -> &'static str {
    use serde_json::Value;
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
/// Longest text kept for display; the rest is counted, not stored.
pub const MAX_SHOWN_TEXT_BYTES: usize = 32 * 1024;
/// Longest text a user may send (the outgoing packet limit leaves room for the envelope).
pub const MAX_OUTGOING_TEXT_BYTES: usize = 256 * 1024;
