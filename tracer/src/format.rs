//! Container layout of `.ftr` files: header, self-checking chunks, footer.
//!
//! This module is the Rust mirror of `docs/FORMAT.md`, which is normative.
//!
//! ```text
//! header   16 B   magic 89 46 54 52 0d 0a 1a 0a | major u16 LE | minor u16 LE | 0u32
//! chunk    8 B    stored length u32 LE | kind u8 | encoding u8 | 2 zero bytes
//!          N B    msgpack payload, stored raw or as a zstd frame (crate::codec)
//!          32 B   blake3(chunk header ‖ stored bytes)
//! ...      chunks: META first, then EVENTS and BLOB chunks interleaved
//! INDEX    chunk  footer index (msgpack)
//! trailer  16 B   offset of the INDEX chunk u64 LE | "FTRINDEX"
//! ```
//!
//! Version rule: this build writes [`VERSION_MAJOR`] and reads it and the
//! previous major, [`LEGACY_MAJOR`] (1.x: every chunk raw); it refuses any
//! other. A minor bump may only add chunk kinds, chunk encodings, event kinds
//! or value tags, never change the shape of an existing record. The header's
//! minor is the lowest one that covers the file, never below the major's
//! floor ([`floor_minor`]): writers start with it and raise it when they
//! append the first event of a newer kind ([`minor_needed`]).

use serde::{Deserialize, Serialize};

use crate::hash::Digest;

/// First 8 bytes of every trace (PNG-style: catches text-mode and 7-bit mangling).
pub const MAGIC: [u8; 8] = [0x89, b'F', b'T', b'R', b'\r', b'\n', 0x1a, b'\n'];
/// Major version written by this build (2.0: EVENTS chunks compressed).
pub const VERSION_MAJOR: u16 = 2;
/// Newest minor version of [`VERSION_MAJOR`] this build reads and writes
/// (2.1: api `autocast`; 2.2: complex values, tag 11; 2.3: api
/// `anomaly_mode`; 2.4: sparse tensor references; 2.5: VIEW chunks; 2.6:
/// nested tensor references; 2.7: api `below_autograd`).
pub const VERSION_MINOR: u16 = 7;
/// The 2.x minor that added value tag 11 (a Python complex number).
pub const COMPLEX_VALUE_MINOR: u16 = 2;
/// The 2.x minor that added api `anomaly_mode` (autograd's anomaly mode).
pub const ANOMALY_MODE_MINOR: u16 = 3;
/// The 2.x minor that added api `below_autograd` (dispatch below autograd
/// while a program-defined operator's kernel runs).
pub const BELOW_AUTOGRAD_MINOR: u16 = 7;
/// The 2.x minor that added sparse tensor references (an 11th element).
pub const SPARSE_TENSOR_MINOR: u16 = 4;
/// The 2.x minor that added VIEW chunks (a value stored as a strided view
/// of an earlier BLOB).
pub const VIEW_MINOR: u16 = 5;
/// The 2.x minor that added nested tensor references (an 11th element of
/// layout `nested`).
pub const NESTED_TENSOR_MINOR: u16 = 6;
/// Minor version a [`VERSION_MAJOR`] writer starts with.
pub const FLOOR_MINOR: u16 = 0;
/// The previous major version, still read: 1.1 to 1.3, every chunk raw.
pub const LEGACY_MAJOR: u16 = 1;
/// Newest minor of [`LEGACY_MAJOR`] (1.2: api `default_dtype`; 1.3: the
/// autograd-completeness kinds of docs/FORMAT.md).
pub const LEGACY_NEWEST_MINOR: u16 = 3;
/// Lowest minor a [`LEGACY_MAJOR`] file says.
pub const LEGACY_FLOOR_MINOR: u16 = 1;
/// Byte offset of the minor version in the header.
pub const MINOR_OFFSET: u64 = 10;
/// Length of the file header.
pub const HEADER_LEN: u64 = 16;
/// Length of a chunk header.
pub const CHUNK_HEADER_LEN: u64 = 8;
/// Length of a chunk's checksum.
pub const CHUNK_HASH_LEN: u64 = 32;
/// Last 8 bytes of a complete trace.
pub const TRAILER_MAGIC: [u8; 8] = *b"FTRINDEX";
/// Length of the trailer.
pub const TRAILER_LEN: u64 = 16;
/// Largest chunk payload a reader accepts (1 GiB).
pub const MAX_CHUNK_PAYLOAD: u64 = 1 << 30;
/// Writers close an EVENTS chunk once its encoded events reach this many bytes.
pub const EVENT_CHUNK_TARGET: usize = 16 * 1024;

/// The lowest minor a file of `major` says, `None` for a major this build
/// does not read.
pub fn floor_minor(major: u16) -> Option<u16> {
    match major {
        VERSION_MAJOR => Some(FLOOR_MINOR),
        LEGACY_MAJOR => Some(LEGACY_FLOOR_MINOR),
        _ => None,
    }
}

/// The newest minor of `major` this build knows.
pub fn newest_minor(major: u16) -> u16 {
    if major == LEGACY_MAJOR {
        LEGACY_NEWEST_MINOR
    } else {
        VERSION_MINOR
    }
}

/// The minor of `major` that defines an event (FORMAT §2.1): in 1.x
/// the minor that added its kind, in 2.x 0 for every kind of 2.0, 1 for api
/// `autocast` (2.1), 2 for an operator call holding a complex value (tag
/// 11, 2.2), 3 for api `anomaly_mode` (2.3), 4 for an event holding a
/// sparse tensor reference (2.4) and 6 for one holding a nested tensor
/// reference (2.6). Unknown kinds count as
/// the newest minor this build knows.
pub fn minor_needed(major: u16, body: &crate::event::EventBody) -> u16 {
    if let crate::event::EventBody::Unknown { .. } = body {
        return newest_minor(major);
    }
    if major == LEGACY_MAJOR {
        body.since_minor()
    } else if body.tensor_refs().iter().any(|t| t.nested.is_some()) {
        body.since_minor_v2().max(NESTED_TENSOR_MINOR)
    } else if body.tensor_refs().iter().any(|t| t.sparse.is_some()) {
        body.since_minor_v2().max(SPARSE_TENSOR_MINOR)
    } else if holds_complex_value(body) {
        body.since_minor_v2().max(COMPLEX_VALUE_MINOR)
    } else {
        body.since_minor_v2()
    }
}

/// Whether an operator call's arguments or results hold a complex value
/// (the only events with scalar values).
fn holds_complex_value(body: &crate::event::EventBody) -> bool {
    use crate::event::{DispatchEvent, EventBody};
    use crate::value::Value;
    fn complex(v: &Value) -> bool {
        match v {
            Value::Complex { .. } => true,
            Value::List(items) => items.iter().any(complex),
            _ => false,
        }
    }
    match body {
        EventBody::Dispatch(DispatchEvent::Op(op)) => {
            op.args.iter().any(|(_, v)| complex(v)) || op.outputs.iter().any(complex)
        }
        EventBody::Dispatch(DispatchEvent::OpError(op)) => op.args.iter().any(|(_, v)| complex(v)),
        _ => false,
    }
}

/// Whether chunks of a `major` file may use `encoding` (1.x: raw only).
pub fn encoding_allowed(major: u16, encoding: u8) -> bool {
    match encoding {
        crate::codec::RAW => true,
        crate::codec::ZSTD => major == VERSION_MAJOR,
        _ => false,
    }
}

/// The encoding a writer of this build stores a chunk of `kind` with:
/// EVENTS compressed, everything else raw.
pub fn writer_encoding(kind: u8) -> u8 {
    if kind == chunk_kind::EVENTS {
        crate::codec::ZSTD
    } else {
        crate::codec::RAW
    }
}

/// Chunk kinds. Next kind: 7.
pub mod chunk_kind {
    /// Trace metadata ([`super::TraceMeta`]); always the first chunk.
    pub const META: u8 = 1;
    /// A msgpack array of events.
    pub const EVENTS: u8 = 2;
    /// One tensor value ([`super::BlobRecord`]).
    pub const BLOB: u8 = 3;
    /// The footer index ([`super::TraceIndex`]).
    pub const INDEX: u8 = 4;
    /// Summary statistics of one tensor value ([`super::StatsRecord`],
    /// value policy `stats`).
    pub const STATS: u8 = 5;
    /// One tensor value stored as a strided view of an earlier BLOB
    /// ([`super::ViewRecord`], format 2.5).
    pub const VIEW: u8 = 6;
}

/// Which tensor values a recording keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValuePolicy {
    /// Every operator output and every introduced tensor.
    All,
    /// Only what replay needs: introduced tensors and outputs of random ops.
    Inputs,
    /// What `inputs` keeps in full, and for every other value `all` keeps a
    /// STATS record (digest, min/max/mean/norm, non-finite count, sampled
    /// elements) instead of its bytes.
    Stats,
    /// No values.
    None,
}

impl ValuePolicy {
    /// Wire name.
    pub fn name(self) -> &'static str {
        match self {
            ValuePolicy::All => "all",
            ValuePolicy::Inputs => "inputs",
            ValuePolicy::Stats => "stats",
            ValuePolicy::None => "none",
        }
    }

    /// Whether a recording under this policy records (in full or as
    /// statistics) every value `all` keeps.
    pub fn records_every_value(self) -> bool {
        matches!(self, ValuePolicy::All | ValuePolicy::Stats)
    }

    /// Parses a wire name.
    pub fn parse(name: &str) -> Option<ValuePolicy> {
        match name {
            "all" => Some(ValuePolicy::All),
            "inputs" => Some(ValuePolicy::Inputs),
            "stats" => Some(ValuePolicy::Stats),
            "none" => Some(ValuePolicy::None),
            _ => None,
        }
    }
}

/// META chunk payload: `[producer, program, value_policy, attrs]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceMeta {
    /// Who wrote the trace (`ft-runtime 0.1.0`, `capture_torch.py 0.1.0`).
    pub producer: String,
    /// What ran (`traces/programs/mlp_train.py`).
    pub program: String,
    /// `all`, `inputs` or `none`.
    pub value_policy: String,
    /// Further facts as `[key, value]` string pairs in a fixed order
    /// (`torch_version`, ...).
    pub attrs: Vec<(String, String)>,
}

impl TraceMeta {
    /// Looks up an attribute.
    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// BLOB chunk payload: `[digest, dtype, shape, data]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BlobRecord {
    /// `blake3(msgpack([dtype, shape]) ‖ data)`.
    pub digest: Digest,
    /// Dtype name (`float32`).
    pub dtype: String,
    /// Sizes.
    pub shape: Vec<i64>,
    /// Elements in logical C order, little-endian (msgpack bin).
    #[serde(with = "serde_bytes")]
    pub data: Vec<u8>,
}

/// VIEW chunk payload (2.5): `[digest, dtype, shape, base, offset, stride]`
/// — a value whose element at index `(i₀, …)` is element
/// `offset + Σ iₖ·strideₖ` (a flat C-order index) of the BLOB `base`
/// (FORMAT §2.3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewRecord {
    /// The digest its BLOB would have.
    pub digest: Digest,
    /// Dtype name, the base's.
    pub dtype: String,
    /// Sizes.
    pub shape: Vec<i64>,
    /// Digest of the BLOB whose elements it reads.
    pub base: Digest,
    /// Flat index into the base of the element at index zero.
    pub offset: i64,
    /// Strides in elements of the base, one per dimension.
    pub stride: Vec<i64>,
}

/// STATS chunk payload:
/// `[digest, dtype, shape, nonfinite, min, max, mean, norm, samples]` — what
/// policy `stats` keeps of a value instead of its bytes (FORMAT §2.3).
/// Statistics are over the finite elements read as float64; `min`, `max`,
/// `mean` and `norm` (the 2-norm) are nil when there is none.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatsRecord {
    /// The digest the value's BLOB would have.
    pub digest: Digest,
    /// Dtype name.
    pub dtype: String,
    /// Sizes.
    pub shape: Vec<i64>,
    /// Elements that are NaN or infinite.
    pub nonfinite: u64,
    /// Smallest finite element.
    pub min: Option<f64>,
    /// Largest finite element.
    pub max: Option<f64>,
    /// Mean of the finite elements.
    pub mean: Option<f64>,
    /// 2-norm of the finite elements.
    pub norm: Option<f64>,
    /// `[flat index, value]` of the elements at
    /// [`crate::value_stats::sample_indices`].
    pub samples: Vec<(u64, f64)>,
}

/// One EVENTS chunk in the index: `[offset, first_seq, count]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventChunkEntry {
    /// Offset of the chunk header.
    pub offset: u64,
    /// Sequence number of its first event.
    pub first_seq: u64,
    /// Number of events in it.
    pub count: u64,
}

/// One BLOB chunk in the index: `[digest, offset]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobEntry {
    /// The blob's digest.
    pub digest: Digest,
    /// Offset of the chunk header.
    pub offset: u64,
}

/// INDEX chunk payload:
/// `[event_count, layer_counts, chain, layer_chains, meta_offset, chunks, blobs]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceIndex {
    /// Number of events.
    pub event_count: u64,
    /// Events per layer (api, dispatch, autograd, device).
    pub layer_counts: [u64; 4],
    /// Chain hash over all events' structural hashes.
    pub chain: Digest,
    /// Chain hash per layer.
    pub layer_chains: [Digest; 4],
    /// Offset of the META chunk.
    pub meta_offset: u64,
    /// EVENTS chunks in file order.
    pub chunks: Vec<EventChunkEntry>,
    /// BLOB chunks in file order.
    pub blobs: Vec<BlobEntry>,
}

impl TraceIndex {
    /// The index of a trace with no events and no blobs.
    pub fn empty() -> TraceIndex {
        TraceIndex {
            event_count: 0,
            layer_counts: [0; 4],
            chain: Digest::ZERO,
            layer_chains: [Digest::ZERO; 4],
            meta_offset: HEADER_LEN,
            chunks: Vec::new(),
            blobs: Vec::new(),
        }
    }
}

/// Frames a chunk: header, stored bytes (already encoded with `encoding`),
/// checksum.
pub fn frame_chunk(kind: u8, encoding: u8, payload: &[u8]) -> Vec<u8> {
    let (header, checksum) = chunk_frame(kind, encoding, &[payload]);
    let mut out = Vec::with_capacity(payload.len() + 40);
    out.extend_from_slice(&header);
    out.extend_from_slice(payload);
    out.extend_from_slice(&checksum);
    out
}

/// The header and checksum that frame a chunk whose stored bytes are
/// `parts` joined: what [`frame_chunk`] puts around them, for a writer that
/// streams the parts instead of joining a large payload first.
pub fn chunk_frame(kind: u8, encoding: u8, parts: &[&[u8]]) -> ([u8; 8], [u8; 32]) {
    let len: usize = parts.iter().map(|part| part.len()).sum();
    let header = chunk_header(kind, encoding, len as u32);
    let mut hasher = blake3::Hasher::new();
    hasher.update(&header);
    for part in parts {
        hasher.update(part);
    }
    (header, *hasher.finalize().as_bytes())
}

/// The bytes of a BLOB payload (`[digest, dtype, shape, data]`) before its
/// `data_len` bytes of data: `encode(record)` is this followed by the data.
pub fn blob_payload_head(
    digest: &Digest,
    dtype: &str,
    shape: &[i64],
    data_len: usize,
) -> Result<Vec<u8>, crate::TraceError> {
    let failed = |e: String| crate::TraceError::Write(format!("BLOB payload: {e}"));
    let data_len = u32::try_from(data_len)
        .map_err(|_| failed(format!("a value of {data_len} bytes exceeds a chunk")))?;
    let mut head = Vec::with_capacity(64 + 9 * shape.len());
    rmp::encode::write_array_len(&mut head, 4).map_err(|e| failed(e.to_string()))?;
    rmp_serde::encode::write(&mut head, digest).map_err(|e| failed(e.to_string()))?;
    rmp_serde::encode::write(&mut head, dtype).map_err(|e| failed(e.to_string()))?;
    rmp_serde::encode::write(&mut head, shape).map_err(|e| failed(e.to_string()))?;
    rmp::encode::write_bin_len(&mut head, data_len).map_err(|e| failed(e.to_string()))?;
    Ok(head)
}

/// The 8-byte chunk header.
pub fn chunk_header(kind: u8, encoding: u8, len: u32) -> [u8; 8] {
    let l = len.to_le_bytes();
    [l[0], l[1], l[2], l[3], kind, encoding, 0, 0]
}

/// The 16-byte file header a writer starts with (minor [`FLOOR_MINOR`]).
pub fn file_header() -> [u8; 16] {
    file_header_minor(FLOOR_MINOR)
}

/// The 16-byte file header of version `2.<minor>`.
pub fn file_header_minor(minor: u16) -> [u8; 16] {
    file_header_version(VERSION_MAJOR, minor)
}

/// The 16-byte file header of version `<major>.<minor>`.
pub fn file_header_version(major: u16, minor: u16) -> [u8; 16] {
    let mut h = [0u8; 16];
    h[..8].copy_from_slice(&MAGIC);
    h[8..10].copy_from_slice(&major.to_le_bytes());
    h[10..12].copy_from_slice(&minor.to_le_bytes());
    h
}

/// The 16-byte trailer pointing at the index chunk.
pub fn trailer(index_offset: u64) -> [u8; 16] {
    let mut t = [0u8; 16];
    t[..8].copy_from_slice(&index_offset.to_le_bytes());
    t[8..].copy_from_slice(&TRAILER_MAGIC);
    t
}

/// Encodes a value as msgpack into a fresh buffer.
pub(crate) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, crate::TraceError> {
    rmp_serde::to_vec(value).map_err(|e| crate::TraceError::Write(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blob_payload_is_its_head_then_its_data() {
        // Data lengths across msgpack's bin8 / bin16 / bin32 boundaries;
        // shapes with negative-free small and large sizes, 0-dim.
        let shapes: [&[i64]; 4] = [&[], &[3], &[255, 1], &[70_000, 2]];
        for len in [0usize, 1, 255, 256, 65_535, 65_536, 70_001] {
            for shape in shapes {
                let record = BlobRecord {
                    digest: Digest([7; 32]),
                    dtype: "float32".into(),
                    shape: shape.to_vec(),
                    data: (0..len).map(|i| (i % 251) as u8).collect(),
                };
                let whole = encode(&record).expect("encode");
                let mut streamed =
                    blob_payload_head(&record.digest, "float32", shape, len).expect("head");
                streamed.extend_from_slice(&record.data);
                assert_eq!(streamed, whole, "data of {len} bytes, shape {shape:?}");
                let (head, tail) =
                    chunk_frame(chunk_kind::BLOB, 0, &[&streamed[..5], &streamed[5..]]);
                let framed = frame_chunk(chunk_kind::BLOB, 0, &whole);
                assert_eq!(framed[..8], head);
                assert_eq!(framed[framed.len() - 32..], tail);
            }
        }
    }

    #[test]
    fn header_layout() {
        let h = file_header();
        assert_eq!(&h[..8], &MAGIC);
        assert_eq!(u16::from_le_bytes([h[8], h[9]]), VERSION_MAJOR);
        assert_eq!(&h[12..], &[0, 0, 0, 0]);
    }

    #[test]
    fn chunk_frame_layout() {
        let framed = frame_chunk(chunk_kind::BLOB, crate::codec::RAW, b"abc");
        assert_eq!(framed.len(), 8 + 3 + 32);
        assert_eq!(&framed[..8], &[3, 0, 0, 0, 3, 0, 0, 0]);
        let framed = frame_chunk(chunk_kind::EVENTS, crate::codec::ZSTD, b"abc");
        assert_eq!(&framed[..8], &[3, 0, 0, 0, 2, 1, 0, 0]);
        assert_eq!(&framed[8..11], b"abc");
        let expected = blake3::hash(&framed[..11]);
        assert_eq!(&framed[11..], expected.as_bytes());
    }

    #[test]
    fn policy_names_round_trip() {
        for p in [ValuePolicy::All, ValuePolicy::Inputs, ValuePolicy::None] {
            assert_eq!(ValuePolicy::parse(p.name()), Some(p));
        }
    }
}
