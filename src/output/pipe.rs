//! stdout written from the event loop itself when it is a pipe:
//! the descriptor is made non-blocking (and restored on the way out), what
//! the reader cannot take yet waits in a bounded [`Lines`] queue, and the
//! loop writes the rest when the descriptor becomes writable. No thread and
//! no hand-over per message: the hot path of a script reading `--json`.

use std::io;
use std::os::fd::AsFd;

use rustix::fs::OFlags;
use tokio::net::unix::pipe::Sender;

use super::lines::{GapMarker, Lines};

pub struct Pipe {
    /// A duplicate of stdout's descriptor: it shares stdout's open file
    /// description, so the non-blocking flag tokio sets on it is stdout's too.
    sender: Sender,
    /// stdout's file status flags before, put back when done.
    flags: OFlags,
    lines: Lines,
    gap: GapMarker,
    broken: bool,
}

impl Pipe {
    /// Takes over stdout when it is a pipe or FIFO (an error otherwise: a
    /// terminal, a file or a socket is written by a thread of its own); must
    /// run inside the tokio runtime.
    pub fn stdout(bound: usize, gap: GapMarker) -> io::Result<Pipe> {
        let stdout = io::stdout();
        let flags = rustix::fs::fcntl_getfl(&stdout)?;
        let sender = Sender::from_owned_fd(stdout.as_fd().try_clone_to_owned()?);
        let sender = match sender {
            Ok(sender) => sender,
            Err(e) => {
                let _ = rustix::fs::fcntl_setfl(&stdout, flags);
                return Err(e);
            }
        };
        Ok(Pipe {
            sender,
            flags,
            lines: Lines::new(bound),
            gap,
            broken: false,
        })
    }

    /// True while something waits for the reader.
    pub fn pending(&self) -> bool {
        !self.lines.is_empty() && !self.broken
    }

    /// True once a write failed: the reader is gone.
    pub fn broken(&self) -> bool {
        self.broken
    }

    /// Writes whole lines now if the reader takes them, queues the rest.
    pub fn push(&mut self, bytes: &[u8]) {
        if bytes.is_empty() || self.broken {
            return;
        }
        if self.lines.is_empty() {
            match self.sender.try_write(bytes) {
                Ok(n) if n == bytes.len() => return,
                Ok(n) => self.lines.push_rest(&bytes[n..]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.lines.push(bytes),
                Err(_) => self.broken = true,
            }
            return;
        }
        self.lines.push(bytes);
    }

    /// Waits until the reader can take more, then writes what it takes.
    /// Cancel-safe: nothing is taken from the queue unless written.
    pub async fn flush_some(&mut self) {
        if self.sender.writable().await.is_err() {
            self.broken = true;
            return;
        }
        let pending = self.lines.pending(&self.gap);
        match self.sender.try_write(pending) {
            Ok(n) => self.lines.written(n),
            // Not writable after all: readiness was cleared, wait again.
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(_) => self.broken = true,
        }
    }

    /// Writes everything still queued, waiting for the reader as long as it takes.
    pub async fn finish(&mut self) {
        while self.pending() {
            self.flush_some().await;
        }
    }
}

impl Drop for Pipe {
    fn drop(&mut self) {
        let _ = rustix::fs::fcntl_setfl(io::stdout(), self.flags);
    }
}
