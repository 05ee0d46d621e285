//! Mutation tests of the sensor classifier's evaluation report under
//! `torch.inference_mode()` (`inference_eval_composites`): a `kron` that
//! takes its factors the other way round is caught at the first `kron`,
//! free-running and anchored; perturbed decompositions of the other
//! composites the report meets whole are value failures naming them
//! (the splits, moves and dropouts are views or the input itself, with no
//! values of their own to perturb, and `msort`/`take_along_dim` feed
//! nothing that a fractional perturbation would not also show at them).

use super::support::{
    assert_drift_starts_at_both_ways, assert_perturbed_ops_caught, assert_replays_to_match,
};

const TRACE: &str = "inference_eval_composites.torch.ftr";

#[test]
fn the_corpus_program_matches() {
    assert_replays_to_match(TRACE);
}

#[test]
fn a_kron_with_swapped_factors_is_caught_at_the_first_kron() {
    assert_drift_starts_at_both_ways(TRACE, "kron-factors-swapped", "aten.kron.default");
}

#[test]
fn perturbed_composites_are_value_failures_naming_them() {
    assert_perturbed_ops_caught(
        TRACE,
        &[
            "aten.outer.default",
            "aten.ger.default",
            "aten.inner.default",
            "aten.selu.default",
            "aten.log_sigmoid.default",
            "aten.instance_norm.default",
            "aten.bilinear.default",
            "aten.tile.default",
            "aten.repeat_interleave.self_int",
            "aten.repeat_interleave.self_Tensor",
            "aten.special_xlogy.default",
            "aten.special_ndtr.default",
            "aten.special_sinc.default",
            "aten.det.default",
            "aten.linalg_inv.default",
            "aten.linalg_solve.default",
            "aten.fft_rfft.default",
        ],
        "0.5",
    );
}
