//! Mutation tests of the layers seen whole under `torch.inference_mode()`
//! (`inference_eval_layers`): `padding='same'`'s odd remainder padded
//! before the input instead of after it is caught at the first
//! `conv1d.padding`, free-running and anchored; perturbed decompositions
//! (3-d and transposed convolutions, 3-d poolings, `prelu`, `rrelu`,
//! `pdist`, `multilabel_margin_loss`) are value failures naming them.

use super::support::{
    assert_drift_starts_at_both_ways, assert_perturbed_ops_caught, assert_replays_to_match,
};

const TRACE: &str = "inference_eval_layers.torch.ftr";

#[test]
fn the_corpus_program_matches() {
    assert_replays_to_match(TRACE);
}

#[test]
fn same_padding_extra_before_is_caught_at_the_first_padded_conv() {
    assert_drift_starts_at_both_ways(TRACE, "same-padding-extra-before", "aten.conv1d.padding");
}

#[test]
fn perturbed_layer_composites_are_value_failures_naming_them() {
    assert_perturbed_ops_caught(
        TRACE,
        &[
            "aten.conv3d.default",
            "aten.conv2d.padding",
            "aten.conv_transpose1d.default",
            "aten.conv_transpose2d.input",
            "aten.conv_transpose3d.input",
            "aten.max_pool3d.default",
            "aten.adaptive_avg_pool3d.default",
            "aten.prelu.default",
            "aten.rrelu.default",
            "aten.pdist.default",
            "aten.multilabel_margin_loss.default",
        ],
        "0.5",
    );
}
