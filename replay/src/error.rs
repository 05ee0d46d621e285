//! Errors of replay and diff, each mapped to the exit code users see.

use ft_trace::TraceError;

/// Why a replay or diff could not produce a verdict.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// An input trace is unreadable, corrupt, truncated or of an unsupported version.
    #[error(transparent)]
    Trace(#[from] TraceError),
    /// The runtime cannot execute something the trace contains.
    #[error("runtime cannot execute {what} (torch seq {seq}): {detail}")]
    Unsupported {
        /// What could not run: usually the op name.
        what: String,
        /// Sequence number of the trace event that asked for it.
        seq: u64,
        /// Why.
        detail: String,
    },
    /// The trace is readable but inconsistent (refers to a tensor it never introduced, ...).
    #[error("{path}: event {seq}: {detail}")]
    Inconsistent {
        /// The trace.
        path: String,
        /// Sequence number of the offending event.
        seq: u64,
        /// What is wrong.
        detail: String,
    },
    /// The command line asks for something impossible.
    #[error("{0}")]
    Usage(String),
    /// Writing a report or the runtime's own trace failed.
    #[error("cannot write {path}: {detail}")]
    Output {
        /// The file.
        path: String,
        /// Why.
        detail: String,
    },
}

/// Exit codes of `ft-replay`; stable, documented in `--help` and the README.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Every check matched.
    Match = 0,
    /// Ordering, graph or schedule diverged.
    Structural = 1,
    /// Bad command line.
    Usage = 2,
    /// Structure matched; some values are out of tolerance.
    Values = 3,
    /// Unreadable, corrupt, truncated or unsupported-version input.
    BadInput = 4,
    /// The runtime cannot execute something in the trace.
    Unsupported = 5,
}

impl ReplayError {
    /// The exit code this error maps to.
    pub fn exit(&self) -> Exit {
        match self {
            ReplayError::Trace(_) | ReplayError::Inconsistent { .. } => Exit::BadInput,
            ReplayError::Unsupported { .. } => Exit::Unsupported,
            ReplayError::Output { .. } => Exit::BadInput,
            ReplayError::Usage(_) => Exit::Usage,
        }
    }
}
