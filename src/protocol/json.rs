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

pub fn write_str(out: &mut impl Write, s: &str) -> io::Result<()> {
    out.write_all(b"\"")?;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        if !needs_escape(c) {
            continue;
        }
        out.write_all(&s.as_bytes()[start..i])?;
        match c {
            '"' => out.write_all(b"\\\"")?,
            '\\' => out.write_all(b"\\\\")?,
            '\n' => out.write_all(b"\\n")?,
            '\t' => out.write_all(b"\\t")?,
            c => write!(out, "\\u{:04x}", c as u32)?,
        }
        start = i + c.len_utf8();
    }
    out.write_all(&s.as_bytes()[start..])?;
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

    #[test]
    fn nothing_a_terminal_acts_on_is_written_raw() {
        let json = encode("\x1b]52;c;x\x07\u{9b}\u{202e}\u{2066}");
        assert_eq!(json, r#""\u001b]52;c;x\u0007\u009b\u202e\u2066""#);
        assert!(json.chars().all(|c| !c.is_control()));
    }
}
