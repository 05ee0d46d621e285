//! Mutation tests of the complex reductions in the `complex_cumulative_var`
//! golden and of the complex inverse's gradient. ProdBackward0/1 and CumprodBackward0 take the conjugates of
//! their products, input and result (`_conj` views that the Conjugate
//! fallback materializes with `clone`): nodes that use them as they are
//! skip the `_conj` the backward reaches first. A complex `var`/`std` that
//! leaves out the imaginary parts' variance computes a wrong real result,
//! which the value check finds at the first `var`. In `complex_linalg_inv`,
//! LinalgInvExBackward0 multiplies by `inverse.mH` (a transpose and a
//! `_conj` view): a node that only transposes skips that `_conj`. A complex
//! `mean` multiplies each part of the sum by the reciprocal of the count
//! (`c10::complex` division by `n + 0i`); dividing in float64 is listed.

use super::support::assert_fault_reported_both_ways;

#[test]
fn prod_and_cumprod_gradients_without_the_conjugate_are_caught_at_conj() {
    assert_fault_reported_both_ways(
        "complex_cumulative_var.torch.ftr",
        "prod-grad-unconjugated",
        1,
        &["first divergence: [dispatch", "aten._conj.default"],
    );
}

#[test]
fn complex_variance_without_the_imaginary_parts_is_caught_at_var() {
    assert_fault_reported_both_ways(
        "complex_cumulative_var.torch.ftr",
        "complex-var-drops-imag",
        3,
        &["aten.var.correction"],
    );
}

#[test]
fn inverse_gradient_without_the_conjugate_transpose_is_caught_at_conj() {
    assert_fault_reported_both_ways(
        "complex_linalg_inv.torch.ftr",
        "inv-grad-unconjugated",
        1,
        &["first divergence: [dispatch", "LinalgInvExBackward0"],
    );
}

#[test]
fn complex_means_divided_in_double_are_listed() {
    super::rounding_order::exact_unless(
        "complex_cumulative_var.torch.ftr",
        "aten.mean.dim",
        "complex-mean-divided-in-double",
        8,
        178,
    );
}
