//! Mutation test on the `complex_item_readout` golden: a Python complex
//! read out of a complex tensor (`item()`) is a value, compared within the
//! tolerance of its tensor's dtype, so a runtime that hands back the
//! conjugate is caught at `_local_scalar_dense`, anchored too.

use super::support::{replay, replay_anchored_with_fault, replay_with_fault};

const TRACE: &str = "complex_item_readout.torch.ftr";
const FAULT: &str = "complex-item-conjugated";

#[test]
fn a_conjugated_item_is_caught_at_local_scalar_dense() {
    for (code, out) in [
        replay_with_fault(TRACE, FAULT),
        replay_anchored_with_fault(TRACE, FAULT),
    ] {
        assert_eq!(code, Some(3), "{out}");
        assert!(
            out.contains(
                "aten._local_scalar_dense.default output 0 (expected seq 94, actual seq 94): \
                 1 of 1 elements out of tolerance"
            ),
            "{out}"
        );
    }
}

#[test]
fn complex_items_match_within_tolerance() {
    let (code, out) = replay(TRACE, None);
    assert_eq!(code, Some(0), "{out}");
}
