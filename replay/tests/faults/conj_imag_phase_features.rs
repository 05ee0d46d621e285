//! Mutation test of the negative bit (`conj_imag_phase_features`): the
//! imaginary part of a conjugated tensor is a `_neg_view`, whose walks
//! carry the Negative key and whose uses the Negative fallback materializes
//! by `clone`; NegViewBackward0 negates the gradient. A `_neg_view` that
//! keeps the bit unset (`neg-view-unresolved`) is a value failure at the
//! first `_neg_view` and a dispatch change at the `select` after it (its
//! key set lacks Negative), free-running and anchored.

use super::support::{
    assert_first_dispatch_change_both_ways, assert_renamed_nodes_caught, assert_replays_to_match,
    replay_anchored_with_fault, replay_with_fault,
};

const TRACE: &str = "conj_imag_phase_features.torch.ftr";
const FAULT: &str = "neg-view-unresolved";

#[test]
fn the_corpus_program_matches_free_running_and_anchored() {
    assert_replays_to_match(TRACE);
}

#[test]
fn an_unresolved_negative_view_drifts_at_neg_view() {
    for (_, out) in [
        replay_with_fault(TRACE, FAULT),
        replay_anchored_with_fault(TRACE, FAULT),
    ] {
        assert!(
            out.contains("drift starts at aten._neg_view.default"),
            "{out}"
        );
    }
}

#[test]
fn an_unresolved_negative_view_loses_the_negative_key() {
    assert_first_dispatch_change_both_ways(TRACE, FAULT, &["aten.select.int", "Negative"]);
}

#[test]
fn a_misnamed_neg_view_node_is_a_graph_divergence() {
    assert_renamed_nodes_caught(TRACE, &["NegViewBackward0"]);
}
