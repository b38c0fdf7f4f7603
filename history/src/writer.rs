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
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::{store, Error, Retention, Store, Stored};

/// How many writes may wait for the thread: at 10 000 messages a second,
/// ten seconds of a stalled disk.
pub const QUEUE: usize = 100_000;

/// How often the retention is applied after the first time, at start.
const PRUNE_EVERY: Duration = Duration::from_secs(60 * 60);

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
    error: Mutex<Option<String>>,
    /// Set when the writer is dropped without its queue flushed: what is left is not written.
    abandoned: AtomicBool,
}

/// The history's writer: a thread with its own connection, fed by a bounded queue.
pub struct Writer {
    sender: Option<SyncSender<Op>>,
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
        let (sender, receiver) = mpsc::sync_channel(capacity);
        let shared = Arc::new(Shared {
            done: Mutex::new(0),
            done_changed: Condvar::new(),
            dropped: AtomicU64::new(0),
            error: Mutex::new(None),
            abandoned: AtomicBool::new(false),
        });
        let thread_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("history-writer".into())
            .spawn(move || run(store, &receiver, &thread_shared, retention, capacity))
            .map_err(|e| Error::open(path, e))?;
        Ok(Writer {
            sender: Some(sender),
            queued: Mutex::new(0),
            shared,
            thread: Some(thread),
        })
    }

    /// Queues `message` without waiting; false when the queue is full, and
    /// the message is counted as dropped.
    pub fn store(&self, message: Stored) -> bool {
        if self.queue(Op::Store(message)) {
            return true;
        }
        self.shared.dropped.fetch_add(1, Ordering::Relaxed);
        false
    }

    /// Queues a forget of `room`, done after everything queued before it.
    /// A full queue makes it an error (see [`Writer::take_error`]) rather
    /// than a wait.
    pub fn forget(&self, room: &str) {
        if !self.queue(Op::Forget(room.to_owned())) {
            let error = format!("the history's writer is behind: {room} was not forgotten, try again");
            *lock(&self.shared.error) = Some(error);
        }
    }

    /// Waits, at most `timeout`, until everything queued so far is written
    /// (or failed); false on timeout.
    pub fn flush(&self, timeout: Duration) -> bool {
        let target = *lock(&self.queued);
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

    fn queue(&self, op: Op) -> bool {
        let Some(sender) = &self.sender else { return false };
        let mut queued = lock(&self.queued);
        match sender.try_send(op) {
            Ok(()) => {
                *queued += 1;
                true
            }
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => false,
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
            if flushed {
                let _ = thread.join();
            }
        }
    }
}

fn run(mut store: Store, receiver: &Receiver<Op>, shared: &Shared, retention: Retention, capacity: usize) {
    let prunes = retention != Retention::default();
    let mut next_prune = Instant::now();
    loop {
        if prunes && Instant::now() >= next_prune {
            if let Err(e) = store.prune(retention, now_ms()) {
                *lock(&shared.error) = Some(e.to_string());
            }
            next_prune = Instant::now() + PRUNE_EVERY;
        }
        let wait = if prunes {
            next_prune.saturating_duration_since(Instant::now())
        } else {
            PRUNE_EVERY
        };
        let first = match receiver.recv_timeout(wait) {
            Ok(op) => op,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => return,
        };
        let mut batch = vec![first];
        batch.extend(receiver.try_iter().take(capacity));
        let stores = batch.iter().filter(|op| matches!(op, Op::Store(_))).count() as u64;
        if shared.abandoned.load(Ordering::Relaxed) {
            shared.dropped.fetch_add(stores, Ordering::Relaxed);
        } else if let Err(e) = write(&mut store, &batch) {
            shared.dropped.fetch_add(stores, Ordering::Relaxed);
            *lock(&shared.error) = Some(e.to_string());
        }
        *lock(&shared.done) += batch.len() as u64;
        shared.done_changed.notify_all();
    }
}

/// Writes `batch` in one transaction, in queue order.
fn write(store: &mut Store, batch: &[Op]) -> Result<(), Error> {
    store.in_write(|tx| {
        for op in batch {
            match op {
                Op::Store(message) => drop(store::insert(tx, message)?),
                Op::Forget(room) => drop(store::forget(tx, room)?),
            }
        }
        Ok(())
    })
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
