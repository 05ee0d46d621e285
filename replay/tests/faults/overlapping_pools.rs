//! Mutation tests of the pooling gradients' accumulation (each step
//! rounded to the gradient's dtype, in output order) on the
//! `overlapping_pools` golden, whose loss scale of 2**16 makes overlapping
//! windows' float32 sums depend on it.

use super::support::{assert_anchored_value_failures, replay_with_fault};

const TRACE: &str = "overlapping_pools.torch.ftr";
const FAULT: &str = "pool-gradient-in-double";

#[test]
fn pool_gradients_summed_in_double_are_caught_anchored_at_the_pool() {
    assert_anchored_value_failures(
        TRACE,
        FAULT,
        "aten.avg_pool3d_backward.default output 0",
        &["aten.max_pool2d_with_indices_backward.default output 0"],
        "_backward.default",
    );
}

#[test]
fn pool_gradients_summed_in_double_are_caught_free_running() {
    // Free-running, the loss scale amplifies the last-bit differences into
    // the fully connected layers first; the anchored re-check names the
    // pooling gradient as the operator that is wrong.
    let (code, out) = replay_with_fault(TRACE, FAULT);
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("fail anchored elsewhere, the first at aten.avg_pool3d_backward.default"),
        "{out}"
    );
}
