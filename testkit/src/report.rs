//! Comparing what a client printed or delivered with what a test expected,
//! with failure reports a person can read.

/// True for the notice of a lost connection.
pub fn is_lost(line: &str) -> bool {
    line.starts_with("komunikator: connection lost: ")
}

/// Owned copies of `lines`, to compare with what a client printed.
pub fn strings<const N: usize>(lines: [&str; N]) -> Vec<String> {
    lines.map(str::to_owned).to_vec()
}

/// Where `got` first differs from `want`; `None` when they are the same.
pub fn first_difference(got: &[String], want: &[String]) -> Option<String> {
    if got == want {
        return None;
    }
    let at = got.iter().zip(want).take_while(|(g, w)| g == w).count();
    Some(format!(
        "received {} of {} messages; the first {at} as sent, then got {:?} where {:?} was sent",
        got.len(),
        want.len(),
        got.get(at),
        want.get(at)
    ))
}

/// The first `n` lines of `lines`, for failure reports.
pub fn head(lines: &[String], n: usize) -> String {
    let mut text = lines.iter().take(n).cloned().collect::<Vec<_>>().join("\n");
    if lines.len() > n {
        text.push_str(&format!("\n… ({} lines in all)", lines.len()));
    }
    text
}

pub fn assert_names_unsent(stderr: &[String], unsent: &[&str]) {
    let summary = format!("komunikator: {} message(s) not sent: ", unsent.len());
    let Some(at) = stderr.iter().position(|l| l.starts_with(&summary)) else {
        panic!("no `{summary}<reason>` on stderr:\n{}", stderr.join("\n"));
    };
    let named: Vec<&str> = stderr[at + 1..]
        .iter()
        .filter(|l| l.starts_with("komunikator: not sent to "))
        .map(String::as_str)
        .collect();
    let expected: Vec<String> = unsent.iter().map(|u| format!("komunikator: not sent to {u}")).collect();
    assert_eq!(named, expected, "stderr:\n{}", stderr.join("\n"));
}
