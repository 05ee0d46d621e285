//! Whole-file verification of a trace: every chunk's checksum, the tiling of
//! the file, the footer index's agreement with what the file holds, and
//! every blob's digest and shape — listing *every* problem with its offset,
//! where [`crate::TraceReader`] stops at the first.
//!
//! The walk goes chunk by chunk from the header. A chunk whose checksum
//! fails is reported and skipped by its length field when the footer index
//! (itself verified) does not say where the next chunk starts; a chunk
//! header that cannot be parsed is reported and the walk resumes at the
//! next offset the index lists, or else at the next position where a chunk
//! with a valid checksum begins. Counts and chain hashes are compared with
//! the index only when every EVENTS chunk was readable (one damaged chunk
//! would otherwise be reported again as a chain mismatch). Memory: one
//! chunk at a time.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::codec;
use crate::error::TraceError;
use crate::event::EventBody;
use crate::format::{self, BlobRecord, TraceIndex, TraceMeta, chunk_kind};
use crate::hash::ChainState;

/// One thing wrong with a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Byte offset: the chunk header's, or where the problem begins.
    pub offset: u64,
    /// What is there: `header`, `META`, `EVENTS`, `BLOB`, `INDEX`, `trailer`,
    /// `kind N` (a chunk of another kind), `file`.
    pub what: String,
    /// What is wrong.
    pub detail: String,
}

impl Problem {
    /// `offset N: WHAT: DETAIL`.
    pub fn describe(&self) -> String {
        format!("offset {}: {}: {}", self.offset, self.what, self.detail)
    }
}

/// One chunk the walk found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChunkInfo {
    /// Offset of its header.
    pub offset: u64,
    /// Kind byte.
    pub kind: u8,
    /// Length of the stored payload (as on disk, before decoding).
    pub len: u64,
    /// Checksum and contents valid.
    pub ok: bool,
}

impl ChunkInfo {
    /// Bytes on disk: header, payload, checksum.
    pub fn total(&self) -> u64 {
        format::CHUNK_HEADER_LEN + self.len + format::CHUNK_HASH_LEN
    }
}

/// The result of verifying one file.
#[derive(Clone, Debug)]
pub struct Verification {
    /// The file.
    pub path: PathBuf,
    /// Its length.
    pub len: u64,
    /// It has a valid trailer and INDEX chunk.
    pub complete: bool,
    /// Every chunk found, in file order.
    pub chunks: Vec<ChunkInfo>,
    /// Every problem, in file order of discovery.
    pub problems: Vec<Problem>,
}

impl Verification {
    /// No problem found.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Whether a chunk of this kind holds one value (listed in the index's blobs).
fn is_value_kind(kind: u8) -> bool {
    matches!(
        kind,
        chunk_kind::BLOB | chunk_kind::STATS | chunk_kind::VIEW
    )
}

/// Why a VIEW chunk is corrupt: its base is not an earlier BLOB, or its
/// elements gathered from the base do not make its value.
fn view_problem(
    w: &mut Walker,
    view: &crate::format::ViewRecord,
    blobs: &std::collections::HashMap<crate::hash::Digest, u64>,
    end: u64,
) -> Result<Option<String>, TraceError> {
    let Some(&at) = blobs.get(&view.base) else {
        return Ok(Some(format!(
            "its base {} is not an earlier BLOB",
            view.base.short(16)
        )));
    };
    let Read_::Good {
        payload: Ok(payload),
        ..
    } = w.chunk(at, end)?
    else {
        return Ok(Some(format!("its base {} is damaged", view.base.short(16))));
    };
    let base = match rmp_serde::from_slice::<BlobRecord>(&payload) {
        Ok(base) => base,
        Err(e) => return Ok(Some(format!("its base does not decode: {e}"))),
    };
    Ok(crate::view::resolve(view, &base).err())
}

/// Name of a chunk kind for messages.
pub fn kind_name(kind: u8) -> String {
    match kind {
        chunk_kind::META => "META".into(),
        chunk_kind::EVENTS => "EVENTS".into(),
        chunk_kind::BLOB => "BLOB".into(),
        chunk_kind::STATS => "STATS".into(),
        chunk_kind::VIEW => "VIEW".into(),
        chunk_kind::INDEX => "INDEX".into(),
        k => format!("kind {k}"),
    }
}

struct Walker {
    path: PathBuf,
    file: BufReader<File>,
    len: u64,
    /// The header's major version (which chunk encodings are allowed).
    major: u16,
    problems: Vec<Problem>,
}

/// How a chunk read went.
enum Read_ {
    /// Header and checksum valid; `len` bytes stored, decoded to `payload`
    /// (or a one-line reason the stored bytes do not decode).
    Good {
        kind: u8,
        len: u64,
        payload: Result<Vec<u8>, String>,
    },
    /// Header parses, the chunk fits, the checksum fails.
    BadChecksum { kind: u8, len: u64 },
    /// Header does not parse or the chunk runs past `end`.
    BadHeader(String),
}

impl Walker {
    fn problem(&mut self, offset: u64, what: impl Into<String>, detail: impl Into<String>) {
        self.problems.push(Problem {
            offset,
            what: what.into(),
            detail: detail.into(),
        });
    }

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), TraceError> {
        self.file
            .seek(SeekFrom::Start(offset))
            .and_then(|_| self.file.read_exact(buf))
            .map_err(|e| TraceError::Io {
                path: self.path.clone(),
                source: e,
            })
    }

    /// Reads the chunk at `offset`, which must end by `end`.
    fn chunk(&mut self, offset: u64, end: u64) -> Result<Read_, TraceError> {
        let remaining = end.saturating_sub(offset);
        if remaining < format::CHUNK_HEADER_LEN {
            return Ok(Read_::BadHeader(format!(
                "{remaining} bytes left where an {}-byte chunk header was expected",
                format::CHUNK_HEADER_LEN
            )));
        }
        let mut header = [0u8; format::CHUNK_HEADER_LEN as usize];
        self.read_at(offset, &mut header)?;
        let len = u64::from(u32::from_le_bytes([
            header[0], header[1], header[2], header[3],
        ]));
        let kind = header[4];
        let header_valid = format::encoding_allowed(self.major, header[5]) && header[6..] == [0, 0];
        if !header_valid || len > format::MAX_CHUNK_PAYLOAD {
            return Ok(Read_::BadHeader(format!(
                "invalid chunk header {header:02x?}"
            )));
        }
        let total = format::CHUNK_HEADER_LEN + len + format::CHUNK_HASH_LEN;
        if remaining < total {
            return Ok(Read_::BadHeader(format!(
                "chunk header says {} ({total} bytes) but only {remaining} bytes remain",
                kind_name(kind)
            )));
        }
        let mut body = vec![0u8; (len + format::CHUNK_HASH_LEN) as usize];
        self.read_at(offset + format::CHUNK_HEADER_LEN, &mut body)?;
        let split = len as usize;
        let mut hasher = blake3::Hasher::new();
        hasher.update(&header);
        hasher.update(&body[..split]);
        if hasher.finalize().as_bytes() != &body[split..] {
            return Ok(Read_::BadChecksum { kind, len });
        }
        body.truncate(split);
        Ok(Read_::Good {
            kind,
            len,
            payload: codec::decode(header[5], body),
        })
    }

    /// The next offset after `from` (exclusive) where a chunk with a valid
    /// checksum begins, before `end`.
    fn resync(&mut self, from: u64, end: u64) -> Result<Option<u64>, TraceError> {
        let mut pos = from;
        while pos + format::CHUNK_HEADER_LEN + format::CHUNK_HASH_LEN <= end {
            let mut header = [0u8; format::CHUNK_HEADER_LEN as usize];
            self.read_at(pos, &mut header)?;
            let plausible = format::encoding_allowed(self.major, header[5])
                && header[6..] == [0, 0]
                && (1..=5).contains(&header[4]);
            if plausible && let Read_::Good { .. } = self.chunk(pos, end)? {
                return Ok(Some(pos));
            }
            pos += 1;
        }
        Ok(None)
    }
}

/// Verifies the trace at `path`. `Err` only when it cannot be read at all
/// (missing, not a regular file, an I/O error); everything wrong with its
/// bytes is a [`Problem`].
pub fn verify_file(path: &Path) -> Result<Verification, TraceError> {
    let metadata = std::fs::metadata(path).map_err(|e| TraceError::Io {
        path: path.to_owned(),
        source: e,
    })?;
    if !metadata.is_file() {
        return Err(TraceError::NotRegularFile {
            path: path.to_owned(),
            kind: if metadata.is_dir() {
                "directory"
            } else {
                "special file"
            },
        });
    }
    let file = File::open(path).map_err(|e| TraceError::Io {
        path: path.to_owned(),
        source: e,
    })?;
    let mut w = Walker {
        path: path.to_owned(),
        file: BufReader::new(file),
        len: metadata.len(),
        major: format::VERSION_MAJOR,
        problems: Vec::new(),
    };
    let mut result = Verification {
        path: path.to_owned(),
        len: w.len,
        complete: false,
        chunks: Vec::new(),
        problems: Vec::new(),
    };
    // Header.
    if w.len < format::HEADER_LEN {
        w.problem(
            0,
            "header",
            format!(
                "file is {} bytes, shorter than the {}-byte header",
                w.len,
                format::HEADER_LEN
            ),
        );
        result.problems = w.problems;
        return Ok(result);
    }
    let mut header = [0u8; format::HEADER_LEN as usize];
    w.read_at(0, &mut header)?;
    if header[..8] != format::MAGIC {
        w.problem(0, "header", "not a FrankenTorch trace (bad magic bytes)");
        result.problems = w.problems;
        return Ok(result);
    }
    let major = u16::from_le_bytes([header[8], header[9]]);
    let minor = u16::from_le_bytes([header[10], header[11]]);
    let Some(floor) = format::floor_minor(major) else {
        w.problem(
            8,
            "header",
            format!(
                "format version {major}.{minor} is not supported (this build reads {}.x and {}.x)",
                format::LEGACY_MAJOR,
                format::VERSION_MAJOR
            ),
        );
        result.problems = w.problems;
        return Ok(result);
    };
    w.major = major;
    if minor < floor {
        w.problem(
            10,
            "header",
            format!("minor version {minor} is below {floor}"),
        );
    }
    if header[12..] != [0, 0, 0, 0] {
        w.problem(
            12,
            "header",
            format!("reserved bytes 12..16 are {:02x?}, not zero", &header[12..]),
        );
    }

    // Trailer and index.
    let mut index: Option<(u64, TraceIndex)> = None;
    let mut walk_end = w.len;
    let has_trailer = w.len >= format::HEADER_LEN + format::TRAILER_LEN && {
        let mut trailer = [0u8; format::TRAILER_LEN as usize];
        w.read_at(w.len - format::TRAILER_LEN, &mut trailer)?;
        if trailer[8..] == format::TRAILER_MAGIC {
            let mut o = [0u8; 8];
            o.copy_from_slice(&trailer[..8]);
            let index_offset = u64::from_le_bytes(o);
            let trailer_start = w.len - format::TRAILER_LEN;
            walk_end = trailer_start;
            if index_offset < format::HEADER_LEN || index_offset >= trailer_start {
                w.problem(
                    trailer_start,
                    "trailer",
                    format!("points at offset {index_offset}, outside the file"),
                );
            } else {
                match w.chunk(index_offset, trailer_start)? {
                    Read_::Good {
                        kind: chunk_kind::INDEX,
                        len,
                        payload,
                    } => {
                        let end =
                            index_offset + format::CHUNK_HEADER_LEN + len + format::CHUNK_HASH_LEN;
                        match payload.and_then(|p| {
                            rmp_serde::from_slice::<TraceIndex>(&p).map_err(|e| e.to_string())
                        }) {
                            Err(e) => w.problem(
                                index_offset,
                                "INDEX",
                                format!("payload does not decode: {e}"),
                            ),
                            Ok(_) if end != trailer_start => w.problem(
                                end,
                                "INDEX",
                                format!(
                                    "the INDEX chunk ends at {end} but the trailer starts at \
                                     {trailer_start}: nothing may lie between them"
                                ),
                            ),
                            Ok(i) if i.meta_offset != format::HEADER_LEN => w.problem(
                                index_offset,
                                "INDEX",
                                format!("places META at offset {}, not 16", i.meta_offset),
                            ),
                            Ok(i) => {
                                walk_end = index_offset;
                                index = Some((index_offset, i));
                            }
                        }
                    }
                    Read_::Good { kind, .. } => w.problem(
                        index_offset,
                        kind_name(kind),
                        "the trailer points here, but this is not an INDEX chunk",
                    ),
                    Read_::BadChecksum { kind, .. } => w.problem(
                        index_offset,
                        kind_name(kind),
                        "checksum mismatch (the chunk the trailer points at)",
                    ),
                    Read_::BadHeader(detail) => w.problem(
                        index_offset,
                        "INDEX",
                        format!("the trailer points here: {detail}"),
                    ),
                }
            }
        }
        trailer[8..] == format::TRAILER_MAGIC
    };
    result.complete = index.is_some();
    if !has_trailer {
        w.problem(
            w.len,
            "file",
            "incomplete: no trailer (the recording did not finish or the file was cut)",
        );
    }

    // Offsets the index vouches for, to resume after damage.
    let known: BTreeMap<u64, u8> = index
        .as_ref()
        .map(|(_, i)| {
            i.chunks
                .iter()
                .map(|c| (c.offset, chunk_kind::EVENTS))
                .chain(i.blobs.iter().map(|b| (b.offset, chunk_kind::BLOB)))
                .collect()
        })
        .unwrap_or_default();

    // Walk.
    let mut offset = format::HEADER_LEN;
    let mut chains = ChainState::default();
    let mut layer_counts = [0u64; 4];
    let mut next_seq: Option<u64> = Some(0);
    let mut events_intact = true;
    let mut needed_minor = floor;
    let mut unknown_kinds = false;
    let mut events_found: Vec<(u64, u64, u64)> = Vec::new(); // offset, first_seq, count
    let mut blobs_found: Vec<(u64, Option<crate::hash::Digest>)> = Vec::new();
    // BLOBs read so far (a VIEW's base must be one of them) and whether a
    // VIEW was met (the file then says minor 5 or newer).
    let mut intact_blobs: std::collections::HashMap<crate::hash::Digest, u64> =
        std::collections::HashMap::new();
    let mut views_found = false;
    while offset < walk_end {
        let read = w.chunk(offset, walk_end)?;
        let (kind, len, payload) = match read {
            Read_::Good { kind, len, payload } => (kind, len, payload),
            Read_::BadChecksum { kind, len } => {
                w.problem(offset, kind_name(kind), "checksum mismatch");
                result.chunks.push(ChunkInfo {
                    offset,
                    kind,
                    len,
                    ok: false,
                });
                if kind == chunk_kind::EVENTS {
                    events_intact = false;
                    next_seq = None;
                    events_found.push((offset, 0, 0));
                } else if is_value_kind(kind) {
                    blobs_found.push((offset, None));
                }
                let by_length = offset + format::CHUNK_HEADER_LEN + len + format::CHUNK_HASH_LEN;
                // The index (verified) says where the next chunk begins;
                // without one, the length field is all there is.
                offset = match known.range(offset + 1..).next() {
                    Some((&next, _)) => next,
                    None if index.is_some() => by_length.min(walk_end),
                    None => by_length,
                };
                continue;
            }
            Read_::BadHeader(detail) => {
                events_intact = false;
                next_seq = None;
                let listed = known.get(&offset).copied();
                let next = match known.range(offset + 1..).next() {
                    Some((&next, _)) => Some(next),
                    None if index.is_some() => Some(walk_end),
                    None => w.resync(offset + 1, walk_end)?,
                };
                match (listed, next) {
                    (Some(kind), Some(next)) => {
                        // The index says what this chunk is and where the next begins.
                        w.problem(
                            offset,
                            kind_name(kind),
                            format!("damaged chunk header: {detail}"),
                        );
                        let len = (next - offset)
                            .saturating_sub(format::CHUNK_HEADER_LEN + format::CHUNK_HASH_LEN);
                        result.chunks.push(ChunkInfo {
                            offset,
                            kind,
                            len,
                            ok: false,
                        });
                        if kind == chunk_kind::EVENTS {
                            events_found.push((offset, 0, 0));
                        } else {
                            blobs_found.push((offset, None));
                        }
                        offset = next;
                    }
                    (None, Some(next)) => {
                        w.problem(
                            offset,
                            "chunk",
                            format!("{detail}; bytes {offset}..{next} are unreadable"),
                        );
                        offset = next;
                    }
                    (_, None) if !has_trailer => {
                        // A cut file: the last chunk runs past the end.
                        w.problem(
                            offset,
                            "file",
                            format!("incomplete: the readable part ends here ({detail})"),
                        );
                        offset = walk_end;
                    }
                    (_, None) => {
                        w.problem(
                            offset,
                            "chunk",
                            format!("{detail}; bytes {offset}..{walk_end} are unreadable"),
                        );
                        offset = walk_end;
                    }
                }
                continue;
            }
        };
        let payload = match payload {
            Ok(payload) => payload,
            Err(detail) => {
                w.problem(
                    offset,
                    kind_name(kind),
                    format!("payload does not decode: {detail}"),
                );
                if kind == chunk_kind::EVENTS {
                    events_intact = false;
                    next_seq = None;
                    events_found.push((offset, 0, 0));
                } else if is_value_kind(kind) {
                    blobs_found.push((offset, None));
                }
                result.chunks.push(ChunkInfo {
                    offset,
                    kind,
                    len,
                    ok: false,
                });
                offset += format::CHUNK_HEADER_LEN + len + format::CHUNK_HASH_LEN;
                continue;
            }
        };
        let mut ok = true;
        if offset == format::HEADER_LEN && kind != chunk_kind::META {
            w.problem(offset, kind_name(kind), "the first chunk is not META");
            ok = false;
        }
        match kind {
            chunk_kind::META => {
                if offset != format::HEADER_LEN {
                    w.problem(offset, "META", "a META chunk after the first chunk");
                    ok = false;
                } else if let Err(e) = rmp_serde::from_slice::<TraceMeta>(&payload) {
                    w.problem(offset, "META", format!("payload does not decode: {e}"));
                    ok = false;
                }
            }
            chunk_kind::EVENTS => match crate::event_bytes::decode_with_hashes(&payload) {
                Err(e) => {
                    w.problem(offset, "EVENTS", format!("payload does not decode: {e}"));
                    ok = false;
                    events_intact = false;
                    next_seq = None;
                    events_found.push((offset, 0, 0));
                }
                Ok(events) => {
                    let first = events.first().map_or(0, |(e, _)| e.seq);
                    events_found.push((offset, first, events.len() as u64));
                    if events.is_empty() {
                        w.problem(offset, "EVENTS", "an EVENTS chunk with no events");
                        ok = false;
                    }
                    for (i, (event, structural)) in events.iter().enumerate() {
                        if let Some(want) = next_seq
                            && event.seq != want
                        {
                            w.problem(
                                offset,
                                "EVENTS",
                                format!(
                                    "event {i} has seq {} where {want} was expected",
                                    event.seq
                                ),
                            );
                            ok = false;
                            events_intact = false;
                        }
                        next_seq = Some(event.seq + 1);
                        let layer = usize::from(event.body.code().0);
                        if let Some(c) = layer_counts.get_mut(layer) {
                            *c += 1;
                        }
                        needed_minor = needed_minor.max(format::minor_needed(major, &event.body));
                        unknown_kinds |= matches!(event.body, EventBody::Unknown { .. });
                        chains.push(layer, structural);
                    }
                }
            },
            chunk_kind::BLOB => match rmp_serde::from_slice::<BlobRecord>(&payload) {
                Err(e) => {
                    w.problem(offset, "BLOB", format!("payload does not decode: {e}"));
                    ok = false;
                    blobs_found.push((offset, None));
                }
                Ok(record) => {
                    blobs_found.push((offset, Some(record.digest)));
                    intact_blobs.insert(record.digest, offset);
                    if let Err(detail) = crate::reader::check_blob_shape(&record) {
                        w.problem(offset, "BLOB", detail);
                        ok = false;
                    } else {
                        let content =
                            crate::hash::blob_digest(&record.dtype, &record.shape, &record.data);
                        if content != record.digest {
                            w.problem(
                                offset,
                                "BLOB",
                                format!(
                                    "content hashes to {}, not to its digest {}",
                                    content.short(16),
                                    record.digest.short(16)
                                ),
                            );
                            ok = false;
                        }
                    }
                }
            },
            chunk_kind::VIEW => {
                match rmp_serde::from_slice::<crate::format::ViewRecord>(&payload) {
                    Err(e) => {
                        w.problem(offset, "VIEW", format!("payload does not decode: {e}"));
                        ok = false;
                        blobs_found.push((offset, None));
                    }
                    Ok(view) => {
                        blobs_found.push((offset, Some(view.digest)));
                        views_found = true;
                        if let Some(detail) = view_problem(&mut w, &view, &intact_blobs, walk_end)?
                        {
                            w.problem(offset, "VIEW", detail);
                            ok = false;
                        }
                    }
                }
            }
            chunk_kind::STATS => {
                match rmp_serde::from_slice::<crate::format::StatsRecord>(&payload) {
                    Err(e) => {
                        w.problem(offset, "STATS", format!("payload does not decode: {e}"));
                        ok = false;
                        blobs_found.push((offset, None));
                    }
                    Ok(record) => {
                        blobs_found.push((offset, Some(record.digest)));
                        if let Err(detail) = crate::value_stats::check_record(&record) {
                            w.problem(offset, "STATS", detail);
                            ok = false;
                        }
                    }
                }
            }
            chunk_kind::INDEX => {
                w.problem(
                    offset,
                    "INDEX",
                    "an INDEX chunk before the end of the file (the trailer does not point at it)",
                );
                ok = false;
            }
            _ => {} // a newer kind with a valid checksum is allowed
        }
        result.chunks.push(ChunkInfo {
            offset,
            kind,
            len,
            ok,
        });
        offset += format::CHUNK_HEADER_LEN + len + format::CHUNK_HASH_LEN;
    }

    // Index agreement.
    if let Some((index_offset, index)) = &index {
        if offset != *index_offset {
            w.problem(
                offset.min(*index_offset),
                "file",
                format!("the chunks do not tile the file up to the INDEX chunk at {index_offset}"),
            );
        }
        let listed: BTreeSet<u64> = index.chunks.iter().map(|c| c.offset).collect();
        let found: BTreeSet<u64> = events_found.iter().map(|e| e.0).collect();
        for o in listed.difference(&found) {
            w.problem(
                *o,
                "INDEX",
                "lists an EVENTS chunk here, but no EVENTS chunk starts here",
            );
        }
        for o in found.difference(&listed) {
            w.problem(*o, "EVENTS", "not listed in the footer index");
        }
        for entry in &index.chunks {
            if let Some(&(_, first, count)) =
                events_found.iter().find(|e| e.0 == entry.offset && e.2 > 0)
                && (first, count) != (entry.first_seq, entry.count)
            {
                w.problem(
                    entry.offset,
                    "EVENTS",
                    format!(
                        "holds {count} events from seq {first}; the index says {} from {}",
                        entry.count, entry.first_seq
                    ),
                );
            }
        }
        let listed: BTreeSet<u64> = index.blobs.iter().map(|b| b.offset).collect();
        let found: BTreeSet<u64> = blobs_found.iter().map(|b| b.0).collect();
        for o in listed.difference(&found) {
            w.problem(
                *o,
                "INDEX",
                "lists a BLOB chunk here, but no BLOB chunk starts here",
            );
        }
        for o in found.difference(&listed) {
            w.problem(*o, "BLOB", "not listed in the footer index");
        }
        for entry in &index.blobs {
            if let Some(&(_, Some(digest))) = blobs_found.iter().find(|b| b.0 == entry.offset)
                && digest != entry.digest
            {
                w.problem(
                    entry.offset,
                    "BLOB",
                    format!(
                        "holds {} but the index says {}",
                        digest.short(16),
                        entry.digest.short(16)
                    ),
                );
            }
        }
        if events_intact {
            let total: u64 = layer_counts.iter().sum();
            if total != index.event_count || layer_counts != index.layer_counts {
                w.problem(
                    *index_offset,
                    "INDEX",
                    format!(
                        "the events ({total}, per layer {layer_counts:?}) differ from the index's \
                         counts ({}, {:?})",
                        index.event_count, index.layer_counts
                    ),
                );
            }
            if chains.all != index.chain || chains.layers != index.layer_chains {
                w.problem(
                    *index_offset,
                    "INDEX",
                    format!(
                        "chain hash of the events ({}) differs from the index's ({})",
                        chains.all.short(16),
                        index.chain.short(16)
                    ),
                );
            }
            if views_found && major == format::VERSION_MAJOR {
                needed_minor = needed_minor.max(format::VIEW_MINOR);
            }
            let fits = if unknown_kinds {
                minor >= needed_minor
            } else {
                minor == needed_minor
            };
            if !fits {
                w.problem(
                    10,
                    "header",
                    format!(
                        "minor version {minor}, but the events need exactly {needed_minor}{}",
                        if unknown_kinds { " or newer" } else { "" }
                    ),
                );
            }
        }
    }
    w.problems.sort_by_key(|p| p.offset);
    result.problems = w.problems;
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_trace(dir: &Path) -> PathBuf {
        let path = dir.join("t.ftr");
        let meta = TraceMeta {
            producer: "test".into(),
            program: "p.py".into(),
            value_policy: "all".into(),
            attrs: vec![],
        };
        let mut file = crate::FileTraceWriter::create(&path, &meta).expect("ok");
        let w = file.writer();
        w.put_blob("float32", &[2], &[0, 0, 128, 63, 0, 0, 0, 64])
            .expect("ok");
        for seed in 0..3000u64 {
            w.append(
                &EventBody::Api(crate::event::ApiEvent::ManualSeed(crate::ManualSeed {
                    seed,
                })),
                0,
            )
            .expect("ok");
        }
        file.finish().expect("ok");
        path
    }

    #[test]
    fn clean_file_has_no_problems() {
        let dir = tempfile::tempdir().expect("ok");
        let path = write_trace(dir.path());
        let v = verify_file(&path).expect("ok");
        assert!(v.ok(), "{:?}", v.problems);
        assert!(v.complete);
        assert!(v.chunks.len() > 3);
    }
}
