//! Writing to stdout or stderr on a thread of its own, so that a reader that
//! stops reading (a stalled ssh session, a frozen tmux, a slow pipe) never
//! stops the MQTT session: keep-alives, acks and receiving go on.
//!
//! The event loop appends whole lines to a queue and never blocks on it; the
//! writer thread takes everything queued at once and writes it. When a line
//! queue holds more than its bound, the oldest lines not yet handed to the
//! thread are dropped and counted, and a marker saying how many takes their
//! place in the output.

mod lines;
pub mod pipe;

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

pub use lines::{GapMarker, Lines};

struct Queue {
    lines: Lines,
    /// The thread is writing a hand-over (or has not taken the queue yet).
    busy: bool,
    /// The thread waits for work and must be woken.
    asleep: bool,
    /// No more output will come: write what is left and stop.
    closed: bool,
    /// Writing failed (the reader went away): nothing more is written.
    broken: bool,
}

impl Queue {
    fn new(bound: usize) -> Self {
        Queue {
            lines: Lines::new(bound),
            busy: false,
            asleep: false,
            closed: false,
            broken: false,
        }
    }
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
    /// The writer thread, until [`Output::finish`] joins it.
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Output {
    /// Starts the writer thread for `sink`. `bound` and `gap` (both or neither)
    /// make it a line queue that drops its oldest lines past `bound` bytes;
    /// without, everything is held (screen frames: the UI makes no new frame
    /// while the last one is being written).
    /// `written` is called on the writer thread after each hand-over is written.
    pub fn spawn(
        name: &str,
        mut sink: impl Write + Send + 'static,
        bound: Option<usize>,
        gap: Option<GapMarker>,
        mut written: impl FnMut() + Send + 'static,
    ) -> Output {
        let gap = gap.unwrap_or_else(|| Box::new(|_| Vec::new()));
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::new(bound.unwrap_or(usize::MAX))),
            changed: Condvar::new(),
        });
        let theirs = shared.clone();
        let thread = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let mut chunk = Vec::new();
                loop {
                    {
                        let mut q = theirs.lock();
                        while q.lines.is_empty() && !q.closed {
                            q.busy = false;
                            theirs.changed.notify_all();
                            q.asleep = true;
                            q = theirs.changed.wait(q).unwrap_or_else(|p| p.into_inner());
                            q.asleep = false;
                        }
                        if q.lines.is_empty() {
                            q.busy = false;
                            theirs.changed.notify_all();
                            return;
                        }
                        q.busy = true;
                        // Swap, so neither side allocates once both buffers have grown.
                        q.lines.take_into(&mut chunk, &gap);
                    }
                    let result = sink.write_all(&chunk).and_then(|()| sink.flush());
                    if result.is_err() {
                        let mut q = theirs.lock();
                        q.broken = true;
                        q.busy = false;
                        q.lines = Lines::new(0);
                        theirs.changed.notify_all();
                        return;
                    }
                    written();
                }
            })
            .expect("the output thread starts");
        Output {
            shared,
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
        q.lines.push(bytes);
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
        while !output.shared.lock().lines.is_empty() {
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
