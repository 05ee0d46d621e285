//! Sequence alignment of two event streams by key (Myers diff via `similar`).
//!
//! Alignment is what keeps one missing or extra event from turning everything
//! after it into a mismatch: the diff pairs up equal keys and reports the rest
//! as missing (only expected has it), extra (only actual has it) or changed
//! (a replaced run, paired element by element).

use std::time::{Duration, Instant};

use similar::{Algorithm, DiffOp, capture_diff_slices_deadline};

/// How one element of either stream was aligned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aligned {
    /// Equal keys at `expected` and `actual`.
    Match {
        /// Index in the expected stream.
        expected: usize,
        /// Index in the actual stream.
        actual: usize,
    },
    /// Only the expected stream has this element; `actual_at` is where it would be.
    Missing {
        /// Index in the expected stream.
        expected: usize,
        /// Position in the actual stream.
        actual_at: usize,
    },
    /// Only the actual stream has this element.
    Extra {
        /// Index in the actual stream.
        actual: usize,
        /// Position in the expected stream.
        expected_at: usize,
    },
    /// Different keys in the same place.
    Changed {
        /// Index in the expected stream.
        expected: usize,
        /// Index in the actual stream.
        actual: usize,
    },
}

impl Aligned {
    /// Whether this is a match.
    pub fn is_match(&self) -> bool {
        matches!(self, Aligned::Match { .. })
    }
}

/// Longest time a single alignment may take before it falls back to a coarser diff.
const DEADLINE: Duration = Duration::from_secs(20);

/// Aligns two key sequences.
pub fn align<T: Eq + std::hash::Hash>(expected: &[T], actual: &[T]) -> Vec<Aligned> {
    let deadline = Instant::now() + DEADLINE;
    let ops = capture_diff_slices_deadline(Algorithm::Myers, expected, actual, Some(deadline));
    let mut out = Vec::with_capacity(expected.len().max(actual.len()));
    for op in ops {
        match op {
            DiffOp::Equal {
                old_index,
                new_index,
                len,
            } => out.extend((0..len).map(|i| Aligned::Match {
                expected: old_index + i,
                actual: new_index + i,
            })),
            DiffOp::Delete {
                old_index,
                old_len,
                new_index,
            } => out.extend((0..old_len).map(|i| Aligned::Missing {
                expected: old_index + i,
                actual_at: new_index,
            })),
            DiffOp::Insert {
                old_index,
                new_index,
                new_len,
            } => out.extend((0..new_len).map(|i| Aligned::Extra {
                actual: new_index + i,
                expected_at: old_index,
            })),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                let paired = old_len.min(new_len);
                out.extend((0..paired).map(|i| Aligned::Changed {
                    expected: old_index + i,
                    actual: new_index + i,
                }));
                out.extend((paired..old_len).map(|i| Aligned::Missing {
                    expected: old_index + i,
                    actual_at: new_index + paired,
                }));
                out.extend((paired..new_len).map(|i| Aligned::Extra {
                    actual: new_index + i,
                    expected_at: old_index + paired,
                }));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_streams_match_everywhere() {
        let a = ["t", "addmm", "relu"];
        let out = align(&a, &a);
        assert!(out.iter().all(Aligned::is_match));
        assert_eq!(out.len(), 3);
    }

    #[test]
    fn one_extra_op_does_not_disturb_the_rest() {
        let expected = ["t", "addmm", "relu", "t", "addmm"];
        let actual = ["t", "addmm", "clone", "relu", "t", "addmm"];
        let out = align(&expected, &actual);
        assert_eq!(out.iter().filter(|a| a.is_match()).count(), 5);
        assert!(out.contains(&Aligned::Extra {
            actual: 2,
            expected_at: 2
        }));
    }

    #[test]
    fn a_replaced_op_is_changed() {
        let out = align(&["a", "b", "c"], &["a", "x", "c"]);
        assert!(out.contains(&Aligned::Changed {
            expected: 1,
            actual: 1
        }));
    }
}
