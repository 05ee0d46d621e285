//! Streaming `.ftr` writer with bounded memory.
//!
//! Events are encoded as they arrive into one pending EVENTS chunk, which is
//! written out as soon as it reaches [`EVENT_CHUNK_TARGET`] bytes. A value
//! handed to [`TraceWriter::put_blob`] is held until the first event that
//! names it is appended and written just before that event, as a BLOB or,
//! when that reference shows it to be a strided view of its storage's
//! latest value, as a VIEW ([`crate::view`]); so a value always precedes the
//! first event chunk that refers to it and a crashed recording keeps every
//! value its surviving events need. Memory held: one pending chunk, the
//! values handed over for events not yet appended, the index, one small
//! record per storage and the data of the values written last, up to
//! [`crate::recent_values::RECENT_VALUE_BYTES`] (views are confirmed
//! against it rather than read back from the sink).
//!
//! [`FileTraceWriter`] writes to `NAME.partial` and renames to `NAME` only in
//! [`FileTraceWriter::finish`]. Each complete EVENTS chunk is flushed to the
//! OS as it is written, so a killed process leaves every complete chunk on
//! disk; a writer dropped unfinished also writes its pending events, so the
//! `.partial` file is a readable, truncated trace.
//!
//! EVENTS chunks are stored compressed ([`crate::codec`]); everything else raw.
//!
//! The header's minor version is the lowest that covers the file (FORMAT
//! §2.1): a writer starts with [`format::FLOOR_MINOR`] and rewrites the two
//! header bytes when it appends the first event of a newer kind, which is
//! why its sink must be a [`TraceOutput`] (a `Vec<u8>`, a file, a buffered
//! file).

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufWriter, Cursor, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::error::TraceError;
use crate::event::{Event, EventBody, EventRef};
use crate::format::{
    self, BlobEntry, BlobRecord, EVENT_CHUNK_TARGET, EventChunkEntry, StatsRecord, TraceIndex,
    TraceMeta, ViewRecord, chunk_kind,
};
use crate::hash::{ChainState, Digest, blob_digest};
use crate::recent_values::RecentValues;
use crate::value::TensorRef;
use crate::view::ViewPlanner;

/// What a finished trace contains.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceSummary {
    /// The footer index that was written.
    pub index: TraceIndex,
    /// Total file length in bytes.
    pub bytes: u64,
}

/// A byte sink a trace can be written to: bytes are appended, and bytes
/// already written can be replaced in place (the header's minor version).
pub trait TraceOutput: Write {
    /// Overwrites `bytes.len()` bytes at `offset` (already written) and
    /// leaves the sink positioned at its end.
    fn rewrite_at(&mut self, offset: u64, bytes: &[u8]) -> std::io::Result<()>;

    /// Reads back `len` bytes written at `offset` (a VIEW's base) and
    /// leaves the sink positioned at its end.
    fn read_back(&mut self, offset: u64, len: usize) -> std::io::Result<Vec<u8>>;
}

/// The bytes `offset..offset + len` of an in-memory sink.
fn slice_back(bytes: &[u8], offset: u64, len: usize) -> std::io::Result<Vec<u8>> {
    usize::try_from(offset)
        .ok()
        .and_then(|start| bytes.get(start..start.checked_add(len)?))
        .map(<[u8]>::to_vec)
        .ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "read back of {len} bytes at {offset} past the end ({})",
                    bytes.len()
                ),
            )
        })
}

/// Seeks back, reads, seeks to the end.
fn seek_read<S: Read + Seek>(sink: &mut S, offset: u64, len: usize) -> std::io::Result<Vec<u8>> {
    let mut bytes = vec![0u8; len];
    sink.seek(SeekFrom::Start(offset))?;
    sink.read_exact(&mut bytes)?;
    sink.seek(SeekFrom::End(0))?;
    Ok(bytes)
}

impl TraceOutput for Vec<u8> {
    fn read_back(&mut self, offset: u64, len: usize) -> std::io::Result<Vec<u8>> {
        slice_back(self, offset, len)
    }

    fn rewrite_at(&mut self, offset: u64, bytes: &[u8]) -> std::io::Result<()> {
        let start = usize::try_from(offset).unwrap_or(usize::MAX);
        let end = start.saturating_add(bytes.len());
        match self.get_mut(start..end) {
            Some(target) => {
                target.copy_from_slice(bytes);
                Ok(())
            }
            None => Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "rewrite of bytes {start}..{end} past the end ({})",
                    self.len()
                ),
            )),
        }
    }
}

/// Seeks back, writes, seeks to the end.
fn seek_rewrite<S: Write + Seek>(sink: &mut S, offset: u64, bytes: &[u8]) -> std::io::Result<()> {
    sink.seek(SeekFrom::Start(offset))?;
    sink.write_all(bytes)?;
    sink.seek(SeekFrom::End(0)).map(|_| ())
}

impl TraceOutput for File {
    fn rewrite_at(&mut self, offset: u64, bytes: &[u8]) -> std::io::Result<()> {
        seek_rewrite(self, offset, bytes)
    }

    fn read_back(&mut self, offset: u64, len: usize) -> std::io::Result<Vec<u8>> {
        seek_read(self, offset, len)
    }
}

impl<W: Write + Read + Seek> TraceOutput for BufWriter<W> {
    fn rewrite_at(&mut self, offset: u64, bytes: &[u8]) -> std::io::Result<()> {
        seek_rewrite(self, offset, bytes)
    }

    fn read_back(&mut self, offset: u64, len: usize) -> std::io::Result<Vec<u8>> {
        self.flush()?;
        seek_read(self.get_mut(), offset, len)
    }
}

impl TraceOutput for Cursor<Vec<u8>> {
    fn rewrite_at(&mut self, offset: u64, bytes: &[u8]) -> std::io::Result<()> {
        seek_rewrite(self, offset, bytes)
    }

    fn read_back(&mut self, offset: u64, len: usize) -> std::io::Result<Vec<u8>> {
        slice_back(self.get_ref(), offset, len)
    }
}

impl<T: TraceOutput + ?Sized> TraceOutput for &mut T {
    fn rewrite_at(&mut self, offset: u64, bytes: &[u8]) -> std::io::Result<()> {
        (**self).rewrite_at(offset, bytes)
    }

    fn read_back(&mut self, offset: u64, len: usize) -> std::io::Result<Vec<u8>> {
        (**self).read_back(offset, len)
    }
}

/// Writes a trace to any byte sink.
pub struct TraceWriter<W: TraceOutput> {
    out: W,
    offset: u64,
    minor: u16,
    pending: Vec<u8>,
    pending_count: u64,
    pending_first_seq: u64,
    next_seq: u64,
    chains: ChainState,
    layer_counts: [u64; 4],
    chunks: Vec<EventChunkEntry>,
    blobs: Vec<BlobEntry>,
    known_blobs: HashSet<Digest>,
    known_stats: HashSet<Digest>,
    /// Values handed over and not yet written, in hand-over order.
    held: Vec<BlobRecord>,
    views: ViewPlanner,
    /// The data of the BLOBs written last, which views are confirmed against.
    recent: RecentValues,
    meta_offset: u64,
    failed: bool,
}

impl<W: TraceOutput> TraceWriter<W> {
    /// Writes the header and META chunk.
    pub fn new(out: W, meta: &TraceMeta) -> Result<TraceWriter<W>, TraceError> {
        let mut writer = TraceWriter {
            out,
            offset: 0,
            minor: format::FLOOR_MINOR,
            pending: Vec::with_capacity(EVENT_CHUNK_TARGET + 4096),
            pending_count: 0,
            pending_first_seq: 0,
            next_seq: 0,
            chains: ChainState::default(),
            layer_counts: [0; 4],
            chunks: Vec::new(),
            blobs: Vec::new(),
            known_blobs: HashSet::new(),
            known_stats: HashSet::new(),
            held: Vec::new(),
            recent: RecentValues::default(),
            views: ViewPlanner::default(),
            meta_offset: format::HEADER_LEN,
            failed: false,
        };
        writer.write_raw(&format::file_header())?;
        let payload = format::encode(meta)?;
        writer.write_chunk(chunk_kind::META, &payload)?;
        Ok(writer)
    }

    /// The minor version the header says now.
    pub fn minor_version(&self) -> u16 {
        self.minor
    }

    /// Sequence number the next event will get.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Appends an event, assigning the next sequence number; returns it.
    pub fn append(&mut self, body: &EventBody, ts: u64) -> Result<u64, TraceError> {
        let seq = self.next_seq;
        self.write_event(EventRef { seq, ts, body })?;
        Ok(seq)
    }

    /// Appends an already numbered event; its `seq` must be the next one.
    pub fn append_event(&mut self, event: &Event) -> Result<(), TraceError> {
        if event.seq != self.next_seq {
            return Err(TraceError::Write(format!(
                "event seq {} out of order (expected {})",
                event.seq, self.next_seq
            )));
        }
        self.write_event(EventRef {
            seq: event.seq,
            ts: event.ts,
            body: &event.body,
        })
    }

    /// Appends an already numbered event whose structural hash the caller
    /// has (from [`crate::event_decode::decode_events_with_hashes`], which
    /// always gives [`EventBody::structural_hash`]); its `seq` must be the
    /// next one.
    pub fn append_event_with_hash(
        &mut self,
        event: &Event,
        structural: &Digest,
    ) -> Result<(), TraceError> {
        if event.seq != self.next_seq {
            return Err(TraceError::Write(format!(
                "event seq {} out of order (expected {})",
                event.seq, self.next_seq
            )));
        }
        debug_assert_eq!(*structural, event.body.structural_hash());
        self.write_event_hashed(
            EventRef {
                seq: event.seq,
                ts: event.ts,
                body: &event.body,
            },
            structural,
        )
    }

    fn write_event(&mut self, event: EventRef<'_>) -> Result<(), TraceError> {
        let structural = event.body.structural_hash();
        self.write_event_hashed(event, &structural)
    }

    fn write_event_hashed(
        &mut self,
        event: EventRef<'_>,
        structural: &Digest,
    ) -> Result<(), TraceError> {
        self.raise_minor(format::minor_needed(format::VERSION_MAJOR, event.body))?;
        if !self.held.is_empty() {
            self.write_values_named_by(event.body)?;
        }
        if self.pending_count == 0 {
            self.pending_first_seq = event.seq;
        }
        rmp_serde::encode::write(&mut self.pending, &event)
            .map_err(|e| TraceError::Write(format!("event {}: {e}", event.seq)))?;
        self.pending_count += 1;
        self.next_seq += 1;
        let (layer, _) = event.body.code();
        let layer = usize::from(layer);
        if let Some(count) = self.layer_counts.get_mut(layer) {
            *count += 1;
        }
        self.chains.push(layer, structural);
        if self.pending.len() >= EVENT_CHUNK_TARGET {
            self.flush_events()?;
        }
        Ok(())
    }

    /// Rewrites the header's minor version when an event needs a newer one.
    fn raise_minor(&mut self, needed: u16) -> Result<(), TraceError> {
        if needed <= self.minor {
            return Ok(());
        }
        if self.failed {
            return Err(TraceError::Write("an earlier write failed".into()));
        }
        if let Err(e) = self
            .out
            .rewrite_at(format::MINOR_OFFSET, &needed.to_le_bytes())
        {
            self.failed = true;
            return Err(TraceError::Write(format!(
                "rewriting the header's minor version: {e}"
            )));
        }
        self.minor = needed;
        Ok(())
    }

    /// Stores a tensor value (once per digest) and returns its digest.
    ///
    /// `data` holds the elements in logical C order, little-endian. The
    /// value is written when the first event naming it is appended (as a
    /// BLOB, or as a VIEW of an earlier value); one that no event names is
    /// written as a BLOB by [`TraceWriter::finish`].
    pub fn put_blob(
        &mut self,
        dtype: &str,
        shape: &[i64],
        data: &[u8],
    ) -> Result<Digest, TraceError> {
        let digest = blob_digest(dtype, shape, data);
        if !self.known_blobs.contains(&digest) {
            self.hold(BlobRecord {
                digest,
                dtype: dtype.to_owned(),
                shape: shape.to_vec(),
                data: data.to_vec(),
            });
        }
        Ok(digest)
    }

    /// [`TraceWriter::put_blob`] of a value already hashed and copied by the
    /// caller (`value.digest` is [`blob_digest`] of its dtype, shape and
    /// data): the writer takes it as it is. Returns its digest.
    pub fn put_blob_record(&mut self, value: BlobRecord) -> Digest {
        debug_assert_eq!(
            value.digest,
            blob_digest(&value.dtype, &value.shape, &value.data)
        );
        let digest = value.digest;
        if !self.known_blobs.contains(&digest) {
            self.hold(value);
        }
        digest
    }

    /// Holds a value not handed over before until an event names it.
    fn hold(&mut self, value: BlobRecord) {
        self.known_blobs.insert(value.digest);
        self.held.push(value);
    }

    /// Writes the held values the event names, in the order it names them
    /// (FORMAT §2.3): each as a VIEW when its first reference shows it to be
    /// one, else as a BLOB.
    fn write_values_named_by(&mut self, body: &EventBody) -> Result<(), TraceError> {
        for tensor in crate::view::value_refs(body) {
            let Some(digest) = tensor.value else {
                continue;
            };
            let Some(at) = self.held.iter().position(|h| h.digest == digest) else {
                continue;
            };
            let value = self.held.remove(at);
            self.write_value(value, Some(tensor))?;
            if self.held.is_empty() {
                break;
            }
        }
        Ok(())
    }

    /// Writes one value, placed by the reference that first names it.
    fn write_value(
        &mut self,
        value: BlobRecord,
        tensor: Option<&TensorRef>,
    ) -> Result<(), TraceError> {
        if let Some(tensor) = tensor
            && let Some(view) = self.view_of(&value, tensor)?
        {
            self.raise_minor(format::VIEW_MINOR)?;
            let payload = format::encode(&view)?;
            let offset = self.offset;
            self.write_chunk(chunk_kind::VIEW, &payload)?;
            self.blobs.push(BlobEntry {
                digest: value.digest,
                offset,
            });
            return Ok(());
        }
        // The payload is `head ‖ data` (msgpack `bin` last), written in
        // two parts so that the data is not copied again.
        let head =
            format::blob_payload_head(&value.digest, &value.dtype, &value.shape, value.data.len())?;
        let offset = self.offset;
        self.write_raw_chunk(chunk_kind::BLOB, &[&head, &value.data])?;
        self.blobs.push(BlobEntry {
            digest: value.digest,
            offset,
        });
        if let Some(tensor) = tensor {
            let data_at = offset + format::CHUNK_HEADER_LEN + head.len() as u64;
            if self
                .views
                .blob_written(tensor, value.digest, &value.dtype, data_at)
            {
                self.recent.keep(data_at, value.data);
            }
        }
        Ok(())
    }

    /// The VIEW record of `value` when `tensor` shows it to be a view of its
    /// storage's base (confirmed against the base's data: kept in memory
    /// when written recently, else read back from the sink).
    fn view_of(
        &mut self,
        value: &BlobRecord,
        tensor: &TensorRef,
    ) -> Result<Option<ViewRecord>, TraceError> {
        let Some(candidate) = self.views.candidate(
            tensor,
            value.digest,
            &value.dtype,
            &value.shape,
            value.data.len(),
        ) else {
            return Ok(None);
        };
        if let Some(span) = self.recent.span(candidate.at, candidate.len) {
            return Ok(candidate.confirm(span, &value.data));
        }
        let span = self
            .out
            .read_back(candidate.at, candidate.len)
            .map_err(|e| {
                TraceError::Write(format!("reading back a value at {}: {e}", candidate.at))
            })?;
        Ok(candidate.confirm(&span, &value.data))
    }

    /// Stores a value's STATS record (policy `stats`) unless its digest
    /// already has a BLOB or STATS chunk; returns the digest. A BLOB of the
    /// same digest written later supersedes it (FORMAT §2.3).
    pub fn put_stats(&mut self, record: &StatsRecord) -> Result<Digest, TraceError> {
        let digest = record.digest;
        if self.known_blobs.contains(&digest) || self.known_stats.contains(&digest) {
            return Ok(digest);
        }
        let payload = format::encode(record)?;
        let offset = self.offset;
        self.write_chunk(chunk_kind::STATS, &payload)?;
        self.known_stats.insert(digest);
        self.blobs.push(BlobEntry { digest, offset });
        Ok(digest)
    }

    /// Whether a blob with this digest was already handed over.
    pub fn has_blob(&self, digest: &Digest) -> bool {
        self.known_blobs.contains(digest)
    }

    /// Whether [`TraceWriter::put_blob`] (`full`) or
    /// [`TraceWriter::put_stats`] of a value with this digest would write
    /// nothing: a BLOB of it was handed over, or (not `full`) its STATS
    /// record was written.
    pub fn has_value(&self, digest: &Digest, full: bool) -> bool {
        self.known_blobs.contains(digest) || (!full && self.known_stats.contains(digest))
    }

    /// Bytes written to the sink so far (pending events not included).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Writes out the pending EVENTS chunk, if any.
    pub fn flush_events(&mut self) -> Result<(), TraceError> {
        if self.pending_count == 0 {
            return Ok(());
        }
        let mut payload = Vec::with_capacity(self.pending.len() + 5);
        rmp::encode::write_array_len(&mut payload, self.pending_count as u32)
            .map_err(|e| TraceError::Write(e.to_string()))?;
        payload.extend_from_slice(&self.pending);
        let offset = self.offset;
        self.write_chunk(chunk_kind::EVENTS, &payload)?;
        // Hand every complete events chunk (and the blobs before it) to the OS,
        // so a killed process loses at most the chunk being filled.
        self.out
            .flush()
            .map_err(|e| TraceError::Write(format!("flush at offset {}: {e}", self.offset)))?;
        self.chunks.push(EventChunkEntry {
            offset,
            first_seq: self.pending_first_seq,
            count: self.pending_count,
        });
        self.pending.clear();
        self.pending_count = 0;
        Ok(())
    }

    /// Flushes pending events, writes the index and trailer; returns the sink.
    pub fn finish(mut self) -> Result<(W, TraceSummary), TraceError> {
        for value in std::mem::take(&mut self.held) {
            self.write_value(value, None)?;
        }
        self.flush_events()?;
        let index = TraceIndex {
            event_count: self.next_seq,
            layer_counts: self.layer_counts,
            chain: self.chains.all,
            layer_chains: self.chains.layers,
            meta_offset: self.meta_offset,
            chunks: std::mem::take(&mut self.chunks),
            blobs: std::mem::take(&mut self.blobs),
        };
        let index_offset = self.offset;
        let payload = format::encode(&index)?;
        self.write_chunk(chunk_kind::INDEX, &payload)?;
        self.write_raw(&format::trailer(index_offset))?;
        self.out
            .flush()
            .map_err(|e| TraceError::Write(format!("flush: {e}")))?;
        let bytes = self.offset;
        Ok((self.out, TraceSummary { index, bytes }))
    }

    /// Best effort: writes the pending EVENTS chunk and flushes the sink, so an
    /// unfinished trace stays readable up to this point.
    pub fn flush_partial(&mut self) -> Result<(), TraceError> {
        if self.failed {
            return Ok(());
        }
        self.flush_events()?;
        self.out
            .flush()
            .map_err(|e| TraceError::Write(format!("flush: {e}")))
    }

    fn write_chunk(&mut self, kind: u8, payload: &[u8]) -> Result<(), TraceError> {
        if payload.len() as u64 > format::MAX_CHUNK_PAYLOAD {
            return Err(TraceError::Write(format!(
                "chunk of {} bytes exceeds the {} byte limit",
                payload.len(),
                format::MAX_CHUNK_PAYLOAD
            )));
        }
        let encoding = format::writer_encoding(kind);
        let framed = if encoding == crate::codec::RAW {
            format::frame_chunk(kind, encoding, payload)
        } else {
            let stored = crate::codec::compress(payload).map_err(TraceError::Write)?;
            format::frame_chunk(kind, encoding, &stored)
        };
        self.write_raw(&framed)
    }

    /// Writes a chunk stored raw whose payload is `parts` joined, streaming
    /// the parts (a value's data is not copied into a framed buffer).
    fn write_raw_chunk(&mut self, kind: u8, parts: &[&[u8]]) -> Result<(), TraceError> {
        debug_assert_eq!(format::writer_encoding(kind), crate::codec::RAW);
        let len: u64 = parts.iter().map(|part| part.len() as u64).sum();
        if len > format::MAX_CHUNK_PAYLOAD {
            return Err(TraceError::Write(format!(
                "chunk of {len} bytes exceeds the {} byte limit",
                format::MAX_CHUNK_PAYLOAD
            )));
        }
        let (header, checksum) = format::chunk_frame(kind, crate::codec::RAW, parts);
        self.write_raw(&header)?;
        for part in parts {
            self.write_raw(part)?;
        }
        self.write_raw(&checksum)
    }

    fn write_raw(&mut self, bytes: &[u8]) -> Result<(), TraceError> {
        if self.failed {
            return Err(TraceError::Write("an earlier write failed".into()));
        }
        if let Err(e) = self.out.write_all(bytes) {
            self.failed = true;
            return Err(TraceError::Write(format!(
                "write at offset {}: {e}",
                self.offset
            )));
        }
        self.offset += bytes.len() as u64;
        Ok(())
    }
}

/// A [`TraceWriter`] on a file, written as `NAME.partial` until finished.
pub struct FileTraceWriter {
    inner: Option<TraceWriter<BufWriter<File>>>,
    partial: PathBuf,
    path: PathBuf,
}

/// `NAME.partial` for `NAME`.
pub fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

impl FileTraceWriter {
    /// Creates `path.partial` and writes the header and META chunk.
    pub fn create(path: &Path, meta: &TraceMeta) -> Result<FileTraceWriter, TraceError> {
        let partial = partial_path(path);
        // Readable too: a VIEW is confirmed against its base's bytes, read back.
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&partial)
            .map_err(|e| TraceError::io(&partial, e))?;
        let inner = TraceWriter::new(BufWriter::new(file), meta)?;
        Ok(FileTraceWriter {
            inner: Some(inner),
            partial,
            path: path.to_owned(),
        })
    }

    /// The underlying writer.
    pub fn writer(&mut self) -> &mut TraceWriter<BufWriter<File>> {
        match self.inner.as_mut() {
            Some(w) => w,
            None => unreachable!("the writer is only taken by finish(), which consumes self"),
        }
    }

    /// Finishes the trace and renames it into place.
    pub fn finish(mut self) -> Result<TraceSummary, TraceError> {
        let Some(inner) = self.inner.take() else {
            unreachable!("finish() consumes self, so the writer is present");
        };
        let (buffered, summary) = inner.finish()?;
        let file = buffered
            .into_inner()
            .map_err(|e| TraceError::io(&self.partial, e.into_error()))?;
        file.sync_all()
            .map_err(|e| TraceError::io(&self.partial, e))?;
        std::fs::rename(&self.partial, &self.path).map_err(|e| TraceError::io(&self.path, e))?;
        Ok(summary)
    }
}

impl Drop for FileTraceWriter {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.as_mut() {
            // Unfinished: keep what we have readable. Errors cannot be reported
            // from drop; the missing footer already marks the file as truncated.
            let _ = inner.flush_partial();
        }
    }
}
