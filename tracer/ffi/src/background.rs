//! [`BackgroundWriter`]: a [`NativeWriter`] on a thread of its own, so that
//! the program being captured only hands its trace over.
//!
//! What stays on the caller's thread is what the caller needs at once: a
//! value's digest (BLAKE3 over its bytes) and a copy of the bytes (the
//! caller's memory may change as soon as the call returns: an optimizer
//! step updates a weight in place), and whether a digest was handed over
//! before. Everything else — decoding and hashing events, the chain hashes,
//! views, BLOB checksums, EVENTS chunks, the file's writes — runs on the
//! writer's thread in hand-over order, so the bytes are those of the
//! synchronous writer.
//!
//! Failures: the thread keeps the first one and writes nothing handed over
//! after it; every later call reports it (the call that handed the bad work
//! over has returned by then). [`BackgroundWriter::sync`] waits for what was
//! handed over and reports a failure among it; [`BackgroundWriter::finish`]
//! syncs first, so a trace with a failure is never renamed into place.
//!
//! Memory: values are gathered on the caller's side into batches of about
//! [`BATCH_BYTES`] (events, which the caller batches itself, go at once),
//! and work passed on and not written yet is bounded by
//! [`QUEUE_BYTES`]; a caller that gets that far ahead waits. A process
//! killed outright loses at most that much more from its `.partial` file
//! than a synchronous writer would (which loses its pending EVENTS chunk).

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use ft_trace::{BlobRecord, Digest, StatsRecord, blob_digest};

use crate::writer::{NativeWriter, NativeWriterError, decode_stats};

/// Bytes of events and values handed over and not yet written beyond
/// which the caller waits for the writer's thread (one value larger than
/// this still goes, alone).
pub const QUEUE_BYTES: usize = 64 << 20;

/// Values are gathered on the caller's side and passed to the writer's
/// thread once they hold this many bytes, or with the next events or call
/// that needs an answer: one wake-up of that thread per batch, not per
/// value.
pub const BATCH_BYTES: usize = 1 << 20;

/// Where a trace stands once everything handed over is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    /// The seq the next event gets.
    pub next_seq: u64,
    /// Bytes written so far (the pending EVENTS chunk not included).
    pub offset: u64,
    /// The header's minor version.
    pub minor: u16,
}

/// Work for the writer's thread, done in the order handed over.
enum Job {
    Events { count: u32, events: Vec<u8> },
    Blob(BlobRecord),
    Stats(StatsRecord),
    Sync(Sender<Result<Position, String>>),
    Finish(Sender<Result<Vec<u8>, String>>),
    Abort(Sender<Result<(), String>>),
}

impl Job {
    /// What the job holds against [`QUEUE_BYTES`].
    fn bytes(&self) -> usize {
        match self {
            Job::Events { events, .. } => events.len(),
            Job::Blob(value) => value.data.len(),
            Job::Stats(_) | Job::Sync(_) | Job::Finish(_) | Job::Abort(_) => 0,
        }
    }
}

/// State both threads see.
#[derive(Default)]
struct Shared {
    /// Bytes the writer's thread has written, as of its last job.
    written: AtomicU64,
    failed: AtomicBool,
    failure: Mutex<Option<String>>,
    queued: Mutex<usize>,
    drained: Condvar,
}

impl Shared {
    /// Keeps the first failure's message.
    fn fail(&self, message: String) {
        let mut slot = lock(&self.failure);
        if slot.is_none() {
            *slot = Some(message);
        }
        self.failed.store(true, Ordering::Release);
    }

    fn has_failed(&self) -> bool {
        self.failed.load(Ordering::Acquire)
    }

    /// The first failure's message, if any.
    fn failure(&self) -> Option<String> {
        if !self.has_failed() {
            return None;
        }
        lock(&self.failure).clone()
    }

    /// Counts `bytes` as queued, first waiting while they would take the
    /// queue past [`QUEUE_BYTES`] (unless it is empty).
    fn reserve(&self, bytes: usize) {
        let mut queued = lock(&self.queued);
        while *queued > 0 && queued.saturating_add(bytes) > QUEUE_BYTES {
            queued = self
                .drained
                .wait(queued)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *queued += bytes;
    }

    /// Counts `bytes` as written.
    fn release(&self, bytes: usize) {
        let mut queued = lock(&self.queued);
        *queued = queued.saturating_sub(bytes);
        self.drained.notify_all();
    }
}

/// A lock that a panic elsewhere does not make unusable (the data it
/// guards stays consistent: each update is one assignment).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn stopped() -> NativeWriterError {
    NativeWriterError::Background("the trace writer's thread has stopped".into())
}

/// A trace written by a thread of its own (module docs); `NAME.partial`
/// until [`BackgroundWriter::finish`] renames it to `NAME`. Dropped
/// unfinished, it waits for what was handed over and leaves the
/// `.partial` file readable.
pub struct BackgroundWriter {
    jobs: Option<Sender<Vec<Job>>>,
    /// Work gathered and not yet passed on, and its bytes.
    batch: Vec<Job>,
    batch_bytes: usize,
    worker: Option<JoinHandle<()>>,
    shared: Arc<Shared>,
    known_blobs: HashSet<Digest>,
    known_stats: HashSet<Digest>,
}

impl BackgroundWriter {
    /// Creates `path.partial`, writes the header and the META chunk (`meta`:
    /// the msgpack of the META payload) and starts the writer's thread.
    pub fn create(path: &Path, meta: &[u8]) -> Result<BackgroundWriter, NativeWriterError> {
        let mut writer = NativeWriter::create(path, meta)?;
        let shared = Arc::new(Shared::default());
        shared.written.store(writer.offset(), Ordering::Relaxed);
        let (jobs, queue) = mpsc::channel();
        let worker = std::thread::Builder::new()
            .name("ftr-writer".into())
            .spawn({
                let shared = Arc::clone(&shared);
                move || work(writer, &queue, &shared)
            })
            .map_err(|e| {
                NativeWriterError::Background(format!(
                    "cannot start the trace writer's thread: {e}"
                ))
            })?;
        Ok(BackgroundWriter {
            jobs: Some(jobs),
            batch: Vec::new(),
            batch_bytes: 0,
            worker: Some(worker),
            shared,
            known_blobs: HashSet::new(),
            known_stats: HashSet::new(),
        })
    }

    /// Hands `count` events over, encoded one after another in `events`
    /// (as [`NativeWriter::append_events`] takes them). A payload that
    /// does not decode is reported by a later call, by its seq; the events
    /// before it are written.
    pub fn append_events(&mut self, count: u32, events: &[u8]) -> Result<(), NativeWriterError> {
        self.check()?;
        self.send(Job::Events {
            count,
            events: events.to_vec(),
        })
    }

    /// Stores a tensor value once per digest (as [`NativeWriter::put_blob`]);
    /// returns its digest. Hashes and copies `data` before returning.
    pub fn put_blob(
        &mut self,
        dtype: &str,
        shape: &[i64],
        data: &[u8],
    ) -> Result<Digest, NativeWriterError> {
        self.check()?;
        let digest = blob_digest(dtype, shape, data);
        if self.known_blobs.insert(digest) {
            self.send(Job::Blob(BlobRecord {
                digest,
                dtype: dtype.to_owned(),
                shape: shape.to_vec(),
                data: data.to_vec(),
            }))?;
        }
        Ok(digest)
    }

    /// Stores a STATS record (its msgpack, as [`NativeWriter::put_stats`])
    /// unless its digest has a value already; returns the digest. A record
    /// that does not decode is refused at once.
    pub fn put_stats(&mut self, record: &[u8]) -> Result<Digest, NativeWriterError> {
        self.check()?;
        let record = decode_stats(record)?;
        let digest = record.digest;
        if !self.known_blobs.contains(&digest) && self.known_stats.insert(digest) {
            self.send(Job::Stats(record))?;
        }
        Ok(digest)
    }

    /// Whether `put_blob` (`full`) or `put_stats` of this digest would
    /// hand nothing over.
    pub fn has_value(&self, digest: &Digest, full: bool) -> bool {
        self.known_blobs.contains(digest) || (!full && self.known_stats.contains(digest))
    }

    /// Bytes written so far, without waiting for what was handed over (a
    /// progress report's figure).
    pub fn written(&self) -> u64 {
        self.shared.written.load(Ordering::Relaxed)
    }

    /// Waits until everything handed over is written (up to the pending
    /// EVENTS chunk); returns where the trace stands, or the first failure.
    pub fn sync(&mut self) -> Result<Position, NativeWriterError> {
        self.check()?;
        let (reply, answer) = mpsc::channel();
        self.send(Job::Sync(reply))?;
        let position = answer
            .recv()
            .map_err(|_| stopped())?
            .map_err(NativeWriterError::Background)?;
        self.check()?;
        Ok(position)
    }

    /// Writes everything handed over, the values no event named, the
    /// pending events, the INDEX and trailer, syncs the file and renames it
    /// into place; returns the INDEX payload's msgpack. After a failure it
    /// reports that failure and leaves the `.partial` file.
    pub fn finish(mut self) -> Result<Vec<u8>, NativeWriterError> {
        self.sync()?;
        let (reply, answer) = mpsc::channel();
        self.send(Job::Finish(reply))?;
        let result = answer.recv().map_err(|_| stopped());
        self.stop();
        result?.map_err(NativeWriterError::Background)
    }

    /// Writes everything handed over before a failure, if any, and the
    /// pending events, and leaves `NAME.partial` in place.
    pub fn abort(mut self) -> Result<(), NativeWriterError> {
        let (reply, answer) = mpsc::channel();
        self.send(Job::Abort(reply))?;
        let result = answer.recv().map_err(|_| stopped());
        self.stop();
        result?.map_err(NativeWriterError::Background)
    }

    /// The first failure of the writer's thread, as this call's error.
    fn check(&self) -> Result<(), NativeWriterError> {
        match self.shared.failure() {
            Some(message) => Err(NativeWriterError::Background(message)),
            None => Ok(()),
        }
    }

    /// Adds `job` to the batch; passes the batch on when it is full, when
    /// the job asks for an answer, or when it brings events (the caller
    /// hands those over in batches already, and a process killed outright
    /// keeps every EVENTS chunk the thread completed: events gathered here
    /// would never fill one).
    fn send(&mut self, job: Job) -> Result<(), NativeWriterError> {
        let at_once = !matches!(job, Job::Blob(_) | Job::Stats(_));
        self.batch_bytes += job.bytes();
        self.batch.push(job);
        if at_once || self.batch_bytes >= BATCH_BYTES {
            self.pass_on()?;
        }
        Ok(())
    }

    /// Passes the gathered work to the writer's thread, first waiting while
    /// the work in flight is over budget.
    fn pass_on(&mut self) -> Result<(), NativeWriterError> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let jobs = self.jobs.as_ref().ok_or_else(stopped)?;
        let bytes = std::mem::take(&mut self.batch_bytes);
        let batch = std::mem::take(&mut self.batch);
        self.shared.reserve(bytes);
        jobs.send(batch).map_err(|_| {
            self.shared.release(bytes);
            stopped()
        })
    }

    /// Ends the writer's thread once it has done what was handed over.
    fn stop(&mut self) {
        // Nothing to report a failure to: the thread keeps what it can.
        let _ = self.pass_on();
        self.jobs = None;
        if let Some(worker) = self.worker.take() {
            // A panic on that thread was caught job by job; one escaping
            // anyway has nothing left to report.
            let _ = worker.join();
        }
    }
}

impl Drop for BackgroundWriter {
    fn drop(&mut self) {
        // The thread drops its writer unfinished, which writes the pending
        // events and leaves the `.partial` file.
        self.stop();
    }
}

/// The writer's thread: does each job in turn; after the first failure
/// only answers.
fn work(writer: NativeWriter, queue: &Receiver<Vec<Job>>, shared: &Shared) {
    let mut writer = Some(writer);
    for batch in queue {
        let bytes = batch.iter().map(Job::bytes).sum();
        for job in batch {
            do_job(job, &mut writer, shared);
        }
        if let Some(w) = writer.as_mut() {
            shared.written.store(w.offset(), Ordering::Relaxed);
        }
        shared.release(bytes);
    }
}

/// One job of the writer's thread.
fn do_job(job: Job, writer: &mut Option<NativeWriter>, shared: &Shared) {
    match job {
        Job::Events { count, events } => attempt(shared, writer, |w| {
            w.append_events(count, &events).map_err(|e| e.to_string())
        }),
        Job::Blob(value) => attempt(shared, writer, |w| {
            w.put_blob_record(value);
            Ok(())
        }),
        Job::Stats(record) => attempt(shared, writer, |w| {
            w.put_stats_record(&record)
                .map(|_| ())
                .map_err(|e| e.to_string())
        }),
        Job::Sync(reply) => {
            let position = match writer.as_mut() {
                Some(w) => Ok(Position {
                    next_seq: w.next_seq(),
                    offset: w.offset(),
                    minor: w.minor_version(),
                }),
                None => Err("the trace writer is finished".to_string()),
            };
            let _ = reply.send(position);
        }
        Job::Finish(reply) => {
            let result = match (shared.failure(), writer.take()) {
                (Some(message), taken) => {
                    *writer = taken;
                    Err(message)
                }
                (None, Some(w)) => guarded(|| w.finish().map_err(|e| e.to_string())),
                (None, None) => Err("the trace writer is finished".to_string()),
            };
            let _ = reply.send(result);
        }
        Job::Abort(reply) => {
            let result = match writer.take() {
                Some(w) => guarded(|| w.abort().map_err(|e| e.to_string())),
                None => Ok(()),
            };
            let _ = reply.send(result);
        }
    }
}

/// Runs one job on the writer unless a failure came before; keeps its
/// failure.
fn attempt(
    shared: &Shared,
    writer: &mut Option<NativeWriter>,
    job: impl FnOnce(&mut NativeWriter) -> Result<(), String>,
) {
    if shared.has_failed() {
        return;
    }
    let Some(w) = writer.as_mut() else {
        shared.fail("the trace writer is finished".into());
        return;
    };
    if let Err(message) = guarded(|| job(w)) {
        shared.fail(message);
    }
}

/// `body`'s result, a panic turned into an error.
fn guarded<T>(body: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(body))
        .unwrap_or_else(|_| Err("internal error in the native trace writer (a panic)".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_caller_past_the_queue_budget_waits_until_the_writer_drains() {
        let shared = Arc::new(Shared::default());
        shared.reserve(QUEUE_BYTES - 10);
        let (done, finished) = mpsc::channel();
        let waiter = std::thread::spawn({
            let shared = Arc::clone(&shared);
            move || {
                shared.reserve(100);
                let _ = done.send(());
            }
        });
        assert!(
            finished.recv_timeout(Duration::from_millis(200)).is_err(),
            "a reservation past the budget went through while the queue was full"
        );
        shared.release(QUEUE_BYTES - 10);
        assert!(finished.recv_timeout(Duration::from_secs(30)).is_ok());
        waiter.join().expect("waiter");
        assert_eq!(*lock(&shared.queued), 100);
    }

    #[test]
    fn a_value_larger_than_the_budget_goes_alone() {
        let shared = Shared::default();
        shared.reserve(QUEUE_BYTES * 3);
        assert_eq!(*lock(&shared.queued), QUEUE_BYTES * 3);
        shared.release(QUEUE_BYTES * 3);
        assert_eq!(*lock(&shared.queued), 0);
    }

    #[test]
    fn the_first_failure_is_kept() {
        let shared = Shared::default();
        assert_eq!(shared.failure(), None);
        shared.fail("first".into());
        shared.fail("second".into());
        assert_eq!(shared.failure().as_deref(), Some("first"));
    }
}
