//! Mutation test of the search operators' comparison dtype on the
//! `nerf_hierarchical` golden: the far plane `5.3`, searched as a Python
//! float in float32 edges, equals the edge `float32(5.3)` only when both
//! are compared in float32, as PyTorch does.

use super::support::{assert_anchored_value_failures, replay_with_fault};

const TRACE: &str = "nerf_hierarchical.torch.ftr";
const FAULT: &str = "search-in-double";

#[test]
fn searches_compared_in_double_are_caught_anchored_at_the_scalar_overloads() {
    assert_anchored_value_failures(
        TRACE,
        FAULT,
        "aten.bucketize.Scalar output 0",
        &["aten.searchsorted.Scalar output 0"],
        "",
    );
}

#[test]
fn searches_compared_in_double_are_caught_free_running() {
    // Free-running, the inverse-CDF samples stay within tolerance (the
    // sums normalising the weights are PyTorch's bits), so the first value
    // out of tolerance is the scalar search itself, still wrong anchored.
    let (code, out) = replay_with_fault(TRACE, FAULT);
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten.bucketize.Scalar (expected seq 453"),
        "{out}"
    );
    assert!(
        out.contains(
            "aten.bucketize.Scalar (expected seq 453) is wrong: run on PyTorch's inputs (anchored) it still fails"
        ),
        "{out}"
    );
}
