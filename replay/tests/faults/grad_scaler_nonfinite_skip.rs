//! Mutation test of the scaler's unscale operator on the
//! `grad_scaler_nonfinite_skip` golden: checking `found_inf` wholly before
//! `inv_scale` raises `found_inf must be a float tensor.` for the call whose
//! operands are both float64, where PyTorch checks `inv_scale`'s dtype
//! first; the changed error is named at that call, free running and
//! anchored.

use super::support::assert_first_dispatch_change_both_ways;

const TRACE: &str = "grad_scaler_nonfinite_skip.torch.ftr";

#[test]
fn checking_found_inf_first_is_caught_at_the_float64_operands() {
    assert_first_dispatch_change_both_ways(
        TRACE,
        "amp-unscale-checks-found-inf-first",
        &[
            "aten._amp_foreach_non_finite_check_and_unscale_.default",
            "inv_scale must be a float tensor.",
            "found_inf must be a float tensor.",
        ],
    );
}
