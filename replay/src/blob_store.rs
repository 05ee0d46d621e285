//! Where a trace's tensor values live while it is diffed.
//!
//! A PyTorch trace's values stay in its file and are read one blob at a time
//! when a check or the replayer asks for them, so memory does not grow with
//! the number of values a trace holds (a long run with `--values all` stores
//! gigabytes). A recording made in memory keeps its values in a map.
//!
//! A blob that cannot be read when it is asked for (a damaged chunk found
//! only now, an I/O error) is remembered, and [`BlobStore::take_error`]
//! hands it to the caller, which must fail the run with it: a value that
//! could not be read is never silently a value "without data".

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use ft_trace::{BlobRecord, Digest, StatsRecord, TraceError, TraceReader};

/// The values of one trace; cloning shares them.
#[derive(Clone)]
pub struct BlobStore(Arc<Inner>);

enum Inner {
    Memory(BTreeMap<Digest, BlobRecord>),
    File {
        reader: Box<Mutex<TraceReader>>,
        error: Mutex<Option<TraceError>>,
    },
}

impl BlobStore {
    /// Values held in memory.
    pub fn in_memory(blobs: BTreeMap<Digest, BlobRecord>) -> BlobStore {
        BlobStore(Arc::new(Inner::Memory(blobs)))
    }

    /// Values read from the trace file on demand through its index.
    pub fn from_reader(reader: TraceReader) -> BlobStore {
        BlobStore(Arc::new(Inner::File {
            reader: Box::new(Mutex::new(reader)),
            error: Mutex::new(None),
        }))
    }

    /// The value stored under `digest`; `None` when the trace holds none (or
    /// it could not be read: see [`BlobStore::take_error`]).
    pub fn get(&self, digest: &Digest) -> Option<Cow<'_, BlobRecord>> {
        match &*self.0 {
            Inner::Memory(blobs) => blobs.get(digest).map(Cow::Borrowed),
            Inner::File { .. } => self.read(|reader| reader.blob(digest)).map(Cow::Owned),
        }
    }

    /// The STATS record stored under `digest` when the trace holds the value
    /// only as statistics (value policy `stats`).
    pub fn stats(&self, digest: &Digest) -> Option<StatsRecord> {
        match &*self.0 {
            Inner::Memory(_) => None,
            Inner::File { .. } => self.read(|reader| reader.stats(digest)),
        }
    }

    /// Reads from the file; an error is remembered for [`BlobStore::take_error`].
    fn read<T>(
        &self,
        read: impl FnOnce(&mut TraceReader) -> Result<Option<T>, TraceError>,
    ) -> Option<T> {
        let Inner::File { reader, error } = &*self.0 else {
            return None;
        };
        let result = match reader.lock() {
            Ok(mut reader) => read(&mut reader),
            Err(_) => return None,
        };
        match result {
            Ok(value) => value,
            Err(e) => {
                if let Ok(mut slot) = error.lock() {
                    slot.get_or_insert(e);
                }
                None
            }
        }
    }

    /// Whether a value is stored under `digest` (without reading it).
    pub fn contains(&self, digest: &Digest) -> bool {
        match &*self.0 {
            Inner::Memory(blobs) => blobs.contains_key(digest),
            Inner::File { reader, .. } => reader.lock().is_ok_and(|r| r.has_blob(digest)),
        }
    }

    /// Number of stored values.
    pub fn len(&self) -> usize {
        match &*self.0 {
            Inner::Memory(blobs) => blobs.len(),
            Inner::File { reader, .. } => reader.lock().map_or(0, |r| r.blobs().len()),
        }
    }

    /// Whether no value is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The first error met reading a value, if any (and forgets it).
    pub fn take_error(&self) -> Option<TraceError> {
        match &*self.0 {
            Inner::Memory(_) => None,
            Inner::File { error, .. } => error.lock().ok().and_then(|mut slot| slot.take()),
        }
    }
}

impl fmt::Debug for BlobStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.0 {
            Inner::Memory(blobs) => write!(f, "BlobStore::Memory({} values)", blobs.len()),
            Inner::File { .. } => write!(f, "BlobStore::File({} values)", self.len()),
        }
    }
}

impl Default for BlobStore {
    fn default() -> BlobStore {
        BlobStore::in_memory(BTreeMap::new())
    }
}
