//! Mutation tests of the evaluation report under `torch.inference_mode()`
//! (`inference_eval_report`): label smoothing without its uniform term is
//! caught at the first smoothed `cross_entropy`, a quantile taking the
//! lower neighbour for the upper one at the first `quantile`, both
//! free-running and anchored; perturbed decompositions of the other
//! composites the report meets whole are value failures naming them.

use super::support::{
    assert_drift_starts_at_both_ways, assert_perturbed_ops_caught, assert_replays_to_match,
};

const TRACE: &str = "inference_eval_report.torch.ftr";

#[test]
fn the_corpus_program_matches() {
    assert_replays_to_match(TRACE);
}

#[test]
fn label_smoothing_without_the_uniform_term_is_caught_at_the_smoothed_loss() {
    assert_drift_starts_at_both_ways(
        TRACE,
        "label-smoothing-drops-uniform",
        "aten.cross_entropy_loss.default",
    );
}

#[test]
fn quantiles_rounding_the_upper_rank_down_are_caught_at_the_first_quantile() {
    assert_drift_starts_at_both_ways(TRACE, "quantile-rounds-above-down", "aten.quantile.default");
}

#[test]
fn perturbed_composites_are_value_failures_naming_them() {
    assert_perturbed_ops_caught(
        TRACE,
        &[
            "aten.nanquantile.scalar",
            "aten.quantile.scalar",
            "aten.nanquantile.default",
            "aten.cdist.default",
            "aten.upsample_bilinear2d.vec",
            "aten.upsample_bicubic2d.vec",
            "aten.upsample_linear1d.vec",
            "aten.upsample_trilinear3d.vec",
            "aten._upsample_nearest_exact1d.vec",
        ],
        "0.5",
    );
}
