//! Mutation tests of the embedding model's evaluation report under
//! `torch.inference_mode()` (`inference_eval_embedding`): a ranking loss
//! that drops its margin is caught at the first `margin_ranking_loss`,
//! free-running and anchored; perturbed decompositions of the other
//! composites the report meets whole are value failures naming them
//! (`einsum`'s similarity matrix feeds `argwhere`, so perturbing it changes
//! shapes, not only values, and is left out; `cartesian_prod` here pairs
//! integer labels, which a fractional perturbation leaves unchanged).

use super::support::{
    assert_drift_starts_at_both_ways, assert_perturbed_ops_caught, assert_replays_to_match,
};

const TRACE: &str = "inference_eval_embedding.torch.ftr";

#[test]
fn the_corpus_program_matches() {
    assert_replays_to_match(TRACE);
}

#[test]
fn a_ranking_loss_without_its_margin_is_caught_at_the_first_ranking_loss() {
    assert_drift_starts_at_both_ways(
        TRACE,
        "margin-ranking-drops-margin",
        "aten.margin_ranking_loss.default",
    );
}

#[test]
fn perturbed_composites_are_value_failures_naming_them() {
    assert_perturbed_ops_caught(
        TRACE,
        &[
            "aten.triplet_margin_loss.default",
            "aten.cosine_embedding_loss.default",
            "aten.hinge_embedding_loss.default",
            "aten.poisson_nll_loss.default",
            "aten.tensordot.default",
            "aten.cov.default",
            "aten.corrcoef.default",
            "aten.linalg_norm.default",
            "aten.linalg_norm.ord_str",
        ],
        "0.5",
    );
}
