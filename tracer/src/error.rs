//! Errors of the trace library: every variant says which file and, where it
//! applies, which byte offset, chunk or event is at fault.

use std::path::PathBuf;

use crate::hash::Digest;

/// Anything that can go wrong reading or writing a trace.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TraceError {
    /// The operating system refused a read or write.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file does not start with the trace magic.
    #[error("{}: not a FrankenTorch trace (bad magic bytes at offset 0)", path.display())]
    NotATrace {
        /// The file.
        path: PathBuf,
    },
    /// The input is not a regular file (a pipe, a device, a directory): a
    /// trace is read by seeking to its footer index, so it must be a file.
    #[error("{}: not a regular file ({kind}); save it to a file first", path.display())]
    NotRegularFile {
        /// The path given.
        path: PathBuf,
        /// What it is instead (`pipe`, `directory`, `character device`, ...).
        kind: &'static str,
    },
    /// The 16-byte file header breaks a rule of its own (FORMAT §2.1).
    #[error("{}: corrupt header: {detail}", path.display())]
    CorruptHeader {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// The file was written by a newer, incompatible format version.
    #[error(
        "{}: format version {major}.{minor} is not supported (this build reads {}.x and {supported}.x); \
         upgrade ft-trace or re-record the trace",
        path.display(),
        crate::format::LEGACY_MAJOR
    )]
    UnsupportedVersion {
        /// The file.
        path: PathBuf,
        /// Major version found in the header.
        major: u16,
        /// Minor version found in the header.
        minor: u16,
        /// The newest major version this build reads.
        supported: u16,
    },
    /// The file ends early: the recording crashed or the file was cut.
    #[error("{}: trace truncated at offset {offset}: {detail}", path.display())]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Offset of the first byte that is not part of a complete chunk.
        offset: u64,
        /// What was found there.
        detail: String,
    },
    /// A chunk's checksum or framing is wrong.
    #[error("{}: corrupt chunk at offset {offset}: {detail}", path.display())]
    CorruptChunk {
        /// The file.
        path: PathBuf,
        /// Offset of the chunk header.
        offset: u64,
        /// What is wrong.
        detail: String,
    },
    /// A chunk's checksum is right but its contents do not decode.
    #[error("{}: chunk at offset {offset}: {detail}", path.display())]
    Decode {
        /// The file.
        path: PathBuf,
        /// Offset of the chunk header.
        offset: u64,
        /// What failed to decode.
        detail: String,
    },
    /// An event refers to a value the file does not contain.
    #[error("{}: no blob with digest {digest}", path.display())]
    MissingBlob {
        /// The file.
        path: PathBuf,
        /// The digest looked up.
        digest: Digest,
    },
    /// The stream does not match the fingerprint in the footer index.
    #[error("{}: {detail}", path.display())]
    IndexMismatch {
        /// The file.
        path: PathBuf,
        /// What disagrees.
        detail: String,
    },
    /// The writer was asked to do something the format cannot express.
    #[error("cannot write trace: {0}")]
    Write(String),
}

impl TraceError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> TraceError {
        TraceError::Io {
            path: path.into(),
            source,
        }
    }
}
