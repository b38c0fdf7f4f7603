//! The history's writes, off the caller's thread.
//!
//! The UI's event loop stores every message it shows, on the network's hot
//! path: it must never wait for a disk, another process's transaction or a
//! prune. So `store` only puts the message in a bounded queue (and drops it,
//! counted, when the queue is full), and a thread of its own writes whatever
//! has queued up in one transaction, which keeps up with floods far beyond
//! what one transaction per message would.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::{store, Error, Retention, Store, Stored};

/// How many writes may wait for the thread: at 10 000 messages a second,
/// ten seconds of a stalled disk.
pub const QUEUE: usize = 100_000;

/// Bytes of messages that may wait for the thread: the queue's count alone
/// would let long messages (32 KiB each may be shown) hold gigabytes.
pub const QUEUE_BYTES: usize = 4 * 1024 * 1024;

/// What a queued message holds on to, about: its strings, their allocator
/// overhead (up to five allocations) and its place in the channel.
fn weight(message: &Stored) -> usize {
    message.text.len()
        + message.id.len()
        + message.room.len()
        + message.user.as_ref().map_or(0, String::len)
        + message.mark.as_ref().map_or(0, String::len)
        + 192
}

/// How long the thread gathers messages before it writes them: one
/// transaction (and one full-text segment) per tenth of a second rather than
/// per message, which at chat rates costs a tenth of the CPU. A crash loses
/// at most this much.
const GATHER: Duration = Duration::from_millis(100);
/// Steps of the gathering, to notice a flush or a full batch.
const GATHER_STEP: Duration = Duration::from_millis(10);
/// How long after the last message the thread keeps looking for the next
/// in steps rather than waiting on the queue.
const QUIET: Duration = Duration::from_secs(2);
/// A batch this large is written at once.
const BATCH: usize = 10_000;

/// How often the retention is applied after the first time, at start.
const PRUNE_EVERY: Duration = Duration::from_secs(60 * 60);

/// Tries of a batch while another connection holds the file, each after the busy timeout (5 s).
const BUSY_ATTEMPTS: u32 = 3;

/// How long dropping the writer waits for what is queued.
const DROP_FLUSH: Duration = Duration::from_secs(5);

enum Op {
    Store(Stored),
    Forget(String),
}

/// What the thread tells the callers.
struct Shared {
    /// Operations finished (written, or failed and counted), in queue order.
    done: Mutex<u64>,
    done_changed: Condvar,
    dropped: AtomicU64,
    /// Bytes of the messages queued and not yet written ([`weight`]).
    queued_bytes: std::sync::atomic::AtomicUsize,
    error: Mutex<Option<String>>,
    /// Set when the writer is dropped without its queue flushed: what is left is not written.
    abandoned: AtomicBool,
    /// The thread is pruning: a long delete that quitting need not wait for.
    pruning: AtomicBool,
    /// A flush waits for the operations up to this count: write them now.
    hurry_to: AtomicU64,
}

/// The history's writer: a thread with its own connection, fed by a bounded queue.
pub struct Writer {
    sender: Option<Sender<Op>>,
    /// Operations that may wait at most (a bounded channel would allocate
    /// room for all of them up front: megabytes for an idle chat).
    capacity: u64,
    /// Operations queued. Sending under this lock keeps the count in queue
    /// order, so `flush` waits for exactly what was queued before it.
    queued: Mutex<u64>,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    /// Opens a connection of its own to `path` (as [`Store::open`]) and starts
    /// the thread, which applies `retention` at once and then every hour.
    pub fn spawn(path: &Path, retention: Retention) -> Result<Writer, Error> {
        Writer::with_capacity(path, retention, QUEUE)
    }

    pub(crate) fn with_capacity(path: &Path, retention: Retention, capacity: usize) -> Result<Writer, Error> {
        let store = Store::open(path)?;
        let (sender, receiver) = mpsc::channel();
        let shared = Arc::new(Shared {
            done: Mutex::new(0),
            done_changed: Condvar::new(),
            dropped: AtomicU64::new(0),
            queued_bytes: std::sync::atomic::AtomicUsize::new(0),
            error: Mutex::new(None),
            abandoned: AtomicBool::new(false),
            pruning: AtomicBool::new(false),
            hurry_to: AtomicU64::new(0),
        });
        let thread_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("history-writer".into())
            .spawn(move || run(store, &receiver, &thread_shared, retention, capacity))
            .map_err(|e| Error::open(path, e))?;
        Ok(Writer {
            sender: Some(sender),
            capacity: capacity as u64,
            queued: Mutex::new(0),
            shared,
            thread: Some(thread),
        })
    }

    /// Queues `message` without waiting; false when the queue is full, and
    /// the message is counted as dropped.
    pub fn store(&self, message: Stored) -> bool {
        let weight = weight(&message);
        let bytes = &self.shared.queued_bytes;
        if bytes.fetch_add(weight, Ordering::Relaxed) + weight <= QUEUE_BYTES && self.queue(Op::Store(message)).is_ok()
        {
            return true;
        }
        bytes.fetch_sub(weight, Ordering::Relaxed);
        self.shared.dropped.fetch_add(1, Ordering::Relaxed);
        false
    }

    /// Queues a forget of `room`, done after everything queued before it.
    /// A full queue makes it an error (see [`Writer::take_error`]) rather
    /// than a wait.
    pub fn forget(&self, room: &str) {
        if let Err(state) = self.queue(Op::Forget(room.to_owned())) {
            *lock(&self.shared.error) = Some(format!("{room} was not forgotten: the history's writer {state}"));
        }
    }

    /// Waits, at most `timeout`, until everything queued so far is written
    /// (or failed); false on timeout.
    pub fn flush(&self, timeout: Duration) -> bool {
        let target = *lock(&self.queued);
        self.shared.hurry_to.fetch_max(target, Ordering::Relaxed);
        let deadline = Instant::now() + timeout;
        let mut done = lock(&self.shared.done);
        while *done < target {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            done = self
                .shared
                .done_changed
                .wait_timeout(done, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        true
    }

    /// Messages dropped (queue full, or their write failed) since the last call.
    pub fn take_dropped(&self) -> u64 {
        self.shared.dropped.swap(0, Ordering::Relaxed)
    }

    /// The latest write error since the last call, in words.
    pub fn take_error(&self) -> Option<String> {
        lock(&self.shared.error).take()
    }

    /// Sends `op` unless the queue is full; the error tells the writer's state in words.
    fn queue(&self, op: Op) -> Result<(), &'static str> {
        let Some(sender) = &self.sender else {
            return Err("has stopped");
        };
        let mut queued = lock(&self.queued);
        let done = *lock(&self.shared.done);
        if queued.saturating_sub(done) >= self.capacity {
            return Err("is behind, try again");
        }
        match sender.send(op) {
            Ok(()) => {
                *queued += 1;
                Ok(())
            }
            Err(_) => {
                *lock(&self.shared.error) = Some("the history's writer has stopped".to_owned());
                Err("has stopped")
            }
        }
    }
}

impl Drop for Writer {
    /// Writes what is queued, for 5 s at most. Past that the thread is left
    /// to finish its transaction alone: a hung disk must not hang the quit,
    /// and the WAL makes a transaction cut short by the exit harmless.
    fn drop(&mut self) {
        let flushed = self.flush(DROP_FLUSH);
        if !flushed {
            self.shared.abandoned.store(true, Ordering::Relaxed);
        }
        self.sender = None;
        if let Some(thread) = self.thread.take() {
            // A prune (thousands of old messages at the first start after a
            // long pause) is left to the exit: its transaction rolls back.
            if flushed && !self.shared.pruning.load(Ordering::Relaxed) {
                let _ = thread.join();
            }
        }
    }
}

fn run(mut history: Store, receiver: &Receiver<Op>, shared: &Shared, retention: Retention, capacity: usize) {
    let prunes = retention != Retention::default();
    let mut next_prune = Instant::now();
    // Operations taken so far (the `done` count, once written).
    let mut written: u64 = 0;
    let mut last_op: Option<Instant> = None;
    loop {
        if prunes && Instant::now() >= next_prune {
            shared.pruning.store(true, Ordering::Relaxed);
            if let Err(e) = history.prune(retention, now_ms()) {
                *lock(&shared.error) = Some(e.to_string());
            }
            shared.pruning.store(false, Ordering::Relaxed);
            next_prune = Instant::now() + PRUNE_EVERY;
        }
        let wait = if prunes {
            next_prune.saturating_duration_since(Instant::now())
        } else {
            PRUNE_EVERY
        };
        // While messages keep coming the thread looks for them in steps
        // instead of waiting on the queue, so that a sender never has to
        // wake it (a system call and a context switch on the path of every
        // message); after QUIET of nothing it waits on the queue again, and
        // an idle chat costs nothing.
        let first = if last_op.is_some_and(|at| at.elapsed() < QUIET) {
            match receiver.try_recv() {
                Ok(op) => op,
                Err(TryRecvError::Empty) => {
                    if shared.hurry_to.load(Ordering::Relaxed) <= written {
                        std::thread::sleep(GATHER_STEP);
                    }
                    continue;
                }
                Err(TryRecvError::Disconnected) => return,
            }
        } else {
            match receiver.recv_timeout(wait) {
                Ok(op) => op,
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        };
        last_op = Some(Instant::now());
        let mut batch = vec![first];
        let until = Instant::now() + GATHER;
        loop {
            batch.extend(receiver.try_iter().take(capacity.saturating_sub(batch.len())));
            let hurried = shared.hurry_to.load(Ordering::Relaxed) > written;
            if hurried || batch.len() >= BATCH.min(capacity) || Instant::now() >= until {
                break;
            }
            std::thread::sleep(GATHER_STEP);
        }
        // What a flush waits for may have come in meanwhile.
        batch.extend(receiver.try_iter().take(capacity.saturating_sub(batch.len())));
        written += batch.len() as u64;
        let stores = batch.iter().filter(|op| matches!(op, Op::Store(_))).count() as u64;
        let bytes: usize = batch
            .iter()
            .map(|op| match op {
                Op::Store(message) => weight(message),
                Op::Forget(_) => 0,
            })
            .sum();
        if shared.abandoned.load(Ordering::Relaxed) {
            shared.dropped.fetch_add(stores, Ordering::Relaxed);
        } else if let Err(e) = write(&mut history, &batch) {
            shared.dropped.fetch_add(stores, Ordering::Relaxed);
            *lock(&shared.error) = Some(e.to_string());
        }
        shared.queued_bytes.fetch_sub(bytes, Ordering::Relaxed);
        *lock(&shared.done) += batch.len() as u64;
        shared.done_changed.notify_all();
    }
}

/// Writes `batch` in one transaction, in queue order. Another process may
/// hold the file longer than the busy timeout (a big prune): that is tried
/// again a few times before the batch is given up.
fn write(history: &mut Store, batch: &[Op]) -> Result<(), Error> {
    let mut attempts = 0;
    loop {
        let result = history.in_write(|tx| {
            for op in batch {
                match op {
                    Op::Store(message) => drop(store::insert(tx, message)?),
                    Op::Forget(room) => drop(store::forget(tx, room)?),
                }
            }
            Ok(())
        });
        attempts += 1;
        match result {
            Err(e) if e.is_busy() && attempts < BUSY_ATTEMPTS => {}
            result => return result,
        }
    }
}

fn now_ms() -> i64 {
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX)
}

/// The data behind these locks stays consistent at every point a panic could
/// happen, so a poisoned lock is used as it is.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
#[path = "writer_tests.rs"]
mod tests;
