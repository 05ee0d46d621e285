//! Mutation tests of the 1-d poolings and `F.pad` seen whole under
//! `torch.inference_mode()` (`inference_eval_conv1d`): reflection padding
//! run as replication is caught at the first `pad`, free-running and
//! anchored; perturbed decompositions are value failures naming them.

use super::support::{
    assert_drift_starts_at_both_ways, assert_perturbed_ops_caught, assert_replays_to_match,
};

const TRACE: &str = "inference_eval_conv1d.torch.ftr";

#[test]
fn the_corpus_program_matches() {
    assert_replays_to_match(TRACE);
}

#[test]
fn reflection_run_as_replication_is_caught_at_the_first_pad() {
    assert_drift_starts_at_both_ways(TRACE, "pad-reflect-as-replicate", "aten.pad.default");
}

#[test]
fn perturbed_poolings_and_pads_are_value_failures_naming_them() {
    assert_perturbed_ops_caught(
        TRACE,
        &[
            "aten.pad.default",
            "aten.max_pool1d.default",
            "aten.avg_pool1d.default",
            "aten.adaptive_avg_pool1d.default",
            "aten.adaptive_max_pool1d.default",
            "aten.max_pool1d_with_indices.default",
        ],
        "0.5",
    );
}
