//! Mutation tests of the speech recogniser's and text classifier's
//! evaluation report under `torch.inference_mode()`
//! (`inference_eval_sequence`): a `ctc_loss` that keeps the infinite loss
//! of an utterance too short for its transcript although `zero_infinity`
//! is set is caught at the first such `ctc_loss`, free-running and
//! anchored; perturbed decompositions of the sequence composites the
//! report meets whole are value failures naming them (the bag's
//! bookkeeping outputs are integers a fractional perturbation leaves
//! unchanged, but its first output is the pooled embedding).

use super::support::{
    assert_drift_starts_at_both_ways, assert_perturbed_ops_caught, assert_replays_to_match,
};

const TRACE: &str = "inference_eval_sequence.torch.ftr";

#[test]
fn the_corpus_program_matches() {
    assert_replays_to_match(TRACE);
}

#[test]
fn a_ctc_loss_keeping_an_infinite_loss_under_zero_infinity_is_caught_at_the_first() {
    assert_drift_starts_at_both_ways(TRACE, "ctc-loss-keeps-infinity", "aten.ctc_loss.Tensor");
}

#[test]
fn perturbed_sequence_composites_are_value_failures_naming_them() {
    assert_perturbed_ops_caught(
        TRACE,
        &[
            "aten.ctc_loss.Tensor",
            "aten.ctc_loss.IntList",
            "aten.embedding_bag.padding_idx",
            "aten.embedding_bag.default",
            "aten.einsum.default",
            "aten.cov.default",
        ],
        "0.5",
    );
}
