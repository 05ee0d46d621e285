//! `.ftr` reader: opens complete traces through the footer index and recovers
//! crashed or cut ones by scanning chunks from the start.
//!
//! [`TraceReader::open`] is strict: a trace without a valid footer is an error
//! ([`TraceError::Truncated`] naming the first offset that is not part of a
//! complete chunk). [`TraceReader::recover`] accepts such a trace, rebuilds the
//! index from every complete chunk before the damage and reports where the
//! readable part ends in [`TraceReader::truncation`]. When the damage is a cut
//! inside an EVENTS chunk, the complete events before the cut are salvaged
//! too (msgpack events are self-delimiting); they are the only events not
//! covered by a checksum, and the truncation says how many there are.
//!
//! Reading is chunk at a time: memory is bounded by the largest chunk, not the
//! file. Every chunk's checksum is verified before its payload is decoded.
//!
//! Every byte of a complete trace is covered by a checksum or a validity
//! rule (FORMAT §2): the header's reserved bytes are zero and its minor
//! version is the one the events need; the chunks tile the file from the
//! header to the INDEX chunk, which ends where the trailer begins; the index
//! agrees with the events (counts, chains) and the chunks it lists; a blob's
//! content hashes to its digest and its shape fits its data. Only a regular
//! file is read (a pipe cannot be seeked to its footer).

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::codec;
use crate::error::TraceError;
use crate::event::Event;
use crate::event_bytes;
use crate::format::{
    self, BlobEntry, BlobRecord, EventChunkEntry, StatsRecord, TraceIndex, TraceMeta, ViewRecord,
    chunk_kind,
};
use crate::hash::{ChainState, Digest};

/// A value as a trace stores it: its bytes, or its statistics.
#[derive(Clone, Debug, PartialEq)]
pub enum ValueRecord {
    /// A BLOB chunk.
    Blob(BlobRecord),
    /// A STATS chunk (value policy `stats`).
    Stats(StatsRecord),
}

/// One chunk read and verified: its kind, its decoded payload, and the
/// offset just past it.
struct ReadChunk {
    kind: u8,
    payload: Vec<u8>,
    end: u64,
}

/// Where and why the readable part of a trace ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Truncation {
    /// First byte that is not part of a complete, valid chunk.
    pub offset: u64,
    /// What was found there.
    pub detail: String,
    /// Events decoded from the incomplete chunk at `offset` (no checksum covers them).
    pub salvaged: u64,
}

/// An open trace.
pub struct TraceReader {
    path: PathBuf,
    file: BufReader<File>,
    len: u64,
    version: (u16, u16),
    meta: TraceMeta,
    index: TraceIndex,
    /// Offset of the INDEX chunk of a complete trace.
    index_offset: Option<u64>,
    blob_offsets: HashMap<Digest, u64>,
    truncation: Option<Truncation>,
    /// Complete events decoded from the incomplete EVENTS chunk at the end of
    /// a truncated trace (not covered by a checksum).
    salvaged: Vec<Event>,
}

/// A tensor value read from a blob chunk.
pub type Blob = BlobRecord;

impl TraceReader {
    /// Opens a complete trace; a missing or damaged footer is an error.
    pub fn open(path: impl AsRef<Path>) -> Result<TraceReader, TraceError> {
        let reader = TraceReader::recover(path)?;
        match &reader.truncation {
            None => Ok(reader),
            Some(t) => Err(TraceError::Truncated {
                path: reader.path.clone(),
                offset: t.offset,
                detail: t.detail.clone(),
            }),
        }
    }

    /// Opens a trace, recovering every complete chunk of a truncated one.
    pub fn recover(path: impl AsRef<Path>) -> Result<TraceReader, TraceError> {
        let path = path.as_ref().to_owned();
        // Checked before opening: opening a FIFO for reading blocks until a
        // writer appears.
        if let Ok(metadata) = std::fs::metadata(&path) {
            refuse_non_regular(&path, &metadata)?;
        }
        let file = File::open(&path).map_err(|e| TraceError::io(&path, e))?;
        let metadata = file.metadata().map_err(|e| TraceError::io(&path, e))?;
        refuse_non_regular(&path, &metadata)?;
        let len = metadata.len();
        let mut reader = TraceReader {
            path,
            file: BufReader::new(file),
            len,
            version: (0, 0),
            meta: TraceMeta {
                producer: String::new(),
                program: String::new(),
                value_policy: String::new(),
                attrs: Vec::new(),
            },
            index: TraceIndex::empty(),
            index_offset: None,
            blob_offsets: HashMap::new(),
            truncation: None,
            salvaged: Vec::new(),
        };
        reader.read_header()?;
        match reader.read_footer()? {
            Some((offset, index)) => {
                reader.index = index;
                reader.index_offset = Some(offset);
            }
            None => reader.scan()?,
        }
        reader.meta = reader.read_meta()?;
        reader.blob_offsets = reader
            .index
            .blobs
            .iter()
            .map(|b| (b.digest, b.offset))
            .collect();
        Ok(reader)
    }

    /// The file this reader reads.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `(major, minor)` format version from the header.
    pub fn version(&self) -> (u16, u16) {
        self.version
    }

    /// Trace metadata.
    pub fn meta(&self) -> &TraceMeta {
        &self.meta
    }

    /// The footer index (rebuilt by scanning for a truncated trace).
    pub fn index(&self) -> &TraceIndex {
        &self.index
    }

    /// `Some` when the trace has no valid footer.
    pub fn truncation(&self) -> Option<&Truncation> {
        self.truncation.as_ref()
    }

    /// Number of readable events.
    pub fn event_count(&self) -> u64 {
        self.index.event_count
    }

    /// File length in bytes.
    pub fn file_len(&self) -> u64 {
        self.len
    }

    /// Reads every event, checking that sequence numbers are dense and, for a
    /// complete trace, that the chain hashes match the footer.
    pub fn read_all(&mut self) -> Result<Vec<Event>, TraceError> {
        // Sized from the index, which a damaged or hostile file may inflate:
        // a count no allocation can hold leaves the vector to grow instead.
        let mut events = Vec::new();
        let _ = events.try_reserve_exact(usize::try_from(self.index.event_count).unwrap_or(0));
        let chunks = self.index.chunks.clone();
        let mut chains = ChainState::default();
        let mut layer_counts = [0u64; 4];
        let major = self.version.0;
        let mut needed_minor = format::floor_minor(major).unwrap_or(format::FLOOR_MINOR);
        let mut unknown_kinds = false;
        for entry in &chunks {
            for (event, structural) in self.read_events_chunk_hashed(entry)? {
                if event.seq != events.len() as u64 {
                    return Err(TraceError::Decode {
                        path: self.path.clone(),
                        offset: entry.offset,
                        detail: format!(
                            "event seq {} where {} was expected",
                            event.seq,
                            events.len()
                        ),
                    });
                }
                let layer = usize::from(event.body.code().0);
                if let Some(c) = layer_counts.get_mut(layer) {
                    *c += 1;
                }
                needed_minor = needed_minor.max(format::minor_needed(major, &event.body));
                unknown_kinds |= matches!(event.body, crate::event::EventBody::Unknown { .. });
                chains.push(layer, &structural);
                events.push(event);
            }
        }
        for event in &self.salvaged {
            if event.seq == events.len() as u64 {
                events.push(event.clone());
            }
        }
        if self.truncation.is_none() {
            let mismatch = |detail: String| TraceError::IndexMismatch {
                path: self.path.clone(),
                detail,
            };
            if chains.all != self.index.chain {
                return Err(mismatch(format!(
                    "chain hash of the events ({}) differs from the footer's ({})",
                    chains.all.short(16),
                    self.index.chain.short(16)
                )));
            }
            if chains.layers != self.index.layer_chains {
                return Err(mismatch(
                    "per-layer chain hashes of the events differ from the footer's".into(),
                ));
            }
            if events.len() as u64 != self.index.event_count
                || layer_counts != self.index.layer_counts
            {
                return Err(mismatch(format!(
                    "the events ({} in all, per layer {:?}) differ from the footer's counts ({}, {:?})",
                    events.len(),
                    layer_counts,
                    self.index.event_count,
                    self.index.layer_counts
                )));
            }
            let mut views = false;
            self.check_layout(&mut views)?;
            if views && major == format::VERSION_MAJOR {
                needed_minor = needed_minor.max(format::VIEW_MINOR);
            }
            self.check_minor(needed_minor, unknown_kinds)?;
        }
        Ok(events)
    }

    /// FORMAT §2.1: a complete file says the lowest minor that defines every
    /// event kind in it (never below the floor). A minor newer than this
    /// build's is only possible with kinds this build does not know.
    fn check_minor(&self, needed: u16, unknown_kinds: bool) -> Result<(), TraceError> {
        let minor = self.version.1;
        let ok = if unknown_kinds {
            minor >= needed
        } else {
            minor == needed
        };
        if ok {
            return Ok(());
        }
        Err(TraceError::CorruptHeader {
            path: self.path.clone(),
            detail: format!(
                "minor version {minor} at bytes 10..12, but the events need exactly {needed}{}",
                if unknown_kinds { " or newer" } else { "" }
            ),
        })
    }

    /// The chunks of a complete trace tile the file from the header to the
    /// INDEX chunk: META first, the EVENTS and BLOB chunks at the offsets the
    /// index lists (in order), unknown kinds only with a valid checksum.
    /// Sets `views` when the file holds a VIEW chunk.
    fn check_layout(&mut self, views: &mut bool) -> Result<(), TraceError> {
        let Some(end) = self.index_offset else {
            return Ok(());
        };
        let corrupt = |path: &Path, offset: u64, detail: String| TraceError::CorruptChunk {
            path: path.to_owned(),
            offset,
            detail,
        };
        let event_offsets: Vec<u64> = self.index.chunks.iter().map(|c| c.offset).collect();
        let blob_offsets: Vec<u64> = self.index.blobs.iter().map(|b| b.offset).collect();
        let mut events = event_offsets.into_iter();
        let mut blobs = blob_offsets.into_iter();
        let mut offset = format::HEADER_LEN;
        while offset < end {
            let (kind, len) = self.chunk_header_at(offset)?;
            let total = format::CHUNK_HEADER_LEN + len + format::CHUNK_HASH_LEN;
            let listed = match kind {
                chunk_kind::META => offset == format::HEADER_LEN,
                chunk_kind::EVENTS => events.next() == Some(offset),
                chunk_kind::BLOB | chunk_kind::STATS => blobs.next() == Some(offset),
                chunk_kind::VIEW => {
                    *views = true;
                    blobs.next() == Some(offset)
                }
                chunk_kind::INDEX => false,
                _ => {
                    self.read_chunk(offset)?;
                    true
                }
            };
            if !listed {
                return Err(corrupt(
                    &self.path,
                    offset,
                    format!("chunk of kind {kind} is not where the footer index places chunks"),
                ));
            }
            if offset == format::HEADER_LEN && kind != chunk_kind::META {
                return Err(corrupt(
                    &self.path,
                    offset,
                    format!("the first chunk is of kind {kind}, not META"),
                ));
            }
            offset += total;
        }
        if offset != end || events.next().is_some() || blobs.next().is_some() {
            return Err(corrupt(
                &self.path,
                offset.min(end),
                "the chunks do not tile the file up to the footer index".into(),
            ));
        }
        Ok(())
    }

    /// Kind and payload length of the chunk at `offset` (header checked, not the checksum).
    fn chunk_header_at(&mut self, offset: u64) -> Result<(u8, u64), TraceError> {
        let mut header = [0u8; format::CHUNK_HEADER_LEN as usize];
        if self.len.saturating_sub(offset) < format::CHUNK_HEADER_LEN {
            return Err(TraceError::CorruptChunk {
                path: self.path.clone(),
                offset,
                detail: "chunk header runs past the end of the file".into(),
            });
        }
        self.read_exact_at(offset, &mut header)?;
        let len = u64::from(u32::from_le_bytes([
            header[0], header[1], header[2], header[3],
        ]));
        if !self.chunk_header_valid(&header) || len > format::MAX_CHUNK_PAYLOAD {
            return Err(TraceError::CorruptChunk {
                path: self.path.clone(),
                offset,
                detail: format!("invalid chunk header {header:02x?}"),
            });
        }
        Ok((header[4], len))
    }

    /// Iterates over all events one chunk at a time (memory: one chunk).
    ///
    /// Unlike [`TraceReader::read_all`] this does not verify the chain hash.
    pub fn events(&mut self) -> Events<'_> {
        Events {
            reader: self,
            next_chunk: 0,
            buffer: Vec::new().into_iter(),
            failed: false,
        }
    }

    /// [`Self::events`] with each event's structural hash (FORMAT §4), taken
    /// from its stored bytes when they allow: for a reader that checks the
    /// chain hashes itself.
    pub fn events_with_hashes(&mut self) -> EventsWithHashes<'_> {
        EventsWithHashes {
            reader: self,
            next_chunk: 0,
            buffer: Vec::new().into_iter(),
            failed: false,
        }
    }

    /// Reads the events of the chunk holding `seq` onward, up to `limit` events.
    pub fn read_range(&mut self, seq: u64, limit: usize) -> Result<Vec<Event>, TraceError> {
        let start = self
            .index
            .chunks
            .partition_point(|c| c.first_seq + c.count <= seq);
        let chunks: Vec<EventChunkEntry> = self.index.chunks[start..].to_vec();
        let mut out = Vec::with_capacity(limit.min(4096));
        for entry in &chunks {
            for event in self.read_events_chunk(entry)? {
                if event.seq >= seq {
                    out.push(event);
                    if out.len() >= limit {
                        return Ok(out);
                    }
                }
            }
        }
        let room = limit - out.len();
        out.extend(
            self.salvaged
                .iter()
                .filter(|e| e.seq >= seq)
                .take(room)
                .cloned(),
        );
        Ok(out)
    }

    /// The events of the `chunk`-th EVENTS chunk of the index (checksum and
    /// count verified): what a reader that keeps only some chunks decoded
    /// asks for. `Ok(None)` past the last chunk.
    pub fn read_chunk_events(&mut self, chunk: usize) -> Result<Option<Vec<Event>>, TraceError> {
        match self.index.chunks.get(chunk).copied() {
            Some(entry) => self.read_events_chunk(&entry).map(Some),
            None => Ok(None),
        }
    }

    /// The payload of the `chunk`-th EVENTS chunk of the index as stored
    /// (checksum verified, decompressed), undecoded: for tools and tests
    /// that decode it themselves ([`crate::event_decode`]). `Ok(None)` past
    /// the last chunk.
    pub fn read_chunk_payload(&mut self, chunk: usize) -> Result<Option<Vec<u8>>, TraceError> {
        match self.index.chunks.get(chunk).copied() {
            Some(entry) => self
                .read_chunk_of_kind(entry.offset, chunk_kind::EVENTS)
                .map(Some),
            None => Ok(None),
        }
    }

    /// Complete events decoded from the incomplete EVENTS chunk at the end of
    /// a truncated trace (they follow the last indexed chunk; no checksum
    /// covers them). Empty for a complete trace.
    pub fn salvaged(&self) -> &[Event] {
        &self.salvaged
    }

    /// The value stored under `digest`, if the trace holds its bytes (not
    /// when it holds only a STATS record, see [`TraceReader::stats`]); a
    /// VIEW is gathered from its base.
    pub fn blob(&mut self, digest: &Digest) -> Result<Option<Blob>, TraceError> {
        let Some(&offset) = self.blob_offsets.get(digest) else {
            return Ok(None);
        };
        let chunk = self.read_chunk(offset)?;
        match chunk.kind {
            chunk_kind::BLOB => self.checked_blob(offset, &chunk.payload, digest).map(Some),
            chunk_kind::VIEW => self.gathered_view(offset, &chunk.payload, digest).map(Some),
            chunk_kind::STATS => Ok(None),
            found => Err(TraceError::CorruptChunk {
                path: self.path.clone(),
                offset,
                detail: format!("expected a BLOB, VIEW or STATS chunk, found kind {found}"),
            }),
        }
    }

    /// A BLOB chunk's record, checked: the digest the index gave, a shape
    /// that fits the data, content that hashes to the digest.
    fn checked_blob(
        &self,
        offset: u64,
        payload: &[u8],
        digest: &Digest,
    ) -> Result<BlobRecord, TraceError> {
        let record: BlobRecord = self.decode(offset, payload, "blob")?;
        let corrupt = |detail: String| TraceError::CorruptChunk {
            path: self.path.clone(),
            offset,
            detail,
        };
        if record.digest != *digest {
            return Err(corrupt(format!(
                "blob chunk holds {} but the index says {}",
                record.digest.short(16),
                digest.short(16)
            )));
        }
        check_blob_shape(&record).map_err(corrupt)?;
        let content = crate::hash::blob_digest(&record.dtype, &record.shape, &record.data);
        if content != record.digest {
            return Err(corrupt(format!(
                "blob content hashes to {}, not to its digest {}",
                content.short(16),
                record.digest.short(16)
            )));
        }
        Ok(record)
    }

    /// A VIEW chunk's value (FORMAT §2.3): its elements gathered from the
    /// BLOB it names, which must come earlier in the file; the result must
    /// hash to the view's digest.
    fn gathered_view(
        &mut self,
        offset: u64,
        payload: &[u8],
        digest: &Digest,
    ) -> Result<BlobRecord, TraceError> {
        let view: ViewRecord = self.decode(offset, payload, "view")?;
        let corrupt = |path: &Path, detail: String| TraceError::CorruptChunk {
            path: path.to_owned(),
            offset,
            detail,
        };
        if view.digest != *digest {
            return Err(corrupt(
                &self.path,
                format!(
                    "view chunk holds {} but the index says {}",
                    view.digest.short(16),
                    digest.short(16)
                ),
            ));
        }
        let base_offset = self.blob_offsets.get(&view.base).copied();
        let base = match base_offset {
            Some(at) if at < offset => {
                let chunk = self.read_chunk(at)?;
                if chunk.kind != chunk_kind::BLOB {
                    return Err(corrupt(
                        &self.path,
                        format!(
                            "view's base {} is a chunk of kind {}, not a BLOB",
                            view.base.short(16),
                            chunk.kind
                        ),
                    ));
                }
                self.checked_blob(at, &chunk.payload, &view.base)?
            }
            _ => {
                return Err(corrupt(
                    &self.path,
                    format!("view's base {} is not an earlier BLOB", view.base.short(16)),
                ));
            }
        };
        let data = crate::view::resolve(&view, &base).map_err(|d| corrupt(&self.path, d))?;
        Ok(BlobRecord {
            digest: view.digest,
            dtype: view.dtype,
            shape: view.shape,
            data,
        })
    }

    /// The STATS record of `digest`, when the trace holds the value only as
    /// statistics (policy `stats`); `None` when it holds its bytes or nothing.
    pub fn stats(&mut self, digest: &Digest) -> Result<Option<StatsRecord>, TraceError> {
        let Some(&offset) = self.blob_offsets.get(digest) else {
            return Ok(None);
        };
        let chunk = self.read_chunk(offset)?;
        if chunk.kind != chunk_kind::STATS {
            return Ok(None);
        }
        let record: StatsRecord = self.decode(offset, &chunk.payload, "stats")?;
        let corrupt = |detail: String| TraceError::CorruptChunk {
            path: self.path.clone(),
            offset,
            detail,
        };
        if record.digest != *digest {
            return Err(corrupt(format!(
                "stats chunk holds {} but the index says {}",
                record.digest.short(16),
                digest.short(16)
            )));
        }
        crate::value_stats::check_record(&record).map_err(corrupt)?;
        Ok(Some(record))
    }

    /// The value record an index entry points at, as stored there: a BLOB or
    /// a STATS chunk (a digest may have both, the STATS one first).
    pub fn value_record_at(&mut self, entry: &BlobEntry) -> Result<ValueRecord, TraceError> {
        let chunk = self.read_chunk(entry.offset)?;
        let record = match chunk.kind {
            chunk_kind::BLOB => {
                ValueRecord::Blob(self.decode(entry.offset, &chunk.payload, "blob")?)
            }
            chunk_kind::VIEW => ValueRecord::Blob(self.gathered_view(
                entry.offset,
                &chunk.payload,
                &entry.digest,
            )?),
            chunk_kind::STATS => {
                ValueRecord::Stats(self.decode(entry.offset, &chunk.payload, "stats")?)
            }
            found => {
                return Err(TraceError::CorruptChunk {
                    path: self.path.clone(),
                    offset: entry.offset,
                    detail: format!("expected a BLOB, VIEW or STATS chunk, found kind {found}"),
                });
            }
        };
        let digest = match &record {
            ValueRecord::Blob(b) => b.digest,
            ValueRecord::Stats(s) => s.digest,
        };
        if digest != entry.digest {
            return Err(TraceError::CorruptChunk {
                path: self.path.clone(),
                offset: entry.offset,
                detail: format!(
                    "value chunk holds {} but the index says {}",
                    digest.short(16),
                    entry.digest.short(16)
                ),
            });
        }
        Ok(record)
    }

    /// Whether the trace holds a value record (BLOB or STATS) with this digest.
    pub fn has_blob(&self, digest: &Digest) -> bool {
        self.blob_offsets.contains_key(digest)
    }

    /// Index entries of all blobs.
    pub fn blobs(&self) -> &[BlobEntry] {
        &self.index.blobs
    }

    fn read_events_chunk(&mut self, entry: &EventChunkEntry) -> Result<Vec<Event>, TraceError> {
        let payload = self.read_chunk_of_kind(entry.offset, chunk_kind::EVENTS)?;
        let events = event_bytes::decode(&payload).map_err(|detail| TraceError::Decode {
            path: self.path.clone(),
            offset: entry.offset,
            detail: format!("events payload does not decode: {detail}"),
        })?;
        let first_seq = events.first().map(|e| e.seq);
        if events.len() as u64 != entry.count || first_seq != Some(entry.first_seq) {
            return Err(self.chunk_disagrees_with_index(entry, events.len(), first_seq));
        }
        Ok(events)
    }

    /// [`Self::read_events_chunk`] with each event's structural hash.
    fn read_events_chunk_hashed(
        &mut self,
        entry: &EventChunkEntry,
    ) -> Result<Vec<(Event, Digest)>, TraceError> {
        let payload = self.read_chunk_of_kind(entry.offset, chunk_kind::EVENTS)?;
        let events =
            event_bytes::decode_with_hashes(&payload).map_err(|detail| TraceError::Decode {
                path: self.path.clone(),
                offset: entry.offset,
                detail: format!("events payload does not decode: {detail}"),
            })?;
        let first_seq = events.first().map(|(e, _)| e.seq);
        if events.len() as u64 != entry.count || first_seq != Some(entry.first_seq) {
            return Err(self.chunk_disagrees_with_index(entry, events.len(), first_seq));
        }
        Ok(events)
    }

    fn chunk_disagrees_with_index(
        &self,
        entry: &EventChunkEntry,
        count: usize,
        first_seq: Option<u64>,
    ) -> TraceError {
        TraceError::IndexMismatch {
            path: self.path.clone(),
            detail: format!(
                "events chunk at offset {} holds {count} events from seq {first_seq:?}; the index says {} from {}",
                entry.offset, entry.count, entry.first_seq
            ),
        }
    }

    fn decode<T: serde::de::DeserializeOwned>(
        &self,
        offset: u64,
        payload: &[u8],
        what: &str,
    ) -> Result<T, TraceError> {
        rmp_serde::from_slice(payload).map_err(|e| TraceError::Decode {
            path: self.path.clone(),
            offset,
            detail: format!("{what} payload does not decode: {e}"),
        })
    }

    fn read_header(&mut self) -> Result<(), TraceError> {
        let mut header = [0u8; format::HEADER_LEN as usize];
        if self.len < format::HEADER_LEN {
            if self.len >= 8
                && self.read_exact_at(0, &mut header[..8]).is_ok()
                && header[..8] != format::MAGIC
            {
                return Err(TraceError::NotATrace {
                    path: self.path.clone(),
                });
            }
            return Err(TraceError::Truncated {
                path: self.path.clone(),
                offset: 0,
                detail: format!(
                    "file is {} bytes, shorter than the {}-byte header",
                    self.len,
                    format::HEADER_LEN
                ),
            });
        }
        self.read_exact_at(0, &mut header)?;
        if header[..8] != format::MAGIC {
            return Err(TraceError::NotATrace {
                path: self.path.clone(),
            });
        }
        let major = u16::from_le_bytes([header[8], header[9]]);
        let minor = u16::from_le_bytes([header[10], header[11]]);
        let Some(floor) = format::floor_minor(major) else {
            return Err(TraceError::UnsupportedVersion {
                path: self.path.clone(),
                major,
                minor,
                supported: format::VERSION_MAJOR,
            });
        };
        if minor < floor {
            return Err(TraceError::CorruptHeader {
                path: self.path.clone(),
                detail: format!(
                    "minor version {minor} at bytes 10..12 is below {floor}, which every {major}.x file says at least"
                ),
            });
        }
        if header[12..] != [0, 0, 0, 0] {
            return Err(TraceError::CorruptHeader {
                path: self.path.clone(),
                detail: format!("reserved bytes 12..16 are {:02x?}, not zero", &header[12..]),
            });
        }
        self.version = (major, minor);
        Ok(())
    }

    /// Reads the trailer and index chunk (offset and contents); `None` when
    /// there is no valid trailer.
    fn read_footer(&mut self) -> Result<Option<(u64, TraceIndex)>, TraceError> {
        if self.len < format::HEADER_LEN + format::TRAILER_LEN {
            return Ok(None);
        }
        let mut trailer = [0u8; format::TRAILER_LEN as usize];
        self.read_exact_at(self.len - format::TRAILER_LEN, &mut trailer)?;
        if trailer[8..] != format::TRAILER_MAGIC {
            return Ok(None);
        }
        let mut offset_bytes = [0u8; 8];
        offset_bytes.copy_from_slice(&trailer[..8]);
        let index_offset = u64::from_le_bytes(offset_bytes);
        if index_offset < format::HEADER_LEN || index_offset >= self.len - format::TRAILER_LEN {
            return Err(TraceError::CorruptChunk {
                path: self.path.clone(),
                offset: self.len - format::TRAILER_LEN,
                detail: format!("trailer points at offset {index_offset}, outside the file"),
            });
        }
        let ReadChunk {
            payload,
            end: index_end,
            ..
        } = self.read_chunk_of_kind_to(index_offset, chunk_kind::INDEX)?;
        let trailer_start = self.len - format::TRAILER_LEN;
        if index_end != trailer_start {
            return Err(TraceError::CorruptChunk {
                path: self.path.clone(),
                offset: index_end.min(trailer_start),
                detail: format!(
                    "the INDEX chunk ends at offset {index_end} but the trailer starts at {trailer_start}: \
                     nothing may lie between them"
                ),
            });
        }
        let index: TraceIndex = self.decode(index_offset, &payload, "index")?;
        if index.meta_offset != format::HEADER_LEN {
            return Err(TraceError::IndexMismatch {
                path: self.path.clone(),
                detail: format!(
                    "the footer index places META at offset {}; it is always the first chunk, at {}",
                    index.meta_offset,
                    format::HEADER_LEN
                ),
            });
        }
        Ok(Some((index_offset, index)))
    }

    fn read_meta(&mut self) -> Result<TraceMeta, TraceError> {
        let offset = self.index.meta_offset;
        let payload = self.read_chunk_of_kind(offset, chunk_kind::META)?;
        self.decode(offset, &payload, "meta")
    }

    /// Rebuilds the index from every complete chunk; records where reading stopped.
    fn scan(&mut self) -> Result<(), TraceError> {
        let mut offset = format::HEADER_LEN;
        let mut chains = ChainState::default();
        let mut index = TraceIndex::empty();
        let stop = loop {
            if offset == self.len {
                break Truncation {
                    offset,
                    detail: "no footer index: the recording did not finish".into(),
                    salvaged: 0,
                };
            }
            let ReadChunk { kind, payload, end } = match self.read_chunk(offset) {
                Ok(chunk) => chunk,
                Err(TraceError::Truncated { offset, detail, .. }) => {
                    let salvaged = self.salvage(offset, index.event_count);
                    let detail = if salvaged > 0 {
                        format!(
                            "{detail} ({salvaged} complete events before the cut read without checksum)"
                        )
                    } else {
                        detail
                    };
                    break Truncation {
                        offset,
                        detail,
                        salvaged: salvaged as u64,
                    };
                }
                Err(TraceError::CorruptChunk { offset, detail, .. }) => {
                    break Truncation {
                        offset,
                        detail: format!("damaged chunk: {detail}"),
                        salvaged: 0,
                    };
                }
                Err(other) => return Err(other),
            };
            match kind {
                chunk_kind::EVENTS => {
                    let events = match event_bytes::decode_with_hashes(&payload) {
                        Ok(events) => events,
                        Err(detail) => {
                            let e = TraceError::Decode {
                                path: self.path.clone(),
                                offset,
                                detail: format!("events payload does not decode: {detail}"),
                            };
                            break Truncation {
                                offset,
                                detail: e.to_string(),
                                salvaged: 0,
                            };
                        }
                    };
                    if let Some((first, _)) = events.first() {
                        if first.seq != index.event_count {
                            break Truncation {
                                offset,
                                detail: format!(
                                    "events chunk starts at seq {} where {} was expected",
                                    first.seq, index.event_count
                                ),
                                salvaged: 0,
                            };
                        }
                        index.chunks.push(EventChunkEntry {
                            offset,
                            first_seq: first.seq,
                            count: events.len() as u64,
                        });
                    }
                    for (event, structural) in &events {
                        let layer = event.body.code().0;
                        if let Some(c) = index.layer_counts.get_mut(usize::from(layer)) {
                            *c += 1;
                        }
                        chains.push(usize::from(layer), structural);
                    }
                    index.event_count += events.len() as u64;
                }
                chunk_kind::BLOB | chunk_kind::STATS | chunk_kind::VIEW => {
                    let digest = if kind == chunk_kind::BLOB {
                        self.decode::<BlobRecord>(offset, &payload, "blob")
                            .map(|r| r.digest)
                    } else if kind == chunk_kind::VIEW {
                        self.decode::<ViewRecord>(offset, &payload, "view")
                            .map(|r| r.digest)
                    } else {
                        self.decode::<StatsRecord>(offset, &payload, "stats")
                            .map(|r| r.digest)
                    };
                    match digest {
                        Ok(digest) => index.blobs.push(BlobEntry { digest, offset }),
                        Err(e) => {
                            break Truncation {
                                offset,
                                detail: e.to_string(),
                                salvaged: 0,
                            };
                        }
                    }
                }
                chunk_kind::META if offset == format::HEADER_LEN => {}
                chunk_kind::INDEX => {
                    // An index without its trailer: the write of the trailer was cut.
                    break Truncation {
                        offset: end,
                        detail: "footer index present but its trailer is missing".into(),
                        salvaged: 0,
                    };
                }
                _ => {} // unknown chunk kinds from newer minor versions are skipped
            }
            offset = end;
        };
        if index.chunks.is_empty() && self.first_chunk_kind() != Some(chunk_kind::META) {
            return Err(TraceError::Truncated {
                path: self.path.clone(),
                offset: stop.offset,
                detail: stop.detail,
            });
        }
        for event in &self.salvaged {
            let layer = event.body.code().0;
            if let Some(c) = index.layer_counts.get_mut(usize::from(layer)) {
                *c += 1;
            }
            chains.push(usize::from(layer), &event.body.structural_hash());
        }
        index.event_count += self.salvaged.len() as u64;
        index.chain = chains.all;
        index.layer_chains = chains.layers;
        self.index = index;
        self.truncation = Some(stop);
        Ok(())
    }

    /// Decodes the complete events at the start of an EVENTS chunk cut short
    /// at `offset`, keeping those that continue the sequence at `next_seq`.
    fn salvage(&mut self, offset: u64, next_seq: u64) -> usize {
        let available = self.len.saturating_sub(offset);
        if available <= format::CHUNK_HEADER_LEN {
            return 0;
        }
        let mut bytes = vec![0u8; available as usize];
        if self.read_exact_at(offset, &mut bytes).is_err() || bytes[4] != chunk_kind::EVENTS {
            return 0;
        }
        let decoded = codec::decode_prefix(bytes[5], &bytes[format::CHUNK_HEADER_LEN as usize..]);
        let mut payload = decoded.as_slice();
        let Ok(count) = rmp::decode::read_array_len(&mut payload) else {
            return 0;
        };
        let mut events = Vec::new();
        let mut de = rmp_serde::Deserializer::new(payload);
        for _ in 0..count {
            match <Event as serde::Deserialize>::deserialize(&mut de) {
                Ok(event) if event.seq == next_seq + events.len() as u64 => events.push(event),
                _ => break,
            }
        }
        let n = events.len();
        self.salvaged = events;
        n
    }

    fn first_chunk_kind(&mut self) -> Option<u8> {
        self.read_chunk(format::HEADER_LEN)
            .ok()
            .map(|chunk| chunk.kind)
    }

    fn read_chunk_of_kind(&mut self, offset: u64, kind: u8) -> Result<Vec<u8>, TraceError> {
        self.read_chunk_of_kind_to(offset, kind)
            .map(|chunk| chunk.payload)
    }

    fn read_chunk_of_kind_to(&mut self, offset: u64, kind: u8) -> Result<ReadChunk, TraceError> {
        let chunk = self.read_chunk(offset)?;
        if chunk.kind != kind {
            return Err(TraceError::CorruptChunk {
                path: self.path.clone(),
                offset,
                detail: format!("expected chunk kind {kind}, found {}", chunk.kind),
            });
        }
        Ok(chunk)
    }

    /// Whether a chunk header's bytes 5..8 are valid in this file: a known
    /// encoding this major allows, then two zero bytes.
    fn chunk_header_valid(&self, header: &[u8; format::CHUNK_HEADER_LEN as usize]) -> bool {
        format::encoding_allowed(self.version.0, header[5]) && header[6..] == [0, 0]
    }

    /// Reads and verifies one chunk, and decodes its payload.
    fn read_chunk(&mut self, offset: u64) -> Result<ReadChunk, TraceError> {
        let remaining = self.len.saturating_sub(offset);
        if remaining < format::CHUNK_HEADER_LEN {
            return Err(TraceError::Truncated {
                path: self.path.clone(),
                offset,
                detail: format!(
                    "{remaining} bytes left where an {}-byte chunk header was expected",
                    format::CHUNK_HEADER_LEN
                ),
            });
        }
        let mut header = [0u8; format::CHUNK_HEADER_LEN as usize];
        self.read_exact_at(offset, &mut header)?;
        let len = u64::from(u32::from_le_bytes([
            header[0], header[1], header[2], header[3],
        ]));
        let kind = header[4];
        if !self.chunk_header_valid(&header) || len > format::MAX_CHUNK_PAYLOAD {
            return Err(TraceError::CorruptChunk {
                path: self.path.clone(),
                offset,
                detail: format!("invalid chunk header {header:02x?}"),
            });
        }
        let total = format::CHUNK_HEADER_LEN + len + format::CHUNK_HASH_LEN;
        if remaining < total {
            return Err(TraceError::Truncated {
                path: self.path.clone(),
                offset,
                detail: format!(
                    "chunk (kind {kind}) needs {total} bytes but only {remaining} remain"
                ),
            });
        }
        let mut body = vec![0u8; (len + format::CHUNK_HASH_LEN) as usize];
        self.read_exact_at(offset + format::CHUNK_HEADER_LEN, &mut body)?;
        let hash_start = len as usize;
        let mut hasher = blake3::Hasher::new();
        hasher.update(&header);
        hasher.update(&body[..hash_start]);
        if hasher.finalize().as_bytes() != &body[hash_start..] {
            return Err(TraceError::CorruptChunk {
                path: self.path.clone(),
                offset,
                detail: format!("checksum mismatch in chunk of kind {kind}"),
            });
        }
        body.truncate(hash_start);
        let payload =
            codec::decode(header[5], body).map_err(|detail| TraceError::CorruptChunk {
                path: self.path.clone(),
                offset,
                detail: format!("chunk of kind {kind}: {detail}"),
            })?;
        Ok(ReadChunk {
            kind,
            payload,
            end: offset + total,
        })
    }

    fn read_exact_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), TraceError> {
        self.file
            .seek(SeekFrom::Start(offset))
            .and_then(|_| self.file.read_exact(buf))
            .map_err(|e| TraceError::io(&self.path, e))
    }
}

/// Refuses what is not a regular file, naming what it is.
fn refuse_non_regular(path: &Path, metadata: &std::fs::Metadata) -> Result<(), TraceError> {
    let file_type = metadata.file_type();
    if file_type.is_file() {
        return Ok(());
    }
    let kind = if file_type.is_dir() {
        "directory"
    } else {
        special_file_kind(&file_type)
    };
    Err(TraceError::NotRegularFile {
        path: path.to_owned(),
        kind,
    })
}

#[cfg(unix)]
fn special_file_kind(file_type: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if file_type.is_fifo() {
        "pipe"
    } else if file_type.is_char_device() {
        "character device"
    } else if file_type.is_block_device() {
        "block device"
    } else if file_type.is_socket() {
        "socket"
    } else {
        "special file"
    }
}

#[cfg(not(unix))]
fn special_file_kind(_: &std::fs::FileType) -> &'static str {
    "special file"
}

/// A blob's shape must describe its data: no negative size, and as many
/// bytes as its elements take (for a dtype this build does not know the
/// element size of: a whole number of bytes per element).
pub(crate) fn check_blob_shape(record: &BlobRecord) -> Result<(), String> {
    let mut numel: u64 = 1;
    for &d in &record.shape {
        let d = u64::try_from(d)
            .map_err(|_| format!("blob shape {:?} has a negative size", record.shape))?;
        numel = numel
            .checked_mul(d)
            .ok_or_else(|| format!("blob shape {:?} overflows", record.shape))?;
    }
    let len = record.data.len() as u64;
    let fits = match crate::tensor_bytes::element_size(&record.dtype) {
        Some(size) => numel.checked_mul(size as u64) == Some(len),
        None if numel == 0 => len == 0,
        None => len.is_multiple_of(numel),
    };
    if fits {
        Ok(())
    } else {
        Err(format!(
            "blob shape {:?} of dtype {} does not fit its {len} bytes of data",
            record.shape, record.dtype
        ))
    }
}

/// Iterator over a trace's events, decoding one chunk at a time.
pub struct Events<'r> {
    reader: &'r mut TraceReader,
    next_chunk: usize,
    buffer: std::vec::IntoIter<Event>,
    failed: bool,
}

impl Iterator for Events<'_> {
    type Item = Result<Event, TraceError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(event) = self.buffer.next() {
                return Some(Ok(event));
            }
            if self.failed {
                return None;
            }
            let Some(&entry) = self.reader.index.chunks.get(self.next_chunk) else {
                if self.next_chunk == self.reader.index.chunks.len() {
                    self.next_chunk += 1;
                    self.buffer = self.reader.salvaged.clone().into_iter();
                    continue;
                }
                return None;
            };
            self.next_chunk += 1;
            match self.reader.read_events_chunk(&entry) {
                Ok(events) => self.buffer = events.into_iter(),
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
        }
    }
}

/// Iterator over `(event, structural hash)` in sequence order; see
/// [`TraceReader::events_with_hashes`].
pub struct EventsWithHashes<'r> {
    reader: &'r mut TraceReader,
    next_chunk: usize,
    buffer: std::vec::IntoIter<(Event, Digest)>,
    failed: bool,
}

impl Iterator for EventsWithHashes<'_> {
    type Item = Result<(Event, Digest), TraceError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.buffer.next() {
                return Some(Ok(item));
            }
            if self.failed {
                return None;
            }
            let Some(&entry) = self.reader.index.chunks.get(self.next_chunk) else {
                if self.next_chunk == self.reader.index.chunks.len() {
                    self.next_chunk += 1;
                    let salvaged = self.reader.salvaged.iter();
                    self.buffer = salvaged
                        .map(|e| (e.clone(), e.body.structural_hash()))
                        .collect::<Vec<_>>()
                        .into_iter();
                    continue;
                }
                return None;
            };
            self.next_chunk += 1;
            match self.reader.read_events_chunk_hashed(&entry) {
                Ok(events) => self.buffer = events.into_iter(),
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
        }
    }
}
