//! stdout written from the event loop itself when it is a pipe or a socket:
//! the descriptor is made non-blocking (and restored on the way out), what
//! the reader cannot take yet waits in a bounded [`Lines`] queue, and the
//! loop writes the rest when the descriptor becomes writable. No thread and
//! no hand-over per message: the hot path of a script reading `--json`.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};

use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

use super::lines::{GapMarker, Lines};

/// A descriptor we do not own (stdout), for the reactor to watch.
struct Fd(RawFd);

impl AsRawFd for Fd {
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}

pub struct Pipe {
    fd: AsyncFd<Fd>,
    /// The file status flags to put back when done.
    flags: libc::c_int,
    lines: Lines,
    gap: GapMarker,
    broken: bool,
}

/// True when `fd` is a pipe, FIFO or socket: the kinds that can be made
/// non-blocking and watched for writability.
pub fn is_pipe_or_socket(fd: BorrowedFd<'_>) -> bool {
    // SAFETY: fstat on a descriptor that is open for the borrow's lifetime,
    // into a zeroed struct it fills.
    let mut stat: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstat(fd.as_raw_fd(), &mut stat) } != 0 {
        return false;
    }
    matches!(stat.st_mode & libc::S_IFMT, libc::S_IFIFO | libc::S_IFSOCK)
}

fn set_flags(fd: RawFd, flags: libc::c_int) -> io::Result<()> {
    // SAFETY: F_SETFL on an open descriptor changes only its status flags.
    if unsafe { libc::fcntl(fd, libc::F_SETFL, flags) } == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

impl Pipe {
    /// Takes over `fd` (a pipe or socket, see [`is_pipe_or_socket`]); must
    /// run inside the tokio runtime.
    pub fn new(fd: RawFd, bound: usize, gap: GapMarker) -> io::Result<Pipe> {
        // SAFETY: F_GETFL on a descriptor the process holds open.
        let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
        if flags == -1 {
            return Err(io::Error::last_os_error());
        }
        set_flags(fd, flags | libc::O_NONBLOCK)?;
        // SAFETY: the descriptor is stdout, open for the life of the process
        // and never closed or replaced by it; `Fd` always returns it.
        let registered = unsafe { AsyncFd::register_with_interest(Fd(fd), Interest::WRITABLE) };
        let fd = match registered {
            Ok(fd) => fd,
            Err(e) => {
                let _ = set_flags(fd, flags);
                return Err(e.into());
            }
        };
        Ok(Pipe {
            fd,
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
            match write(self.fd.get_ref().0, bytes) {
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
        let Ok(mut ready) = self.fd.writable().await else {
            self.broken = true;
            return;
        };
        let pending = self.lines.pending(&self.gap);
        match ready.try_io(|fd| write(fd.get_ref().0, pending)) {
            Ok(Ok(n)) => self.lines.written(n),
            Ok(Err(_)) => self.broken = true,
            // Not writable after all: readiness was cleared, wait again.
            Err(_would_block) => {}
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
        let _ = set_flags(self.fd.get_ref().0, self.flags);
    }
}

fn write(fd: RawFd, bytes: &[u8]) -> io::Result<usize> {
    // SAFETY: writes from a live slice to a descriptor the process holds open.
    let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}
