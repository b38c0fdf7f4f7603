//! The client's `--json` output read back: one record per line.

use serde_json::Value;

use crate::Komunikator;

/// A line of `--json` output as a value; `None` for anything else.
pub fn record(line: &str) -> Option<Value> {
    serde_json::from_str(line).ok()
}

/// Every record `client` printed on stdout so far that `pred` accepts.
pub fn records(client: &mut Komunikator, pred: impl Fn(&Value) -> bool) -> Vec<Value> {
    client
        .stdout
        .seen()
        .iter()
        .filter_map(|l| record(l))
        .filter(|v| pred(v))
        .collect()
}

/// A chat message from `user` with this text.
pub fn is_message(v: &Value, user: &str, text: &str) -> bool {
    v["event"] == "message" && v["user"] == user && v["text"] == text
}
