//! Foreach `addcmul` / `addcdiv` on CPU run the dense kernel on each list
//! element, whose TensorIterator casts every input to the computed dtype.
//! On the `optim_reduced_flags_schedules` golden, foreach ASGD on float16
//! parameters multiplies by float32 0-dim step sizes; evaluating the step
//! from the uncast float32 values (`foreach-addc-uncast`) moves the
//! parameters by an ulp, caught at the next step's `_foreach_sub.List`
//! (the in-place `_foreach_addcmul_` records no result of its own), both
//! ways.

use super::support::assert_drift_starts_at_both_ways;

const TRACE: &str = "optim_reduced_flags_schedules.torch.ftr";

#[test]
fn an_uncast_foreach_addcmul_is_caught_at_the_next_step() {
    assert_drift_starts_at_both_ways(
        TRACE,
        "foreach-addc-uncast",
        "aten._foreach_sub.List (expected seq 2548",
    );
}
