//! Mutation test on the `bf16_regressor_foreach` golden: a bfloat16
//! `_foreach_add_` with an alpha runs PyTorch's single-tensor `add_`, whose
//! scalar loop rounds `alpha·buf` before the sum. The in-place foreach
//! results are not recorded, so a runtime that rounds every element once
//! is caught at the next forward's one-column `addmm` (the head reads the
//! updated weight and bias), free-running and anchored.

use super::support::{assert_first_value_failure, replay};

const TRACE: &str = "bf16_regressor_foreach.torch.ftr";

#[test]
fn rounding_foreach_updates_once_is_caught_at_the_head() {
    assert_first_value_failure(
        TRACE,
        "reduced-add-rounds-once",
        &[3],
        "aten.addmm.default output 0 (expected seq 501, actual seq 501): 1 of 16 elements out of tolerance",
    );
}

#[test]
fn the_regressor_matches() {
    let (code, out) = replay(TRACE, None);
    assert_eq!(code, Some(0), "{out}");
}
