//! Leaving raw mode when the UI ends, and what to say when that fails: a
//! terminal that went away (its window closed, the ssh session dropped) has
//! nothing left to restore, and a line about it would only land in a log;
//! a live terminal left in raw mode is worth one line, since the shell after
//! us is unusable until `reset`.

use std::io::{self, IsTerminal};

use crossterm::terminal::disable_raw_mode;
use rustix::io::Errno;

/// Leaves raw mode; says why not when a terminal is still there to fix.
/// `output_broken`: writing the screen failed already (its reader is gone).
pub(super) fn leave_raw_mode(output_broken: bool) {
    if let Err(err) = disable_raw_mode() {
        if worth_saying(&err, output_broken, io::stdin().is_terminal()) {
            eprintln!("komunikator: could not restore the terminal ({err}); `reset` repairs it");
        }
    }
}

/// Whether a failure to restore the terminal concerns one still in use.
fn worth_saying(err: &io::Error, output_broken: bool, still_a_terminal: bool) -> bool {
    // The errors of a terminal that is gone: hung up (EIO), no such device
    // (ENXIO, ENODEV: no controlling terminal to open), not a terminal any more.
    let gone = [Errno::IO, Errno::NXIO, Errno::NODEV, Errno::NOTTY];
    let gone = Errno::from_io_error(err).is_some_and(|errno| gone.contains(&errno));
    !gone && !output_broken && still_a_terminal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_terminal_that_is_gone_is_skipped_silently_a_live_one_is_reported() {
        let os = |errno: Errno| io::Error::from(errno);
        let cases = [
            (os(Errno::NODEV), false, true, false),
            (os(Errno::NXIO), false, true, false),
            (os(Errno::IO), false, true, false),
            (os(Errno::NOTTY), false, true, false),
            (io::Error::from(io::ErrorKind::Interrupted), true, true, false),
            (io::Error::from(io::ErrorKind::Interrupted), false, false, false),
            (io::Error::from(io::ErrorKind::Interrupted), false, true, true),
            (os(Errno::PERM), false, true, true),
        ];
        for (err, broken, terminal, want) in cases {
            assert_eq!(
                worth_saying(&err, broken, terminal),
                want,
                "{err} broken={broken} terminal={terminal}"
            );
        }
    }
}
