//! Lines from stdin, read only as fast as the client can take them.
//!
//! A thread reads stdin, but only while it holds credit: the front end
//! grants as many lines as the outbox has room for, so a pipe of any length
//! waits in the pipe (not in memory, and never refused) until the broker
//! has taken what came before. The thread stops after a `/quit` line, so the
//! lines after it are never read, and the lines it read but the client never
//! took are handed back at exit to be named.

use std::collections::VecDeque;
use std::io::BufRead;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use tokio::sync::Notify;

use crate::app::command::{self, Command};

#[derive(Default)]
struct Inbox {
    lines: VecDeque<String>,
    /// Lines the thread may still read.
    credit: usize,
    /// End of input, or a `/quit` line, was read: nothing more comes.
    ended: bool,
    /// The client is leaving: read nothing more.
    stopped: bool,
}

struct Shared {
    inbox: Mutex<Inbox>,
    /// Wakes the thread when credit is granted or reading stops.
    credit: Condvar,
    /// Wakes the client when a line (or the end) arrives.
    arrived: Notify,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inbox> {
        self.inbox.lock().unwrap_or_else(|p| p.into_inner())
    }
}

pub(super) struct Input {
    shared: Arc<Shared>,
}

impl Input {
    /// Starts the reading thread on `source` (stdin), with no credit yet.
    pub(super) fn spawn(source: impl BufRead + Send + 'static) -> Input {
        let shared = Arc::new(Shared {
            inbox: Mutex::new(Inbox::default()),
            credit: Condvar::new(),
            arrived: Notify::new(),
        });
        let theirs = shared.clone();
        std::thread::Builder::new()
            .name("stdin".into())
            .spawn(move || read_lines(source, &theirs))
            .expect("the stdin thread starts");
        Input { shared }
    }

    /// Lets the thread read ahead so that `wanted` lines are (or will be) waiting.
    pub(super) fn want(&self, wanted: usize) {
        let mut inbox = self.shared.lock();
        let credit = wanted.saturating_sub(inbox.lines.len());
        if credit != inbox.credit {
            inbox.credit = credit;
            self.shared.credit.notify_one();
        }
    }

    /// The next line; `None` once input ended (end of file, or after `/quit`).
    /// Cancel-safe: a line is taken only when it is returned.
    pub(super) async fn next(&self) -> Option<String> {
        loop {
            let arrived = self.shared.arrived.notified();
            {
                let mut inbox = self.shared.lock();
                if let Some(line) = inbox.lines.pop_front() {
                    return Some(line);
                }
                if inbox.ended {
                    return None;
                }
            }
            arrived.await;
        }
    }

    /// The lines read and waiting, in order (reading goes on).
    pub(super) fn take_queued(&self) -> Vec<String> {
        self.shared.lock().lines.drain(..).collect()
    }

    /// Stops reading; returns the lines read but never taken, in order.
    pub(super) fn stop(&self) -> Vec<String> {
        let mut inbox = self.shared.lock();
        inbox.stopped = true;
        self.shared.credit.notify_one();
        inbox.lines.drain(..).collect()
    }
}

fn read_lines(mut source: impl BufRead, shared: &Shared) {
    let mut buf = Vec::new();
    loop {
        {
            let mut inbox = shared.lock();
            while inbox.credit == 0 && !inbox.stopped {
                inbox = shared.credit.wait(inbox).unwrap_or_else(|p| p.into_inner());
            }
            if inbox.stopped {
                return;
            }
            inbox.credit -= 1;
        }
        buf.clear();
        let line = match source.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => None,
            Ok(_) => {
                let line = String::from_utf8_lossy(&buf);
                Some(line.strip_suffix('\n').unwrap_or(&line).to_owned())
            }
        };
        let mut inbox = shared.lock();
        let ends = match line {
            Some(line) => {
                let quits = matches!(command::parse(line.trim_end_matches('\r')), Ok(Command::Quit(_)));
                inbox.lines.push_back(line);
                quits
            }
            None => true,
        };
        inbox.ended |= ends;
        drop(inbox);
        shared.arrived.notify_one();
        if ends {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(text: &'static str) -> Input {
        Input::spawn(std::io::Cursor::new(text.as_bytes()))
    }

    #[tokio::test]
    async fn nothing_is_read_without_credit_and_nothing_after_quit() {
        let input = input("one\ntwo\n/quit bye\nafter\n");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(input.shared.lock().lines.is_empty(), "no credit, no reading");
        input.want(1);
        assert_eq!(input.next().await.as_deref(), Some("one"));
        input.want(10);
        assert_eq!(input.next().await.as_deref(), Some("two"));
        assert_eq!(input.next().await.as_deref(), Some("/quit bye"));
        assert_eq!(input.next().await, None, "the line after /quit is never read");
    }

    #[tokio::test]
    async fn lines_read_but_not_taken_are_handed_back() {
        let input = input("a\nb\nc\n");
        input.want(2);
        assert_eq!(input.next().await.as_deref(), Some("a"));
        // Wait until the thread has read its second line.
        while input.shared.lock().lines.is_empty() {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        assert_eq!(input.stop(), ["b"]);
    }

    #[tokio::test]
    async fn queued_lines_can_be_taken_at_once_in_order() {
        let input = input("one\ntwo\nthree\n");
        input.want(3);
        while input.shared.lock().lines.len() < 3 {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        assert_eq!(input.take_queued(), ["one", "two", "three"]);
        assert!(input.stop().is_empty());
    }

    #[tokio::test]
    async fn end_of_input_ends_the_lines() {
        let input = input("last");
        input.want(5);
        assert_eq!(input.next().await.as_deref(), Some("last"));
        assert_eq!(input.next().await, None);
    }
}
