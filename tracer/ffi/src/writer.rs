//! [`NativeWriter`]: a file trace writer fed msgpack-packed event payloads.

use std::fmt;
use std::path::Path;

use ft_trace::event_decode::{EventsError, decode_events_prefix_with_hashes};
use ft_trace::{
    BlobRecord, Digest, EventBody, FileTraceWriter, StatsRecord, TraceError, TraceMeta,
};

/// Why the writer refused a call.
#[derive(Debug)]
pub enum NativeWriterError {
    /// The trace writer failed (I/O, an earlier failure, a bad record).
    Trace(TraceError),
    /// A packed META, STATS or event payload does not decode.
    Payload {
        /// What was being decoded (`META`, `STATS record`, `event (0, 1)`).
        what: String,
        /// Why it does not decode.
        detail: String,
    },
    /// Work handed to the writer's thread failed (the message is that
    /// failure's), or the thread could not start or has stopped.
    Background(String),
    /// An event of a kind this format version does not define.
    UnknownKind {
        /// Its layer.
        layer: u8,
        /// Its kind.
        kind: u8,
    },
}

impl fmt::Display for NativeWriterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NativeWriterError::Trace(e) => write!(f, "cannot write trace: {e}"),
            NativeWriterError::Payload { what, detail } => {
                write!(f, "cannot write trace: {what} does not decode: {detail}")
            }
            NativeWriterError::Background(message) => f.write_str(message),
            NativeWriterError::UnknownKind { layer, kind } => write!(
                f,
                "cannot write trace: event of unknown kind ({layer}, {kind}) has no known payload"
            ),
        }
    }
}

impl std::error::Error for NativeWriterError {}

impl From<TraceError> for NativeWriterError {
    fn from(e: TraceError) -> Self {
        NativeWriterError::Trace(e)
    }
}

/// A trace being written to `NAME.partial`, renamed to `NAME` by
/// [`NativeWriter::finish`]; dropped unfinished, it writes its pending
/// events and leaves the `.partial` file readable.
pub struct NativeWriter {
    file: FileTraceWriter,
    /// One event framed as an EVENTS payload, reused between appends.
    frame: Vec<u8>,
}

impl NativeWriter {
    /// Creates `path.partial` and writes the header and the META chunk
    /// (`meta`: the msgpack of the META payload, FORMAT §2.2).
    pub fn create(path: &Path, meta: &[u8]) -> Result<NativeWriter, NativeWriterError> {
        let meta: TraceMeta =
            rmp_serde::from_slice(meta).map_err(|e| NativeWriterError::Payload {
                what: "META".into(),
                detail: e.to_string(),
            })?;
        Ok(NativeWriter {
            file: FileTraceWriter::create(path, &meta)?,
            frame: Vec::with_capacity(512),
        })
    }

    /// Appends the event `[next seq, layer, kind, payload, ts]`
    /// (`payload`: the msgpack of its payload array); returns its seq.
    pub fn append(
        &mut self,
        layer: u8,
        kind: u8,
        payload: &[u8],
        ts: u64,
    ) -> Result<u64, NativeWriterError> {
        let seq = self.file.writer().next_seq();
        let mut event = Vec::with_capacity(payload.len() + 24);
        event.push(0x95);
        push_uint(&mut event, seq);
        push_uint(&mut event, u64::from(layer));
        push_uint(&mut event, u64::from(kind));
        event.extend_from_slice(payload);
        push_uint(&mut event, ts);
        self.append_events(1, &event)?;
        Ok(seq)
    }

    /// Appends `count` events encoded one after another in `events`, each
    /// `[seq, layer, kind, payload, ts]` as msgpack (the elements of an
    /// EVENTS payload, FORMAT §2.4), numbered from the next seq on.
    pub fn append_events(&mut self, count: u32, events: &[u8]) -> Result<(), NativeWriterError> {
        let frame = &mut self.frame;
        frame.clear();
        // Writing into a Vec cannot fail.
        let _ = rmp::encode::write_array_len(frame, count);
        frame.extend_from_slice(events);
        let first = self.file.writer().next_seq();
        // The events before a bad one are written: a capture that fails on
        // its own bug keeps everything before it.
        let (decoded, error) = decode_events_prefix_with_hashes(frame);
        let writer = self.file.writer();
        for (event, structural) in &decoded {
            if let EventBody::Unknown { layer, kind, .. } = event.body {
                return Err(NativeWriterError::UnknownKind { layer, kind });
            }
            writer.append_event_with_hash(event, structural)?;
        }
        match error {
            None => Ok(()),
            Some(e) => {
                let what = match &e {
                    EventsError::CutShort { event }
                    | EventsError::Event { event, .. }
                    | EventsError::Serde { event, .. } => {
                        format!("event seq {}", first + *event as u64)
                    }
                    _ => format!("the {count} events from seq {first} on"),
                };
                Err(NativeWriterError::Payload {
                    what,
                    detail: e.to_string(),
                })
            }
        }
    }

    /// Stores a tensor value (`data`: its elements in logical C order,
    /// little-endian) once per digest; returns the digest.
    pub fn put_blob(
        &mut self,
        dtype: &str,
        shape: &[i64],
        data: &[u8],
    ) -> Result<Digest, NativeWriterError> {
        Ok(self.file.writer().put_blob(dtype, shape, data)?)
    }

    /// Writes a value's STATS record (`record`: its msgpack,
    /// `[digest, dtype, shape, nonfinite, min, max, mean, norm, samples]`)
    /// unless its digest already has a BLOB or STATS chunk; returns the digest.
    pub fn put_stats(&mut self, record: &[u8]) -> Result<Digest, NativeWriterError> {
        self.put_stats_record(&decode_stats(record)?)
    }

    /// [`NativeWriter::put_blob`] of a value the caller hashed and copied
    /// (`value.digest` is [`ft_trace::blob_digest`] of its parts).
    pub fn put_blob_record(&mut self, value: BlobRecord) -> Digest {
        self.file.writer().put_blob_record(value)
    }

    /// [`NativeWriter::put_stats`] of a decoded record.
    pub fn put_stats_record(&mut self, record: &StatsRecord) -> Result<Digest, NativeWriterError> {
        Ok(self.file.writer().put_stats(record)?)
    }

    /// Whether `put_blob` (`full`) or `put_stats` of this digest would
    /// write nothing.
    pub fn has_value(&mut self, digest: &Digest, full: bool) -> bool {
        self.file.writer().has_value(digest, full)
    }

    /// Sequence number the next event gets.
    pub fn next_seq(&mut self) -> u64 {
        self.file.writer().next_seq()
    }

    /// Bytes written so far.
    pub fn offset(&mut self) -> u64 {
        self.file.writer().offset()
    }

    /// The header's minor version now.
    pub fn minor_version(&mut self) -> u16 {
        self.file.writer().minor_version()
    }

    /// Writes the values no event named, the pending events, the INDEX and
    /// trailer, syncs the file and renames it into place; returns the
    /// INDEX payload's msgpack.
    pub fn finish(self) -> Result<Vec<u8>, NativeWriterError> {
        let summary = self.file.finish()?;
        rmp_serde::to_vec(&summary.index).map_err(|e| NativeWriterError::Payload {
            what: "INDEX".into(),
            detail: e.to_string(),
        })
    }

    /// Writes the pending events and leaves `NAME.partial` in place.
    pub fn abort(mut self) -> Result<(), NativeWriterError> {
        Ok(self.file.writer().flush_partial()?)
    }
}

/// A STATS record from its msgpack,
/// `[digest, dtype, shape, nonfinite, min, max, mean, norm, samples]`.
pub fn decode_stats(record: &[u8]) -> Result<StatsRecord, NativeWriterError> {
    rmp_serde::from_slice(record).map_err(|e| NativeWriterError::Payload {
        what: "STATS record".into(),
        detail: e.to_string(),
    })
}

/// Appends `n` in msgpack's shortest unsigned form.
fn push_uint(out: &mut Vec<u8>, n: u64) {
    // Writing into a Vec cannot fail.
    let _ = rmp::encode::write_uint(out, n);
}
