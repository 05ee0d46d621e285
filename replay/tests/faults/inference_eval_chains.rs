//! Mutation tests of the linear-algebra report under
//! `torch.inference_mode()` (`inference_eval_chains`): a nuclear norm
//! that takes the largest singular value instead of their sum is caught
//! at the first `linalg.matrix_norm(ord="nuc")`, free-running and
//! anchored; perturbed chained products are value failures naming them.

use super::support::{
    assert_drift_starts_at_both_ways, assert_perturbed_ops_caught, assert_replays_to_match,
};

const TRACE: &str = "inference_eval_chains.torch.ftr";

#[test]
fn the_corpus_program_matches() {
    assert_replays_to_match(TRACE);
}

#[test]
fn a_nuclear_norm_as_the_spectral_norm_is_caught_at_the_matrix_norm() {
    assert_drift_starts_at_both_ways(
        TRACE,
        "matrix-norm-nuc-as-spectral",
        "aten.linalg_matrix_norm.str_ord",
    );
}

#[test]
fn perturbed_chains_are_value_failures_naming_them() {
    assert_perturbed_ops_caught(
        TRACE,
        &["aten.linalg_multi_dot.default", "aten.chain_matmul.default"],
        "0.5",
    );
}
