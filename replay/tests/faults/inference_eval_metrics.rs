//! Mutation tests of the composites an evaluation loop calls inside
//! `torch.inference_mode()` (`inference_eval_metrics`), which a dispatch
//! mode sees whole and the runtime decomposes as ATen does: a trapezoid
//! rule that does not halve its sum is caught at the AUROC's
//! `trapezoid.x`, free-running and anchored; perturbed composites are value
//! failures naming them.

use super::support::{
    assert_drift_starts_at_both_ways, assert_perturbed_ops_caught, assert_replays_to_match,
    replay_anchored_with_fault, replay_with_fault,
};

const TRACE: &str = "inference_eval_metrics.torch.ftr";

#[test]
fn the_corpus_program_matches() {
    assert_replays_to_match(TRACE);
}

#[test]
fn a_trapezoid_rule_without_the_half_is_caught_at_the_auroc() {
    assert_drift_starts_at_both_ways(TRACE, "trapezoid-skips-half", "aten.trapezoid.x");
}

#[test]
fn perturbed_composites_are_value_failures_naming_them() {
    assert_perturbed_ops_caught(
        TRACE,
        &[
            "aten.trapezoid.dx",
            "aten.cumulative_trapezoid.x",
            "aten.var.dim",
            "aten.std_mean.dim",
            "aten.kl_div.default",
            "aten.l1_loss.default",
            "aten.cosine_similarity.default",
            "aten.pairwise_distance.default",
            "aten.where.ScalarOther",
            "aten.square.default",
        ],
        "0.5",
    );
    // A perturbed `diff` also changes the count of flips in a bool mask
    // that `item()` reads out: free-running, that call's result differs too.
    let op = "aten.diff.default";
    let fault = format!("perturb={op}:0.5");
    let (code, out) = replay_with_fault(TRACE, &fault);
    assert!(matches!(code, Some(1 | 3)), "{out}");
    assert!(out.contains(&format!("drift starts at {op}")), "{out}");
    let (code, out) = replay_anchored_with_fault(TRACE, &fault);
    assert!(matches!(code, Some(1 | 3)), "anchored: {out}");
    assert!(out.contains(op), "anchored: {out}");
}
