//! Writing to stdout or stderr on a thread of its own, so that a reader that
//! stops reading (a stalled ssh session, a frozen tmux, a slow pipe) never
//! stops the MQTT session: keep-alives, acks and receiving go on.
//!
//! The event loop appends whole lines to a queue and never blocks on it; the
//! writer thread takes everything queued at once and writes it. When a line
//! queue holds more than its bound, the oldest lines not yet handed to the
//! thread are dropped and counted, and a marker saying how many takes their
//! place in the output.

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// Makes the line that stands for `missed` dropped lines (ending in `\n`).
pub type GapMarker = Box<dyn Fn(usize) -> Vec<u8> + Send>;

#[derive(Default)]
struct Queue {
    bytes: Vec<u8>,
    /// Lines dropped from the front of `bytes` since the last hand-over.
    dropped: usize,
    /// The thread is writing a hand-over (or has not taken the queue yet).
    busy: bool,
    /// The thread waits for work and must be woken.
    asleep: bool,
    /// No more output will come: write what is left and stop.
    closed: bool,
    /// Writing failed (the reader went away): nothing more is written.
    broken: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    /// Signals the thread that there is work, and waiters that it is done.
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // A panic on the writer thread cannot leave the queue half-changed.
        self.queue.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// One output stream written on its own thread.
pub struct Output {
    shared: Arc<Shared>,
    /// Bytes held at most; `None`: hold everything (screen frames, which the
    /// UI does not produce while the previous one is being written).
    bound: Option<usize>,
    /// The writer thread, until [`Output::finish`] joins it.
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Output {
    /// Starts the writer thread for `sink`. `bound` and `gap` (both or neither)
    /// make it a line queue that drops its oldest lines past `bound` bytes.
    /// `written` is called on the writer thread after each hand-over is written.
    pub fn spawn(
        name: &str,
        mut sink: impl Write + Send + 'static,
        bound: Option<usize>,
        gap: Option<GapMarker>,
        mut written: impl FnMut() + Send + 'static,
    ) -> Output {
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            changed: Condvar::new(),
        });
        let theirs = shared.clone();
        let thread = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let mut chunk = Vec::new();
                loop {
                    let dropped;
                    {
                        let mut q = theirs.lock();
                        while q.bytes.is_empty() && q.dropped == 0 && !q.closed {
                            q.busy = false;
                            theirs.changed.notify_all();
                            q.asleep = true;
                            q = theirs.changed.wait(q).unwrap_or_else(|p| p.into_inner());
                            q.asleep = false;
                        }
                        if q.bytes.is_empty() && q.dropped == 0 {
                            q.busy = false;
                            theirs.changed.notify_all();
                            return;
                        }
                        q.busy = true;
                        // Swap, so neither side allocates once both buffers have grown.
                        std::mem::swap(&mut chunk, &mut q.bytes);
                        dropped = std::mem::take(&mut q.dropped);
                    }
                    let marker = match (&gap, dropped) {
                        (Some(gap), n) if n > 0 => gap(n),
                        _ => Vec::new(),
                    };
                    let result = sink
                        .write_all(&marker)
                        .and_then(|()| sink.write_all(&chunk))
                        .and_then(|()| sink.flush());
                    chunk.clear();
                    if result.is_err() {
                        let mut q = theirs.lock();
                        q.broken = true;
                        q.busy = false;
                        q.bytes = Vec::new();
                        theirs.changed.notify_all();
                        return;
                    }
                    written();
                }
            })
            .expect("the output thread starts");
        Output {
            shared,
            bound,
            thread: Mutex::new(Some(thread)),
        }
    }

    /// Queues `bytes` (whole lines for a bounded queue) without waiting.
    pub fn push(&self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let mut q = self.shared.lock();
        if q.broken || q.closed {
            return;
        }
        q.bytes.extend_from_slice(bytes);
        if let Some(bound) = self.bound {
            drop_oldest_lines(&mut q, bound);
        }
        q.busy = true;
        if q.asleep {
            self.shared.changed.notify_all();
        }
    }

    /// True while something handed over has not been written yet.
    pub fn busy(&self) -> bool {
        self.shared.lock().busy
    }

    /// True once a write failed: the reader is gone.
    pub fn broken(&self) -> bool {
        self.shared.lock().broken
    }

    /// Writes everything queued, then stops the thread; waits for both.
    /// Later pushes are ignored.
    pub fn finish(&self) {
        {
            let mut q = self.shared.lock();
            q.closed = true;
            self.shared.changed.notify_all();
        }
        let thread = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(thread) = thread {
            let _ = thread.join();
        }
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Drops whole lines from the front until at most `bound` bytes are held.
fn drop_oldest_lines(q: &mut Queue, bound: usize) {
    if q.bytes.len() <= bound {
        return;
    }
    let excess = q.bytes.len() - bound;
    // Cut after the line that holds the `excess`-th byte, so no line is split.
    let cut = match memchr_from(&q.bytes, excess.saturating_sub(1)) {
        Some(newline) => newline + 1,
        None => q.bytes.len(),
    };
    q.dropped += q.bytes[..cut].iter().filter(|&&b| b == b'\n').count();
    q.bytes.drain(..cut);
}

fn memchr_from(bytes: &[u8], from: usize) -> Option<usize> {
    bytes[from..].iter().position(|&b| b == b'\n').map(|i| from + i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// A sink that writes nothing until told to, like a reader that stopped.
    struct Gate {
        open: mpsc::Receiver<()>,
        out: Arc<Mutex<Vec<u8>>>,
        waited: bool,
    }

    impl Write for Gate {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if !self.waited {
                let _ = self.open.recv();
                self.waited = true;
            }
            self.out.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_stalled_reader_loses_the_oldest_lines_behind_a_marker_and_never_blocks() {
        let (open, gate) = mpsc::channel();
        let out = Arc::new(Mutex::new(Vec::new()));
        let sink = Gate {
            open: gate,
            out: out.clone(),
            waited: false,
        };
        let marker: GapMarker = Box::new(|n| format!("[{n} not shown]\n").into_bytes());
        let output = Output::spawn("test-output", sink, Some(20), Some(marker), || {});
        // The first line is taken by the thread, which then blocks on the gate.
        output.push(b"first\n");
        while !output.shared.lock().bytes.is_empty() {
            std::thread::yield_now();
        }
        for n in 0..100 {
            output.push(format!("line {n:02}\n").as_bytes());
        }
        open.send(()).unwrap();
        output.finish();
        let text = String::from_utf8(out.lock().unwrap().clone()).unwrap();
        // 20 bytes hold the last two 8-byte lines; 98 were dropped.
        assert_eq!(text, "first\n[98 not shown]\nline 98\nline 99\n");
    }

    #[test]
    fn without_a_bound_everything_is_written_in_order() {
        let out = Arc::new(Mutex::new(Vec::new()));
        struct Shared(Arc<Mutex<Vec<u8>>>);
        impl Write for Shared {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let output = Output::spawn("test-output", Shared(out.clone()), None, None, || {});
        let mut expected = Vec::new();
        for n in 0..10_000 {
            let line = format!("{n}\n");
            output.push(line.as_bytes());
            expected.extend_from_slice(line.as_bytes());
        }
        output.finish();
        assert_eq!(*out.lock().unwrap(), expected);
    }

    #[test]
    fn a_reader_that_went_away_is_noticed() {
        struct Closed;
        impl Write for Closed {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let output = Output::spawn("test-output", Closed, None, None, || {});
        output.push(b"x\n");
        while output.busy() {
            std::thread::yield_now();
        }
        assert!(output.broken());
    }
}
