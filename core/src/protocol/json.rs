//! JSON output that is safe to print on a terminal: the decoded value is the
//! original text, but every character a terminal could act on is written as a
//! `\uXXXX` escape, so `--json` piped to a screen cannot inject anything.

use std::io::{self, Write};

fn needs_escape(c: char) -> bool {
    matches!(
        c,
        '\u{0}'..='\u{1f}' | '"' | '\\' | '\u{7f}'..='\u{9f}'
            | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2028}' | '\u{2029}'
            | '\u{2060}'..='\u{2069}' | '\u{feff}' | '\u{061c}' | '\u{180e}' | '\u{00ad}'
            | '\u{fff9}'..='\u{fffb}'
    )
}

/// Writes `s` as a JSON string. Runs of plain ASCII are found eight bytes at
/// a time and copied whole; only the rare other characters are decoded.
pub fn write_str(out: &mut impl Write, s: &str) -> io::Result<()> {
    out.write_all(b"\"")?;
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    loop {
        i += super::special_bytes::json_special_or_non_ascii(&bytes[i..]);
        let Some(c) = s[i..].chars().next() else {
            break;
        };
        let len = c.len_utf8();
        if !needs_escape(c) {
            i += len;
            continue;
        }
        out.write_all(&bytes[start..i])?;
        match c {
            '"' => out.write_all(b"\\\"")?,
            '\\' => out.write_all(b"\\\\")?,
            '\n' => out.write_all(b"\\n")?,
            '\t' => out.write_all(b"\\t")?,
            c => write!(out, "\\u{:04x}", c as u32)?,
        }
        i += len;
        start = i;
    }
    out.write_all(&bytes[start..])?;
    out.write_all(b"\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(s: &str) -> String {
        let mut v = Vec::new();
        write_str(&mut v, s).unwrap();
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn decodes_back_to_the_original() {
        let nasty = "a\"b\\c\nd\x1b[2J\u{9b}\u{202e}łódź日本😀\u{7f}";
        let json = encode(nasty);
        let back: String = serde_json::from_str(&json).unwrap();
        assert_eq!(back, nasty);
    }

    /// The plain char-by-char escaper the byte scanner must agree with.
    fn reference(s: &str) -> String {
        let mut out = String::from("\"");
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                c if needs_escape(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }

    #[test]
    fn byte_scanner_matches_the_char_by_char_escaper() {
        let all: String = (0u32..0x3000)
            .chain(0xfe00..0x10000)
            .chain(0x1f600..0x1f700)
            .filter_map(char::from_u32)
            .collect();
        assert_eq!(encode(&all), reference(&all));
        for s in ["", "a", "\"", "ż", "a\u{9b}b", "\u{feff}", "x\u{fffb}y\\"] {
            assert_eq!(encode(s), reference(s), "{s:?}");
        }
    }

    #[test]
    fn nothing_a_terminal_acts_on_is_written_raw() {
        let json = encode("\x1b]52;c;x\x07\u{9b}\u{202e}\u{2066}");
        assert_eq!(json, r#""\u001b]52;c;x\u0007\u009b\u202e\u2066""#);
        assert!(json.chars().all(|c| !c.is_control()));
    }
}
