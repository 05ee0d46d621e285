//! Mutation tests on the `patch_fold_losses` golden: IndexFillBackward1
//! must give a learned 0-dim fill value the gradient of each filled
//! position once (`_unique(index)` before `index_select` and `sum`); summing
//! over the raw index, which names a position twice, changes the backward's
//! dispatches and is named at the node, free-running and anchored.

use super::support::{assert_first_dispatch_change_both_ways, assert_replays_to_match};

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
