//! Mutation tests on the `optim_rprop_plateau` golden: `maximize=True` in
//! the foreach optimizers negates complex gradients with `_foreach_neg`,
//! each complex element through the complex `neg` kernel; a `neg` that
//! keeps the imaginary part is a value failure that starts at
//! `_foreach_neg`, free-running and anchored. Perturbed Rprop kernels are
//! named where the drift starts.

use super::support::{
    assert_drift_starts_at_both_ways, assert_perturbed_ops_caught, assert_replays_to_match,
};

const TRACE: &str = "optim_rprop_plateau.torch.ftr";

#[test]
fn the_corpus_program_matches() {
    assert_replays_to_match(TRACE);
}

#[test]
fn a_complex_negation_that_keeps_the_imaginary_part_is_caught_at_foreach_neg() {
    assert_drift_starts_at_both_ways(TRACE, "complex-neg-keeps-imag", "aten._foreach_neg.default");
}

#[test]
fn perturbed_rprop_and_foreach_neg_kernels_are_named() {
    assert_perturbed_ops_caught(
        TRACE,
        &[
            "aten._foreach_neg.default",
            "aten.masked_fill_.Scalar",
            "aten.addcmul_.default",
        ],
        "0.01",
    );
}
