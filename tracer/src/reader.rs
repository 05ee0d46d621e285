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

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::error::TraceError;
use crate::event::Event;
use crate::format::{
    self, BlobEntry, BlobRecord, EventChunkEntry, TraceIndex, TraceMeta, chunk_kind,
};
use crate::hash::{ChainState, Digest};

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
        let file = File::open(&path).map_err(|e| TraceError::io(&path, e))?;
        let len = file.metadata().map_err(|e| TraceError::io(&path, e))?.len();
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
            blob_offsets: HashMap::new(),
            truncation: None,
            salvaged: Vec::new(),
        };
        reader.read_header()?;
        match reader.read_footer()? {
            Some(index) => reader.index = index,
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
        let mut events = Vec::with_capacity(self.index.event_count as usize);
        let chunks = self.index.chunks.clone();
        let mut chains = ChainState::default();
        for entry in &chunks {
            for event in self.read_events_chunk(entry)? {
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
                chains.push(
                    usize::from(event.body.code().0),
                    &event.body.structural_hash(),
                );
                events.push(event);
            }
        }
        for event in &self.salvaged {
            if event.seq == events.len() as u64 {
                events.push(event.clone());
            }
        }
        if self.truncation.is_none() && chains.all != self.index.chain {
            return Err(TraceError::IndexMismatch {
                path: self.path.clone(),
                detail: format!(
                    "chain hash of the events ({}) differs from the footer's ({})",
                    chains.all.short(16),
                    self.index.chain.short(16)
                ),
            });
        }
        Ok(events)
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

    /// The value stored under `digest`, if the trace has it.
    pub fn blob(&mut self, digest: &Digest) -> Result<Option<Blob>, TraceError> {
        let Some(&offset) = self.blob_offsets.get(digest) else {
            return Ok(None);
        };
        let payload = self.read_chunk_of_kind(offset, chunk_kind::BLOB)?;
        let record: BlobRecord = self.decode(offset, &payload, "blob")?;
        if record.digest != *digest {
            return Err(TraceError::CorruptChunk {
                path: self.path.clone(),
                offset,
                detail: format!(
                    "blob chunk holds {} but the index says {}",
                    record.digest.short(16),
                    digest.short(16)
                ),
            });
        }
        Ok(Some(record))
    }

    /// Whether the trace holds a blob with this digest.
    pub fn has_blob(&self, digest: &Digest) -> bool {
        self.blob_offsets.contains_key(digest)
    }

    /// Index entries of all blobs.
    pub fn blobs(&self) -> &[BlobEntry] {
        &self.index.blobs
    }

    fn read_events_chunk(&mut self, entry: &EventChunkEntry) -> Result<Vec<Event>, TraceError> {
        let payload = self.read_chunk_of_kind(entry.offset, chunk_kind::EVENTS)?;
        let events: Vec<Event> = self.decode(entry.offset, &payload, "events")?;
        if events.len() as u64 != entry.count
            || events.first().map(|e| e.seq) != Some(entry.first_seq)
        {
            return Err(TraceError::IndexMismatch {
                path: self.path.clone(),
                detail: format!(
                    "events chunk at offset {} holds {} events from seq {:?}; the index says {} from {}",
                    entry.offset,
                    events.len(),
                    events.first().map(|e| e.seq),
                    entry.count,
                    entry.first_seq
                ),
            });
        }
        Ok(events)
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
        if major != format::VERSION_MAJOR {
            return Err(TraceError::UnsupportedVersion {
                path: self.path.clone(),
                major,
                minor,
                supported: format::VERSION_MAJOR,
            });
        }
        self.version = (major, minor);
        Ok(())
    }

    /// Reads the trailer and index chunk; `None` when there is no valid trailer.
    fn read_footer(&mut self) -> Result<Option<TraceIndex>, TraceError> {
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
        let payload = self.read_chunk_of_kind(index_offset, chunk_kind::INDEX)?;
        let index: TraceIndex = self.decode(index_offset, &payload, "index")?;
        Ok(Some(index))
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
            let (kind, payload) = match self.read_chunk(offset) {
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
                    let events: Vec<Event> = match self.decode(offset, &payload, "events") {
                        Ok(events) => events,
                        Err(e) => {
                            break Truncation {
                                offset,
                                detail: e.to_string(),
                                salvaged: 0,
                            };
                        }
                    };
                    if let Some(first) = events.first() {
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
                    for event in &events {
                        let layer = event.body.code().0;
                        if let Some(c) = index.layer_counts.get_mut(usize::from(layer)) {
                            *c += 1;
                        }
                        chains.push(usize::from(layer), &event.body.structural_hash());
                    }
                    index.event_count += events.len() as u64;
                }
                chunk_kind::BLOB => match self.decode::<BlobRecord>(offset, &payload, "blob") {
                    Ok(record) => index.blobs.push(BlobEntry {
                        digest: record.digest,
                        offset,
                    }),
                    Err(e) => {
                        break Truncation {
                            offset,
                            detail: e.to_string(),
                            salvaged: 0,
                        };
                    }
                },
                chunk_kind::META if offset == format::HEADER_LEN => {}
                chunk_kind::INDEX => {
                    // An index without its trailer: the write of the trailer was cut.
                    let end = offset
                        + format::CHUNK_HEADER_LEN
                        + payload.len() as u64
                        + format::CHUNK_HASH_LEN;
                    break Truncation {
                        offset: end,
                        detail: "footer index present but its trailer is missing".into(),
                        salvaged: 0,
                    };
                }
                _ => {} // unknown chunk kinds from newer minor versions are skipped
            }
            offset += format::CHUNK_HEADER_LEN + payload.len() as u64 + format::CHUNK_HASH_LEN;
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
        let mut payload = &bytes[format::CHUNK_HEADER_LEN as usize..];
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
        self.read_chunk(format::HEADER_LEN).ok().map(|(k, _)| k)
    }

    fn read_chunk_of_kind(&mut self, offset: u64, kind: u8) -> Result<Vec<u8>, TraceError> {
        let (found, payload) = self.read_chunk(offset)?;
        if found != kind {
            return Err(TraceError::CorruptChunk {
                path: self.path.clone(),
                offset,
                detail: format!("expected chunk kind {kind}, found {found}"),
            });
        }
        Ok(payload)
    }

    /// Reads and verifies one chunk.
    fn read_chunk(&mut self, offset: u64) -> Result<(u8, Vec<u8>), TraceError> {
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
        if header[5..] != [0, 0, 0] || len > format::MAX_CHUNK_PAYLOAD {
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
        Ok((kind, body))
    }

    fn read_exact_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), TraceError> {
        self.file
            .seek(SeekFrom::Start(offset))
            .and_then(|_| self.file.read_exact(buf))
            .map_err(|e| TraceError::io(&self.path, e))
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
