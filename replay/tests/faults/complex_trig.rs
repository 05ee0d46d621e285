//! Mutation test of the conjugated derivatives of complex `sin`, `cos`,
//! `sinh`, `cosh` and `log`. In the `complex_trig_activations` golden the
//! backward of a complex `sin` multiplies the gradient by `cos(z).conj()`:
//! PyTorch dispatches `cos`, `_conj` and the Conjugate fallback's `clone`
//! before `mul`. A node that multiplies by `cos(z)` itself skips `_conj`,
//! which the replay reports as a missing or changed dispatch at that
//! `_conj`, free-running and anchored.

use super::support::assert_fault_reported_both_ways;

#[test]
fn trig_derivatives_without_the_conjugate_are_caught_at_conj() {
    assert_fault_reported_both_ways(
        "complex_trig_activations.torch.ftr",
        "trig-grad-unconjugated",
        1,
        &["first divergence: [dispatch", "aten._conj.default"],
    );
}
