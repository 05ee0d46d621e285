//! Mutation tests of Monte-Carlo dropout under `torch.inference_mode()`
//! (`inference_mc_dropout`): a dropout mask recovered inverted from the
//! recorded result is caught at the first dropout seen whole in training
//! mode (`Dropout1d`'s `feature_dropout`), free-running and anchored.

use super::support::{assert_drift_starts_at_both_ways, assert_replays_to_match};

const TRACE: &str = "inference_mc_dropout.torch.ftr";

#[test]
fn the_corpus_program_matches() {
    assert_replays_to_match(TRACE);
}

#[test]
fn an_inverted_dropout_mask_is_caught_at_the_first_feature_dropout() {
    assert_drift_starts_at_both_ways(
        TRACE,
        "dropout-mask-inverted",
        "aten.feature_dropout.default",
    );
}
