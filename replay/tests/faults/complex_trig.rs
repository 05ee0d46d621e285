//! Mutation test of the conjugated derivatives of complex `sin`, `cos`,
//! `sinh`, `cosh`, `log` and `sqrt`. In the `complex_trig_activations`
//! golden each backward multiplies (or divides) the gradient by the
//! conjugate of its derivative factor: PyTorch dispatches `_conj` and the
//! Conjugate fallback's `clone` before `mul`/`div`. A node that uses the
//! factor itself skips `_conj`; the replay reports a changed dispatch at
//! the first such `_conj` the backward reaches (SqrtBackward0's),
//! free-running and anchored.

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
