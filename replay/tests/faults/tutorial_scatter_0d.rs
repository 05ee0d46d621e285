//! Mutation tests of 0-dim indices in gather / scatter on the
//! `onehot_target_transform` golden: a runtime that reads or writes
//! coordinate 0 along `dim` for a 0-dim index instead of the index's value
//! (`zeros(6).scatter_(0, tensor(label), value=1)`, the data tutorial's
//! one-hot target transform) is a value failure starting at that
//! `scatter_`, free-running and anchored.

use super::support::{replay, replay_anchored_with_fault, replay_with_fault};

const TRACE: &str = "onehot_target_transform.torch.ftr";

#[test]
fn the_onehot_target_transform_golden_matches_without_a_fault() {
    let (code, out) = replay(TRACE, None);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.lines().any(|l| l == "MATCH"), "{out}");
}

#[test]
fn a_0d_index_read_as_coordinate_zero_is_caught_naming_the_op() {
    let (code, out) = replay_with_fault(TRACE, "scatter-0d-index-at-origin");
    assert_ne!(code, Some(0), "{out}");
    assert!(out.contains("drift starts at aten.scatter_.value"), "{out}");
    let (code, out) = replay_anchored_with_fault(TRACE, "scatter-0d-index-at-origin");
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("drift starts at aten.scatter_.value"), "{out}");
}
