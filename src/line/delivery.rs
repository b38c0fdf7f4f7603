//! The records about the connection and our own messages in `--json`:
//! `{"event":"connected","server":"host:port","mqtt":"5"}` and
//! `{"event":"not-sent","room":…,"id":…,"text":…,"reason":…}`. Text line
//! mode says the same on stderr, as notices, and prints nothing here.

use std::io::{self, Write};

use crate::protocol::json::write_str;
use crate::settings::Spoken;

pub(super) fn connected_json(out: &mut impl Write, server: &str, version: Spoken) -> io::Result<()> {
    out.write_all(b"{\"event\":\"connected\",\"server\":")?;
    write_str(out, server)?;
    writeln!(out, ",\"mqtt\":\"{version}\"}}")
}

pub(super) fn not_sent_json(out: &mut impl Write, room: &str, id: &str, text: &str, reason: &str) -> io::Result<()> {
    out.write_all(b"{\"event\":\"not-sent\",\"room\":")?;
    write_str(out, room)?;
    out.write_all(b",\"id\":")?;
    write_str(out, id)?;
    out.write_all(b",\"text\":")?;
    write_str(out, text)?;
    out.write_all(b",\"reason\":")?;
    write_str(out, reason)?;
    out.write_all(b"}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_parse_with_their_fields() {
        let mut out = Vec::new();
        connected_json(&mut out, "[::1]:1883", Spoken::V311).unwrap();
        not_sent_json(
            &mut out,
            "general",
            "m1",
            "hi \"there\"\n",
            "the broker refused it: not authorised",
        )
        .unwrap();
        let lines: Vec<serde_json::Value> = out
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).unwrap())
            .collect();
        assert_eq!(lines[0]["event"], "connected");
        assert_eq!(lines[0]["server"], "[::1]:1883");
        assert_eq!(lines[0]["mqtt"], "3.1.1");
        assert_eq!(lines[1]["event"], "not-sent");
        assert_eq!(lines[1]["text"], "hi \"there\"\n");
        assert_eq!(lines[1]["reason"], "the broker refused it: not authorised");
    }
}
