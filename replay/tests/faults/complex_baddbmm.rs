//! Mutation test of BaddbmmBackward0's conjugated scalars. In the
//! `complex_baddbmm` golden `z3 = baddbmm(bias, x, w.conj(), beta=0,
//! alpha=1j)` is the first product whose backward scales by a complex
//! scalar: PyTorch multiplies batch1's gradient by `conj(1j) = -1j`; a
//! node that keeps `alpha` as it is dispatches `mul.Scalar(·, 1j)`, which
//! the replay reports as a changed dispatch at that `mul`, free-running
//! and anchored.

use super::support::assert_fault_reported_both_ways;

#[test]
fn baddbmm_gradients_scaled_by_unconjugated_scalars_are_caught() {
    assert_fault_reported_both_ways(
        "complex_baddbmm.torch.ftr",
        "baddbmm-grad-unconjugated-scalars",
        1,
        &[
            "first divergence: [dispatch changed] expected seq 151",
            "aten.mul.Scalar(T57[3,5,4])",
            "BaddbmmBackward0",
            "`other=-1j",
        ],
    );
}
