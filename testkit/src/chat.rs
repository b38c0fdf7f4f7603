//! Chat payloads and the line-mode lines that show them.

use chrono::Utc;

/// A chat payload as the protocol defines it, for publishing by hand.
pub fn chat_payload(user: &str, text: &str) -> String {
    serde_json::json!({
        "v": 1,
        "id": format!("{:026}", fastrand::u64(..)),
        "user": user,
        "text": text,
        "ts": Utc::now().to_rfc3339(),
    })
    .to_string()
}

/// True when `line` is a chat line `HH:MM:SS #room <user> text`.
pub fn is_chat_line(line: &str, room: &str, user: &str, text: &str) -> bool {
    line.as_bytes().get(2) == Some(&b':') && line.get(8..) == Some(format!(" #{room} <{user}> {text}").as_str())
}

/// True when `line` is an action line `HH:MM:SS #room * user text`.
pub fn is_action_line(line: &str, room: &str, user: &str, text: &str) -> bool {
    line.as_bytes().get(2) == Some(&b':') && line.get(8..) == Some(format!(" #{room} * {user} {text}").as_str())
}
