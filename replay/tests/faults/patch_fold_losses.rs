//! Mutation tests on the `patch_fold_losses` golden: IndexFillBackward1
//! must give a learned 0-dim fill value the gradient of each filled
//! position once (`_unique(index)` before `index_select` and `sum`); summing
//! over the raw index, which names a position twice, changes the backward's
//! dispatches and is named at the node, free-running and anchored.
//! `col2im` must store every sum of overlapping blocks in the element
//! dtype; summing bfloat16 blocks in float64 and rounding once is a value
//! failure that starts at `col2im`, and an accumulating `index_put` of
//! repeated bfloat16/float16 positions summed in float64 one that starts
//! at `index_put`; `scatter_reduce` of bfloat16/float16 messages rounded
//! at every step (PyTorch carries them in float32) one that starts at
//! `scatter_reduce`; `index_add_` of repeated bfloat16/float16 slices
//! summed in float64 one that starts at `index_add_`.

use super::support::{
    assert_drift_starts_at_both_ways, assert_first_dispatch_change_both_ways,
    assert_replays_to_match,
};

const TRACE: &str = "patch_fold_losses.torch.ftr";

#[test]
fn the_corpus_program_matches() {
    assert_replays_to_match(TRACE);
}

#[test]
fn a_fill_value_gradient_over_repeated_positions_is_caught_at_the_node() {
    assert_first_dispatch_change_both_ways(
        TRACE,
        "index-fill-value-grad-repeats",
        &["aten._unique.default", "IndexFillBackward1"],
    );
}

#[test]
fn a_reduced_precision_fold_summed_in_double_is_caught_at_col2im() {
    assert_drift_starts_at_both_ways(TRACE, "col2im-sums-in-double", "aten.col2im.default");
}

#[test]
fn a_reduced_precision_accumulating_index_put_summed_in_double_is_caught() {
    assert_drift_starts_at_both_ways(
        TRACE,
        "index-put-accumulates-in-double",
        "aten.index_put.default",
    );
}

#[test]
fn half_precision_scatter_reductions_rounded_every_step_are_caught() {
    assert_drift_starts_at_both_ways(
        TRACE,
        "scatter-reduce-half-steps-rounded",
        "aten.scatter_reduce.two",
    );
}

#[test]
fn half_precision_index_add_summed_in_double_is_caught() {
    assert_drift_starts_at_both_ways(TRACE, "index-add-sums-in-double", "aten.index_add_.default");
}
