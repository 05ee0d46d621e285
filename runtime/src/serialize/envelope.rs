//! The checkpoint envelope (`.ftc`, normative spec: docs/CHECKPOINT.md): a
//! typed, versioned container for a state dict.
//!
//! Design choice: the layout is *canonical* — every byte follows from the
//! state dict (tensor order, storages in order of first use, zero padding,
//! 64-byte aligned data) — and the reader proves it by encoding what it
//! parsed again and demanding the same bytes. So no byte escapes a rule:
//! the trailing BLAKE3 catches damage, the canonical re-encoding catches
//! anything a different writer could vary, and the recorded content hash
//! (over names, dtypes, shapes and values only) is recomputed and compared.
//! An unknown major version is refused before anything else is read.

use std::sync::Arc;

use ft_trace::Digest;

use super::error::SerializeError;
use super::torch_file::{storage_bytes, storages, view};
use super::{MetaValue, StateDict, content_hash};
use crate::tensor::dtype::DType;
use crate::tensor::storage::{Storage, StorageData};

/// First 8 bytes of an envelope: `\x89FTCKP\r\n`.
pub const MAGIC: [u8; 8] = [0x89, b'F', b'T', b'C', b'K', b'P', b'\r', b'\n'];
/// Major version this build writes and reads.
pub const MAJOR: u16 = 1;
/// Minor version this build writes.
pub const MINOR: u16 = 0;
/// Length of the fixed header (magic, version, reserved, content hash,
/// counts).
pub const HEADER_LEN: usize = 64;
/// Storage data starts on multiples of this.
pub const ALIGN: usize = 64;
/// Length of the closing checksum.
pub const HASH_LEN: usize = 32;
/// `metadata count` meaning "no `_metadata`".
const NO_METADATA: u32 = u32::MAX;

/// Dtype codes, in wire order (docs/CHECKPOINT.md §3).
const DTYPES: [DType; 10] = [
    DType::Float32,
    DType::Float64,
    DType::Float16,
    DType::BFloat16,
    DType::Int64,
    DType::Int32,
    DType::Int16,
    DType::Int8,
    DType::UInt8,
    DType::Bool,
];

fn dtype_code(dtype: DType) -> u8 {
    DTYPES.iter().position(|&d| d == dtype).unwrap_or(0) as u8
}

fn pad(out: &mut Vec<u8>) {
    out.resize(out.len().div_ceil(ALIGN) * ALIGN, 0);
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// Encodes `dict` (deterministic: same state dict, same bytes).
pub(crate) fn encode(dict: &StateDict) -> Result<Vec<u8>, SerializeError> {
    let (unique, index) = storages(dict)?;
    let hash = content_hash(dict)?;
    let mut out = Vec::new();
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&MAJOR.to_le_bytes());
    out.extend_from_slice(&MINOR.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&hash.0);
    out.extend_from_slice(&(dict.tensors.len() as u32).to_le_bytes());
    out.extend_from_slice(&(unique.len() as u32).to_le_bytes());
    let meta_count = dict
        .metadata
        .as_ref()
        .map_or(NO_METADATA, |m| m.len() as u32);
    out.extend_from_slice(&meta_count.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    // Storage table: offsets filled in once the tables' length is known.
    let table = out.len();
    let mut datas = Vec::with_capacity(unique.len());
    for (i, storage) in unique.iter().enumerate() {
        let owner = index
            .iter()
            .position(|&s| s == i)
            .map_or("", |t| dict.tensors[t].0.as_str());
        let dtype = dict.tensors[index.iter().position(|&s| s == i).unwrap_or(0)]
            .1
            .dtype();
        datas.push((dtype, storage_bytes(owner, storage)?));
        out.extend_from_slice(&[0; 32]);
    }
    for ((name, t), &s) in dict.tensors.iter().zip(&index) {
        put_str(&mut out, name);
        out.extend_from_slice(&(s as u32).to_le_bytes());
        out.push(u8::from(t.0.autograd.lock().requires_grad));
        out.push(t.dim() as u8);
        out.extend_from_slice(&[0; 2]);
        out.extend_from_slice(&t.storage_offset().to_le_bytes());
        for v in t.shape().iter().chain(t.stride()) {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    for (prefix, entries) in dict.metadata.iter().flatten() {
        put_str(&mut out, prefix);
        out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
        for (key, value) in entries {
            put_str(&mut out, key);
            match value {
                MetaValue::None => out.push(0),
                MetaValue::Bool(b) => out.extend_from_slice(&[1, u8::from(*b)]),
                MetaValue::Int(i) => {
                    out.push(2);
                    out.extend_from_slice(&i.to_le_bytes());
                }
                MetaValue::Float(f) => {
                    out.push(3);
                    out.extend_from_slice(&f.to_bits().to_le_bytes());
                }
                MetaValue::Str(s) => {
                    out.push(4);
                    put_str(&mut out, s);
                }
            }
        }
    }
    for (i, (dtype, data)) in datas.iter().enumerate() {
        pad(&mut out);
        let at = table + 32 * i;
        let record = &mut out[at..at + 32];
        record[0] = dtype_code(*dtype);
        let numel = (data.len() / dtype.element_size()) as u64;
        record[8..16].copy_from_slice(&numel.to_le_bytes());
        let offset = out.len() as u64;
        out[at + 16..at + 24].copy_from_slice(&offset.to_le_bytes());
        out[at + 24..at + 32].copy_from_slice(&(data.len() as u64).to_le_bytes());
        out.extend_from_slice(data);
    }
    pad(&mut out);
    let checksum = blake3::hash(&out);
    out.extend_from_slice(checksum.as_bytes());
    Ok(out)
}

/// Bounds-checked little-endian reads.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], SerializeError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| SerializeError::Envelope {
                offset: self.pos as u64,
                detail: format!("{what} runs past the tables ({n} bytes)"),
            })?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u8(&mut self, what: &str) -> Result<u8, SerializeError> {
        Ok(self.take(1, what)?[0])
    }
    fn u32(&mut self, what: &str) -> Result<u32, SerializeError> {
        let s = self.take(4, what)?;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
    fn u64(&mut self, what: &str) -> Result<u64, SerializeError> {
        let mut b = [0u8; 8];
        b.copy_from_slice(self.take(8, what)?);
        Ok(u64::from_le_bytes(b))
    }
    fn i64(&mut self, what: &str) -> Result<i64, SerializeError> {
        Ok(self.u64(what)? as i64)
    }
    fn str(&mut self, what: &str) -> Result<String, SerializeError> {
        let n = self.u32(what)? as usize;
        let at = self.pos;
        let s = self.take(n, what)?;
        String::from_utf8(s.to_vec()).map_err(|_| SerializeError::Envelope {
            offset: at as u64,
            detail: format!("{what} is not UTF-8"),
        })
    }
}

/// The version of an envelope's bytes (after its magic is checked).
pub fn version(bytes: &[u8]) -> Option<(u16, u16)> {
    if bytes.len() < 12 || bytes[..8] != MAGIC {
        return None;
    }
    Some((
        u16::from_le_bytes([bytes[8], bytes[9]]),
        u16::from_le_bytes([bytes[10], bytes[11]]),
    ))
}

/// Decodes and checks an envelope (see the module doc for what is proven).
pub(crate) fn decode(bytes: &[u8]) -> Result<StateDict, SerializeError> {
    let bad = |offset: usize, detail: String| SerializeError::Envelope {
        offset: offset as u64,
        detail,
    };
    if bytes.len() < 12 || bytes[..8] != MAGIC {
        return Err(bad(
            0,
            "not a checkpoint envelope (bad magic bytes at offset 0)".into(),
        ));
    }
    let (major, minor) = version(bytes).unwrap_or((0, 0));
    if major != MAJOR {
        return Err(SerializeError::Version {
            major,
            minor,
            supported: MAJOR,
        });
    }
    if bytes.len() < HEADER_LEN + HASH_LEN {
        return Err(bad(
            bytes.len(),
            format!("{} bytes, too short for an envelope", bytes.len()),
        ));
    }
    let split = bytes.len() - HASH_LEN;
    if blake3::hash(&bytes[..split]).as_bytes() != &bytes[split..] {
        return Err(bad(
            split,
            "checksum mismatch: the checkpoint is damaged (a sidecar FILE.rq can repair it)".into(),
        ));
    }
    let body = &bytes[..split];
    let mut c = Cursor {
        bytes: body,
        pos: 12,
    };
    if c.u32("reserved")? != 0 {
        return Err(bad(12, "reserved bytes 12..16 are not zero".into()));
    }
    let mut recorded = [0u8; 32];
    recorded.copy_from_slice(c.take(32, "content hash")?);
    let tensors = c.u32("tensor count")? as usize;
    let storages_n = c.u32("storage count")? as usize;
    let meta = c.u32("metadata count")?;
    c.u32("reserved")?;
    // Bound the counts by the bytes there are before allocating for them.
    if storages_n.saturating_mul(32) + tensors.saturating_mul(24) > body.len() {
        return Err(bad(
            48,
            format!("{tensors} tensors and {storages_n} storages cannot fit the file"),
        ));
    }
    let mut storages: Vec<(DType, Arc<Storage>)> = Vec::with_capacity(storages_n);
    for i in 0..storages_n {
        let at = c.pos;
        let code = c.u8("storage dtype")?;
        c.take(7, "storage reserved")?;
        let numel = c.u64("storage numel")?;
        let offset = c.u64("storage offset")?;
        let len = c.u64("storage length")?;
        let dtype = *DTYPES
            .get(usize::from(code))
            .ok_or_else(|| bad(at, format!("storage {i}: unknown dtype code {code}")))?;
        let data = usize::try_from(offset)
            .ok()
            .zip(usize::try_from(len).ok())
            .and_then(|(o, l)| body.get(o..o.checked_add(l)?))
            .filter(|d| Some(d.len() as u64) == numel.checked_mul(dtype.element_size() as u64))
            .ok_or_else(|| SerializeError::Storage {
                key: i.to_string(),
                detail: format!(
                    "{numel} {dtype} elements at offset {offset}, {len} bytes, do not fit the file"
                ),
            })?;
        let data =
            StorageData::from_le_bytes(dtype, data).ok_or_else(|| SerializeError::Storage {
                key: i.to_string(),
                detail: "not a whole number of elements".into(),
            })?;
        storages.push((dtype, Arc::new(Storage::with_data(data))));
    }
    let mut dict = StateDict::default();
    for _ in 0..tensors {
        let name = c.str("tensor name")?;
        let at = c.pos;
        let s = c.u32("storage index")? as usize;
        let requires_grad = c.u8("requires_grad")?;
        let ndim = usize::from(c.u8("ndim")?);
        c.take(2, "tensor reserved")?;
        let offset = c.i64("storage offset")?;
        let mut dims = Vec::with_capacity(2 * ndim);
        for _ in 0..2 * ndim {
            dims.push(c.i64("sizes and strides")?);
        }
        let (dtype, storage) = storages
            .get(s)
            .ok_or_else(|| bad(at, format!("tensor {name:?}: storage {s} does not exist")))?;
        if requires_grad > 1 {
            return Err(bad(
                at + 4,
                format!("tensor {name:?}: requires_grad {requires_grad}"),
            ));
        }
        let t = view(
            &name,
            Arc::clone(storage),
            *dtype,
            &dims[..ndim],
            &dims[ndim..],
            offset,
            requires_grad == 1,
        )?;
        dict.tensors.push((name, t));
    }
    if meta != NO_METADATA {
        let mut groups = Vec::new();
        for _ in 0..meta {
            let prefix = c.str("metadata prefix")?;
            let n = c.u32("metadata entries")?;
            let mut entries = Vec::new();
            for _ in 0..n {
                let key = c.str("metadata key")?;
                let at = c.pos;
                let value = match c.u8("metadata tag")? {
                    0 => MetaValue::None,
                    1 => MetaValue::Bool(c.u8("bool")? != 0),
                    2 => MetaValue::Int(c.i64("int")?),
                    3 => MetaValue::Float(f64::from_bits(c.u64("float")?)),
                    4 => MetaValue::Str(c.str("str")?),
                    tag => return Err(bad(at, format!("unknown metadata tag {tag}"))),
                };
                entries.push((key, value));
            }
            groups.push((prefix, entries));
        }
        dict.metadata = Some(groups);
    }
    super::check_amplification(&dict)?;
    let hash = content_hash(&dict)?;
    if hash.0 != recorded {
        return Err(bad(
            16,
            format!(
                "content hash {} differs from the recorded {}",
                hash.short(16),
                Digest(recorded).short(16)
            ),
        ));
    }
    let canonical = encode(&dict)?;
    if canonical != bytes {
        let first = canonical
            .iter()
            .zip(bytes)
            .position(|(a, b)| a != b)
            .unwrap_or(canonical.len().min(bytes.len()));
        return Err(bad(
            first,
            "not in canonical form (padding, order or a table entry differs from what this state \
             dict encodes to)"
                .into(),
        ));
    }
    Ok(dict)
}

/// The content hash an envelope records, read without checking the rest.
pub fn recorded_hash(bytes: &[u8]) -> Option<Digest> {
    let mut d = [0u8; 32];
    d.copy_from_slice(bytes.get(16..48)?);
    Some(Digest(d))
}
