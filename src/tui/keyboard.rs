//! The terminal's input, read on a thread of its own.
//!
//! crossterm 0.29 reads a terminal that has hung up (its window closed, the
//! ssh session dropped) for ever: `read` returns 0, and it reads again
//! without returning, on whatever thread asked. The program then spins at
//! full CPU and never sees its SIGHUP. So this thread asks the kernel first
//! whether the terminal is still there, and only then lets crossterm read;
//! a hangup ends the input with [`Input::Gone`], which the loop takes as a
//! quit, as it takes SIGHUP.

use std::fs::File;
use std::os::fd::{AsFd, BorrowedFd};
use std::time::Duration;

use crossterm::event::{self, Event};
use rustix::event::{poll, PollFd, PollFlags, Timespec};
use tokio::sync::mpsc;

/// How long one wait for input lasts: a resize (which crossterm learns from
/// SIGWINCH, not from the terminal) is noticed within this.
const WAIT: Timespec = Timespec {
    tv_sec: 0,
    tv_nsec: 50_000_000,
};

pub(super) enum Input {
    Event(Event),
    /// The terminal hung up, or cannot be read any more.
    Gone,
}

/// Starts the input thread; it ends when the terminal goes or the receiver is dropped.
pub(super) fn spawn() -> mpsc::Receiver<Input> {
    let (tx, rx) = mpsc::channel(256);
    let spawned = std::thread::Builder::new()
        .name("keyboard".into())
        .spawn(move || read_until_gone(&tx));
    if spawned.is_err() {
        tracing::warn!("no thread for the keyboard: input is not read");
    }
    rx
}

fn read_until_gone(tx: &mpsc::Sender<Input>) {
    // The terminal crossterm reads (stdin when it is one, else /dev/tty).
    let tty = File::open("/dev/tty").ok();
    let stdin = std::io::stdin();
    let fd: BorrowedFd<'_> = match &tty {
        Some(tty) => tty.as_fd(),
        None => stdin.as_fd(),
    };
    loop {
        if hung_up(fd) {
            let _ = tx.blocking_send(Input::Gone);
            return;
        }
        // Keys waiting, or a resize: take every event there is now.
        loop {
            match event::poll(Duration::ZERO) {
                Ok(true) => {}
                Ok(false) => break,
                Err(_) => {
                    let _ = tx.blocking_send(Input::Gone);
                    return;
                }
            }
            let input = match event::read() {
                Ok(event) => Input::Event(event),
                Err(_) => Input::Gone,
            };
            let gone = matches!(input, Input::Gone);
            if tx.blocking_send(input).is_err() || gone {
                return;
            }
        }
    }
}

/// Waits up to [`WAIT`] for input; true when the terminal has hung up.
fn hung_up(fd: BorrowedFd<'_>) -> bool {
    let mut fds = [PollFd::new(&fd, PollFlags::IN)];
    match poll(&mut fds, Some(&WAIT)) {
        Ok(_) => fds[0]
            .revents()
            .intersects(PollFlags::HUP | PollFlags::ERR | PollFlags::NVAL),
        Err(rustix::io::Errno::INTR) => false,
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_terminal_whose_other_end_closed_is_hung_up_and_a_live_one_is_not() {
        let (master, slave) = pty_pair();
        assert!(!hung_up(slave.as_fd()), "a live terminal with no input");
        drop(master);
        assert!(hung_up(slave.as_fd()), "the terminal's other end is closed");
    }

    /// A pseudo-terminal: its controlling end and the end a program reads.
    fn pty_pair() -> (File, File) {
        use rustix::pty::{grantpt, openpt, ptsname, unlockpt, OpenptFlags};
        let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).expect("openpt");
        grantpt(&master).expect("grantpt");
        unlockpt(&master).expect("unlockpt");
        let name = ptsname(&master, Vec::new()).expect("ptsname");
        let slave = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(name.to_str().expect("a path"))
            .expect("open the terminal");
        (File::from(master), slave)
    }
}
