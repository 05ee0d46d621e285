//! Mutation tests of the pooling gradients' accumulation (each step
//! rounded to the gradient's dtype, in output order) on the
//! `overlapping_pools` golden, whose loss scale of 2**16 makes overlapping
//! windows' float32 sums depend on it.

use super::support::{replay_anchored_with_fault, replay_with_fault};

const TRACE: &str = "overlapping_pools.torch.ftr";
const FAULT: &str = "pool-gradient-in-double";

#[test]
fn pool_gradients_summed_in_double_are_caught_anchored_at_the_pool() {
    let (code, out) = replay_anchored_with_fault(TRACE, FAULT);
    assert_eq!(code, Some(3), "{out}");
    let failures: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("FAIL values"))
        .skip(1)
        .take_while(|l| l.starts_with("       aten."))
        .collect();
    assert!(
        failures
            .first()
            .is_some_and(|l| l.contains("aten.avg_pool3d_backward.default output 0")),
        "{out}"
    );
    assert!(
        failures
            .iter()
            .any(|l| l.contains("aten.max_pool2d_with_indices_backward.default output 0")),
        "{out}"
    );
    assert!(
        failures.iter().all(|l| l.contains("_backward.default")),
        "only pooling gradients differ on PyTorch's inputs: {out}"
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
