//! What can go wrong reading or writing a checkpoint.
//!
//! One variant per kind of refusal, so that a caller (and a test) can tell a
//! forbidden global from a bad opcode, a cut-short zip from a storage that is
//! too short: every refusal is a one-line message naming the offset, opcode,
//! global, entry or tensor concerned.

use std::path::PathBuf;

/// A refused or failed checkpoint read or write.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SerializeError {
    /// The operating system refused a read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Writing the output failed (nothing was replaced).
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The zip container is not one, is cut short or breaks its structure.
    #[error("zip archive refused at offset {offset}: {detail}")]
    Zip {
        /// Byte offset in the file.
        offset: u64,
        /// What is wrong.
        detail: String,
    },
    /// An entry's data does not match its CRC-32.
    #[error("zip entry {entry:?} is damaged: CRC-32 {actual:08x} where {recorded:08x} is recorded")]
    Crc {
        /// Entry name.
        entry: String,
        /// CRC-32 in the central directory.
        recorded: u32,
        /// CRC-32 of the bytes.
        actual: u32,
    },
    /// A pickle opcode outside the set PyTorch's `weights_only` unpickler
    /// understands.
    #[error("pickle refused at offset {offset}: opcode {opcode} is not allowed (weights_only)")]
    Opcode {
        /// Offset in `data.pkl`.
        offset: u64,
        /// The opcode, named when known (`STACK_GLOBAL (0x93)`).
        opcode: String,
    },
    /// A global PyTorch's `weights_only` unpickler refuses (`os.system`,
    /// `builtins.eval`, any class of the user's).
    #[error(
        "pickle refused at offset {offset}: global {name} is not allowed (weights_only); nothing was executed"
    )]
    ForbiddenGlobal {
        /// Offset in `data.pkl`.
        offset: u64,
        /// `module.name`.
        name: String,
    },
    /// A global PyTorch allows with `weights_only` that this reader does not
    /// implement (quantized or sparse tensors, `_rebuild_from_type_v2`, ...).
    #[error("pickle refused at offset {offset}: global {name} is not supported by this reader")]
    UnsupportedGlobal {
        /// Offset in `data.pkl`.
        offset: u64,
        /// `module.name`.
        name: String,
    },
    /// A resource bound was hit (nesting depth, stack, memo, string size):
    /// a recursion or memory bomb.
    #[error("pickle refused at offset {offset}: {what} exceeds the limit of {limit}")]
    Limit {
        /// Offset in `data.pkl`.
        offset: u64,
        /// What grew too large.
        what: String,
        /// The bound.
        limit: u64,
    },
    /// The pickle is well-formed opcode by opcode but does not make sense
    /// (stack underflow, wrong argument types, missing STOP).
    #[error("pickle refused at offset {offset}: {detail}")]
    Pickle {
        /// Offset in `data.pkl`.
        offset: u64,
        /// What is wrong.
        detail: String,
    },
    /// A storage record is missing or its size differs from what the pickle
    /// declares.
    #[error("storage {key:?}: {detail}")]
    Storage {
        /// Storage key (`data/<key>` in the archive, index in an envelope).
        key: String,
        /// What is wrong.
        detail: String,
    },
    /// A tensor's geometry does not fit its storage, or is invalid.
    #[error("tensor {name:?}: {detail}")]
    Geometry {
        /// State-dict key.
        name: String,
        /// What is wrong.
        detail: String,
    },
    /// The tensors view far more elements than the file stores (a memory
    /// bomb: huge stride-0 views over a tiny storage).
    #[error(
        "checkpoint refused: its tensors view {elements} elements but the file stores {stored}; \
         more than {limit} is refused"
    )]
    Amplification {
        /// Elements all tensors view together.
        elements: u64,
        /// Elements all storages hold together.
        stored: u64,
        /// The bound that was exceeded.
        limit: u64,
    },
    /// The unpickled object is not a state dict (a mapping of names to
    /// tensors).
    #[error("not a state dict: {0}")]
    NotStateDict(String),
    /// A dtype this runtime has no storage for (complex, float8, ...).
    #[error("{what}: dtype {name} is not supported by ft-runtime")]
    UnsupportedDtype {
        /// Where it was found.
        what: String,
        /// PyTorch's name for it.
        name: String,
    },
    /// An envelope (`.ftc`) is not one, is damaged, or breaks a rule of its
    /// layout (docs/CHECKPOINT.md).
    #[error("checkpoint refused at offset {offset}: {detail}")]
    Envelope {
        /// Byte offset in the file.
        offset: u64,
        /// What is wrong.
        detail: String,
    },
    /// An envelope of a version this build does not read (fail closed).
    #[error(
        "checkpoint version {major}.{minor} is not supported (this build reads {supported}.x); \
         convert it with the ft-replay that wrote it"
    )]
    Version {
        /// Major version in the file.
        major: u16,
        /// Minor version in the file.
        minor: u16,
        /// The major version this build reads.
        supported: u16,
    },
    /// A tensor that cannot be saved (no data: `meta`).
    #[error("tensor {name:?} cannot be saved: {detail}")]
    Unsaveable {
        /// State-dict key.
        name: String,
        /// Why.
        detail: String,
    },
    /// Protecting or repairing with a RaptorQ sidecar failed.
    #[error(transparent)]
    Sidecar(#[from] ft_trace::sidecar::SidecarError),
}
