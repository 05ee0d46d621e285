//! Mutation test of weight normalisation in float16 on the
//! `half_weight_norm_regressor` golden: `_weight_norm_interface` keeps the
//! norms of a half-type weight in float32. Kept in float16 (fault
//! `weight-norm-half-norms-in-dtype`) the first dispatch changes at the
//! interface's norm output.

use super::support::{assert_first_dispatch_change_both_ways, assert_replays_to_match};

const TRACE: &str = "half_weight_norm_regressor.torch.ftr";

#[test]
fn the_corpus_program_matches() {
    assert_replays_to_match(TRACE);
}

#[test]
fn float16_norms_kept_in_float16_change_the_interface_dispatch() {
    assert_first_dispatch_change_both_ways(
        TRACE,
        "weight-norm-half-norms-in-dtype",
        &["aten._weight_norm_interface.default", "float32", "float16"],
    );
}
