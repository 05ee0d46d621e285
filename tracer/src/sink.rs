//! Where instrumented code sends events: the [`EventSink`] trait and two sinks.
//!
//! The runtime holds an `Option<Box<dyn EventSink>>`; with tracing off it is
//! `None` and emitting costs one branch. A sink numbers events (dense `seq`)
//! and stamps them (or writes 0 when timestamps are off, which makes a
//! recording byte-for-byte reproducible).
//!
//! [`MemorySink`] keeps the stream in memory, in the exact interleaving of
//! events and blobs a streaming writer would produce, so it can later be
//! written to a file identical to one recorded directly by [`FileSink`].

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use crate::error::TraceError;
use crate::event::{Event, EventBody};
use crate::format::{BlobRecord, TraceMeta, ValuePolicy};
use crate::hash::{Digest, blob_digest};
use crate::writer::{FileTraceWriter, TraceSummary, TraceWriter};

/// A consumer of events.
pub trait EventSink {
    /// Records one event; returns the sequence number it was given.
    fn record(&mut self, body: EventBody) -> u64;
    /// Stores a tensor value (elements in C order, little-endian) and returns its
    /// digest, or `None` when this sink keeps no values.
    fn put_blob(&mut self, dtype: &str, shape: &[i64], data: &[u8]) -> Option<Digest>;
    /// Stores the value of tensor `tensor` (its stream id) at `version`, as
    /// [`EventSink::put_blob`] does. The identity lets a sink judge a value
    /// the moment it is produced (a replay compares it with PyTorch's value
    /// of the same tensor and keeps only the verdict); the default ignores it.
    fn put_value(
        &mut self,
        tensor: ValueKey,
        dtype: &str,
        shape: &[i64],
        data: &[u8],
    ) -> Option<Digest> {
        let _ = tensor;
        self.put_blob(dtype, shape, data)
    }
    /// Which values the producer should hand to [`EventSink::put_blob`].
    fn value_policy(&self) -> ValuePolicy;
}

/// Which tensor a value belongs to: its stream id and version counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ValueKey {
    /// The tensor's id in the stream.
    pub id: u64,
    /// Its version counter when the value was taken.
    pub version: u64,
}

/// Timestamp source of sinks: nanoseconds since the sink was made, or always
/// 0 when timestamps are off (which makes a recording reproducible).
#[derive(Clone, Debug)]
pub struct Clock(Option<Instant>);

impl Clock {
    /// A clock started now, or one that always reads 0.
    pub fn new(timestamps: bool) -> Clock {
        Clock(timestamps.then(Instant::now))
    }

    /// The timestamp for an event recorded now.
    pub fn now(&self) -> u64 {
        self.0
            .map(|start| u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX))
            .unwrap_or(0)
    }
}

/// One entry of a [`MemorySink`] journal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JournalEntry {
    /// The event with this index (= seq).
    Event(usize),
    /// The first occurrence of this blob.
    Blob(Digest),
}

/// Keeps a recording in memory.
#[derive(Clone, Debug)]
pub struct MemorySink {
    policy: ValuePolicy,
    clock: Clock,
    events: Vec<Event>,
    blobs: BTreeMap<Digest, BlobRecord>,
    journal: Vec<JournalEntry>,
}

impl MemorySink {
    /// An empty sink.
    pub fn new(policy: ValuePolicy, timestamps: bool) -> MemorySink {
        MemorySink {
            policy,
            clock: Clock::new(timestamps),
            events: Vec::new(),
            blobs: BTreeMap::new(),
            journal: Vec::new(),
        }
    }

    /// Events recorded so far.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The value stored under `digest`.
    pub fn blob(&self, digest: &Digest) -> Option<&BlobRecord> {
        self.blobs.get(digest)
    }

    /// All stored values.
    pub fn blobs(&self) -> &BTreeMap<Digest, BlobRecord> {
        &self.blobs
    }

    /// Writes the recording through `writer`, in recording order.
    pub fn write_into<W: crate::writer::TraceOutput>(
        &self,
        writer: &mut TraceWriter<W>,
    ) -> Result<(), TraceError> {
        for entry in &self.journal {
            match *entry {
                JournalEntry::Event(i) => {
                    if let Some(event) = self.events.get(i) {
                        writer.append_event(event)?;
                    }
                }
                JournalEntry::Blob(digest) => {
                    if let Some(b) = self.blobs.get(&digest) {
                        writer.put_blob(&b.dtype, &b.shape, &b.data)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Writes the recording to `path` (via `path.partial`).
    pub fn write_file(&self, path: &Path, meta: &TraceMeta) -> Result<TraceSummary, TraceError> {
        let mut file = FileTraceWriter::create(path, meta)?;
        self.write_into(file.writer())?;
        file.finish()
    }
}

impl EventSink for MemorySink {
    fn record(&mut self, body: EventBody) -> u64 {
        let seq = self.events.len() as u64;
        self.journal.push(JournalEntry::Event(self.events.len()));
        self.events.push(Event {
            seq,
            ts: self.clock.now(),
            body,
        });
        seq
    }

    fn put_blob(&mut self, dtype: &str, shape: &[i64], data: &[u8]) -> Option<Digest> {
        if self.policy == ValuePolicy::None {
            return None;
        }
        let digest = blob_digest(dtype, shape, data);
        if let std::collections::btree_map::Entry::Vacant(slot) = self.blobs.entry(digest) {
            slot.insert(BlobRecord {
                digest,
                dtype: dtype.to_owned(),
                shape: shape.to_vec(),
                data: data.to_vec(),
            });
            self.journal.push(JournalEntry::Blob(digest));
        }
        Some(digest)
    }

    fn value_policy(&self) -> ValuePolicy {
        self.policy
    }
}

/// Streams a recording straight to a file.
///
/// Write errors cannot be returned from [`EventSink::record`]; the first one is
/// kept and reported by [`FileSink::finish`]. Dropping the sink unfinished
/// leaves a readable, truncated `.partial` file.
pub struct FileSink {
    writer: FileTraceWriter,
    policy: ValuePolicy,
    clock: Clock,
    error: Option<TraceError>,
}

impl FileSink {
    /// Creates `path.partial` and starts the trace.
    pub fn create(
        path: &Path,
        meta: &TraceMeta,
        policy: ValuePolicy,
        timestamps: bool,
    ) -> Result<FileSink, TraceError> {
        Ok(FileSink {
            writer: FileTraceWriter::create(path, meta)?,
            policy,
            clock: Clock::new(timestamps),
            error: None,
        })
    }

    /// Finishes the file, or returns the first write error.
    pub fn finish(self) -> Result<TraceSummary, TraceError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        self.writer.finish()
    }
}

impl EventSink for FileSink {
    fn record(&mut self, body: EventBody) -> u64 {
        let ts = self.clock.now();
        let w = self.writer.writer();
        let seq = w.next_seq();
        if self.error.is_none()
            && let Err(e) = w.append(&body, ts)
        {
            self.error = Some(e);
        }
        seq
    }

    fn put_blob(&mut self, dtype: &str, shape: &[i64], data: &[u8]) -> Option<Digest> {
        if self.policy == ValuePolicy::None {
            return None;
        }
        match self.writer.writer().put_blob(dtype, shape, data) {
            Ok(d) => Some(d),
            Err(e) => {
                let digest = blob_digest(dtype, shape, data);
                self.error.get_or_insert(e);
                Some(digest)
            }
        }
    }

    fn value_policy(&self) -> ValuePolicy {
        self.policy
    }
}

/// A sink shared between the producer and whoever reads the recording
/// afterwards (replay keeps a handle to the runtime's in-memory sink).
impl<S: EventSink + ?Sized> EventSink for std::rc::Rc<std::cell::RefCell<S>> {
    fn record(&mut self, body: EventBody) -> u64 {
        self.borrow_mut().record(body)
    }

    fn put_blob(&mut self, dtype: &str, shape: &[i64], data: &[u8]) -> Option<Digest> {
        self.borrow_mut().put_blob(dtype, shape, data)
    }

    fn put_value(
        &mut self,
        tensor: ValueKey,
        dtype: &str,
        shape: &[i64],
        data: &[u8],
    ) -> Option<Digest> {
        self.borrow_mut().put_value(tensor, dtype, shape, data)
    }

    fn value_policy(&self) -> ValuePolicy {
        self.borrow().value_policy()
    }
}
