//! Errors of replay and diff, each mapped to the exit code users see
//! (0 match, 1 structural, 2 usage, 3 values, 4 bad input, 5 unsupported,
//! 6 an output could not be written).

use ft_trace::TraceError;

use crate::support::{self, Missing};

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
    /// The support scan found operators, derivatives or dtypes the trace
    /// needs and the runtime lacks (all of them, before replaying anything).
    #[error("{}", missing_text(.0))]
    Missing(Vec<Missing>),
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
    /// Writing a report, the runtime's own trace or stdout failed (exit 6:
    /// the verdict may be right, but what was asked for is not on disk).
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
    /// An output (`--out`, `--junit`, `--perfetto`, stdout) could not be written.
    Output = 6,
}

impl ReplayError {
    /// The exit code this error maps to.
    pub fn exit(&self) -> Exit {
        match self {
            ReplayError::Trace(_) | ReplayError::Inconsistent { .. } => Exit::BadInput,
            ReplayError::Unsupported { .. } | ReplayError::Missing(_) => Exit::Unsupported,
            ReplayError::Output { .. } => Exit::Output,
            ReplayError::Usage(_) => Exit::Usage,
        }
    }
}

/// The header line, then one indented line per missing item.
fn missing_text(missing: &[Missing]) -> String {
    let mut text = support::header(missing);
    for m in missing {
        text.push_str("\n  ");
        text.push_str(&m.line());
    }
    text
}

impl ReplayError {
    /// What the runtime cannot execute, as a list: every item of the support
    /// scan, or the one operation that failed during replay (kind
    /// `execution`); `None` for other errors.
    pub fn missing(&self) -> Option<Vec<Missing>> {
        match self {
            ReplayError::Missing(items) => Some(items.clone()),
            ReplayError::Unsupported { what, seq, detail } => Some(vec![Missing {
                kind: "execution",
                name: what.clone(),
                count: 1,
                first_seq: *seq,
                detail: detail.clone(),
            }]),
            _ => None,
        }
    }
}
