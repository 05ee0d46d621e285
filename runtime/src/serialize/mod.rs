//! Checkpoints (packet FT-P2C-006): state dicts in and out of `torch.save`
//! files and the runtime's own envelope (`.ftc`, docs/CHECKPOINT.md).
//!
//! A state dict is an ordered list of `(name, tensor)` ([`StateDict`]);
//! tensors that shared a storage when saved share one when loaded, with
//! their strides and storage offsets kept.
//!
//! * [`load_torch`] / [`save_torch`]: `torch.save(model.state_dict())`
//!   files. Loading executes nothing: a restricted unpickler understands
//!   only the opcodes and globals of PyTorch's `weights_only=True` loader
//!   that a state dict is made of and refuses anything else by name
//!   ([`SerializeError::ForbiddenGlobal`], [`SerializeError::Opcode`], ...).
//!   Saved files load with `torch.load(path, weights_only=True)`.
//! * [`load_checkpoint`] / [`save_checkpoint`]: the envelope, a canonical,
//!   checksummed, versioned layout with a content hash; unknown versions
//!   fail closed.
//! * [`protect_checkpoint`] / [`repair_checkpoint`]: RaptorQ sidecars
//!   through [`ft_trace::sidecar`], the same code that protects traces.
//!
//! Design choice: both formats are written deterministically (same state
//! dict, same bytes) and read from the whole file in memory, every declared
//! size checked against the bytes present before anything is allocated.

pub mod envelope;
pub mod error;
mod pickle;
mod torch_file;
mod zip;

use std::path::Path;

use ft_trace::Digest;
use ft_trace::sidecar::{self, RepairOutcome, Sidecar};

pub use error::SerializeError;

use crate::tensor::Tensor;

/// A scalar in a state dict's `_metadata` (`{"version": 1}`).
#[derive(Clone, Debug, PartialEq)]
pub enum MetaValue {
    /// `None`.
    None,
    /// A bool.
    Bool(bool),
    /// An int.
    Int(i64),
    /// A float.
    Float(f64),
    /// A str.
    Str(String),
}

/// PyTorch's `state_dict()._metadata`: per module prefix (`""`, `"0"`,
/// `"bn"`), its entries (`[("version", Int(1))]`), in order.
pub type Metadata = Vec<(String, Vec<(String, MetaValue)>)>;

/// A state dict: tensors by name in order, and PyTorch's `_metadata` (module
/// prefix → its `{"version": N}`) when the dict carried one.
#[derive(Clone, Debug, Default)]
pub struct StateDict {
    /// `(name, tensor)` in the dict's order.
    pub tensors: Vec<(String, Tensor)>,
    /// `state_dict()._metadata`: `None` for a plain dict.
    pub metadata: Option<Metadata>,
}

impl StateDict {
    /// A state dict of `tensors` without `_metadata`.
    pub fn new(tensors: Vec<(String, Tensor)>) -> StateDict {
        StateDict {
            tensors,
            metadata: None,
        }
    }

    /// The tensor named `name`.
    pub fn get(&self, name: &str) -> Option<&Tensor> {
        self.tensors.iter().find(|(n, _)| n == name).map(|(_, t)| t)
    }
}

impl From<Vec<(String, Tensor)>> for StateDict {
    fn from(tensors: Vec<(String, Tensor)>) -> StateDict {
        StateDict::new(tensors)
    }
}

/// Elements the tensors of a checkpoint may view beyond this many per
/// stored element (views that share a storage, stride-0 expansions)...
pub const MAX_VIEW_FACTOR: u64 = 64;
/// ...plus this many: together they bound what reading a checkpoint's
/// values (its content hash) can cost, whatever its views claim.
pub const MAX_VIEW_SLACK: u64 = 1 << 24;

/// Refuses a state dict whose tensors view more elements than
/// [`MAX_VIEW_FACTOR`] × stored + [`MAX_VIEW_SLACK`].
pub(crate) fn check_amplification(dict: &StateDict) -> Result<(), SerializeError> {
    let (unique, _) = torch_file::storages(dict)?;
    let stored: u64 = unique.iter().map(|s| s.len() as u64).sum();
    let elements: u64 = dict.tensors.iter().map(|(_, t)| t.numel() as u64).sum();
    let limit = stored
        .saturating_mul(MAX_VIEW_FACTOR)
        .saturating_add(MAX_VIEW_SLACK);
    if elements > limit {
        return Err(SerializeError::Amplification {
            elements,
            stored,
            limit,
        });
    }
    Ok(())
}

/// How a legacy (pre-1.6) `torch.save` file starts: protocol 2, then
/// `LONG1` of PyTorch's magic number `0x1950a86a20f9469cfc6c`.
pub(crate) const LEGACY_MAGIC: &[u8] = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19";

/// Which file format a checkpoint's bytes are in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A `torch.save` zip archive.
    Torch,
    /// The runtime's envelope (`.ftc`).
    Envelope,
}

impl Format {
    /// The format of `bytes` by their first bytes; `None` for neither.
    pub fn sniff(bytes: &[u8]) -> Option<Format> {
        if bytes.starts_with(&envelope::MAGIC) {
            Some(Format::Envelope)
        } else if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(LEGACY_MAGIC) {
            Some(Format::Torch)
        } else {
            None
        }
    }
}

fn read_file(path: &Path) -> Result<Vec<u8>, SerializeError> {
    std::fs::read(path).map_err(|source| SerializeError::Io {
        path: path.to_owned(),
        source,
    })
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), SerializeError> {
    sidecar::refuse_non_regular_target(path)?;
    sidecar::write_atomic(path, bytes)?;
    Ok(())
}

/// The content hash of a state dict: BLAKE3 over, per tensor in order, its
/// name and the digest a trace gives its value (`blake3(msgpack([dtype,
/// shape]) ‖ data)`, data in logical order). Strides, storage sharing and
/// `_metadata` do not enter it, so a `.pt` file and its `.ftc` conversion
/// have the same content hash.
pub fn content_hash(dict: &StateDict) -> Result<Digest, SerializeError> {
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"ft-checkpoint content v1\n");
    hasher.update(&(dict.tensors.len() as u64).to_le_bytes());
    for (name, t) in &dict.tensors {
        let data =
            t.le_bytes("checkpoint.content_hash")
                .map_err(|e| SerializeError::Unsaveable {
                    name: name.clone(),
                    detail: e.to_string(),
                })?;
        hasher.update(&(name.len() as u64).to_le_bytes());
        hasher.update(name.as_bytes());
        let digest = ft_trace::blob_digest(t.dtype().name(), t.shape(), &data);
        hasher.update(&digest.0);
    }
    Ok(Digest(*hasher.finalize().as_bytes()))
}

/// Reads the state dict of a `torch.save` file's bytes.
pub fn torch_from_bytes(bytes: &[u8]) -> Result<StateDict, SerializeError> {
    if bytes.starts_with(LEGACY_MAGIC) {
        return torch_file::read_legacy(bytes);
    }
    torch_file::read(bytes)
}

/// The bytes of a `torch.save` file holding `dict` (deterministic).
pub fn torch_to_bytes(dict: &StateDict) -> Result<Vec<u8>, SerializeError> {
    torch_file::write(dict)
}

/// One stored record of a `torch.save` zip archive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArchiveRecord {
    /// Full name (`archive/data/0`).
    pub name: String,
    /// Offset of its first data byte in the file.
    pub offset: usize,
    /// Its data.
    pub data: Vec<u8>,
}

/// The records of a `torch.save` file's bytes, in the order of its central
/// directory (each checked against the bytes present), so two files can be
/// compared record for record: same names, same data at the same offsets.
pub fn torch_archive_records(bytes: &[u8]) -> Result<Vec<ArchiveRecord>, SerializeError> {
    let archive = zip::Archive::parse(bytes)?;
    archive
        .entries
        .iter()
        .map(|e| {
            Ok(ArchiveRecord {
                name: e.name.clone(),
                offset: e.start,
                data: archive.data(e)?.to_vec(),
            })
        })
        .collect()
}

/// A zip archive of `entries` (`name`, data) laid out as `torch.save` lays
/// its records out: for tests and fuzzing, which build archives around
/// hand-made pickles.
#[doc(hidden)]
pub fn torch_archive_bytes(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut z = zip::Writer::default();
    for (name, data) in entries {
        z.add(name, data);
    }
    z.finish()
}

/// Reads the state dict saved by `torch.save(model.state_dict(), path)`.
pub fn load_torch(path: &Path) -> Result<StateDict, SerializeError> {
    torch_from_bytes(&read_file(path)?)
}

/// Writes `dict` as a file `torch.load(path, weights_only=True)` reads
/// (atomically: a temporary file renamed into place).
pub fn save_torch(path: &Path, dict: &StateDict) -> Result<(), SerializeError> {
    write_file(path, &torch_to_bytes(dict)?)
}

/// Reads an envelope's bytes (every rule of docs/CHECKPOINT.md checked).
pub fn checkpoint_from_bytes(bytes: &[u8]) -> Result<StateDict, SerializeError> {
    envelope::decode(bytes)
}

/// The envelope bytes of `dict` (deterministic).
pub fn checkpoint_to_bytes(dict: &StateDict) -> Result<Vec<u8>, SerializeError> {
    envelope::encode(dict)
}

/// Reads an envelope file.
pub fn load_checkpoint(path: &Path) -> Result<StateDict, SerializeError> {
    checkpoint_from_bytes(&read_file(path)?)
}

/// Writes `dict` as an envelope file (atomically).
pub fn save_checkpoint(path: &Path, dict: &StateDict) -> Result<(), SerializeError> {
    write_file(path, &checkpoint_to_bytes(dict)?)
}

/// Reads either format, told apart by the first bytes.
pub fn load_any(path: &Path) -> Result<(Format, StateDict), SerializeError> {
    let bytes = read_file(path)?;
    match Format::sniff(&bytes) {
        Some(Format::Envelope) => Ok((Format::Envelope, checkpoint_from_bytes(&bytes)?)),
        Some(Format::Torch) => Ok((Format::Torch, torch_from_bytes(&bytes)?)),
        None => Err(SerializeError::Envelope {
            offset: 0,
            detail: "neither a checkpoint envelope nor a torch.save zip archive".into(),
        }),
    }
}

/// What a sidecar records for a checkpoint: its content hash (in the
/// sidecar's `chain` field) and tensor count (`event_count`).
fn identify(path: &Path) -> Result<sidecar::FileIdentity, String> {
    let (_, dict) = load_any(path).map_err(|e| e.to_string())?;
    let hash = content_hash(&dict).map_err(|e| e.to_string())?;
    Ok((hash, dict.tensors.len() as u64))
}

/// Writes the RaptorQ sidecar `path.rq` of a checkpoint (either format; it
/// must read completely) with `overhead` percent repair symbols.
pub fn protect_checkpoint(
    path: &Path,
    overhead: u32,
) -> Result<(Sidecar, std::path::PathBuf), SerializeError> {
    Ok(sidecar::protect_file_with(path, overhead, &identify)?)
}

/// Restores a damaged checkpoint from `path.rq`, proven by the whole-file
/// BLAKE3 and by reading the result back to the recorded content hash.
pub fn repair_checkpoint(path: &Path) -> Result<RepairOutcome, SerializeError> {
    Ok(sidecar::repair_file_with(path, &|p: &Path| {
        identify(p).map_err(|e| format!("does not read as a checkpoint: {e}"))
    })?)
}

#[cfg(test)]
mod tests;
