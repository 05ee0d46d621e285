//! Mutation tests of composites a dispatch mode sees whole
//! (`inference_composites`: evaluation under `torch.inference_mode()`): a
//! perturbed decomposition is caught and named like a perturbed kernel,
//! free-running and anchored, including the `resolve_conj` that `tolist()`
//! calls.

use super::support::{
    assert_perturbed_ops_caught, replay, replay_anchored_with_fault, replay_perturbed,
};

const TRACE: &str = "inference_composites.torch.ftr";

#[test]
fn the_inference_mode_golden_matches() {
    let (code, out) = replay(TRACE, None);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("MATCH"), "{out}");
}

#[test]
fn perturbed_composites_seen_whole_are_value_failures_naming_the_op() {
    assert_perturbed_ops_caught(
        TRACE,
        &[
            "aten.linear.default",
            "aten.layer_norm.default",
            "aten.scaled_dot_product_attention.default",
            "aten.conv2d.default",
            "aten.matmul.default",
        ],
        "0.01",
    );
}

#[test]
fn a_perturbed_resolve_conj_is_named_wrong() {
    // `resolve_conj` returns its input itself: the perturbation writes
    // through to it, so free-running sees the input drift with it, and the
    // anchored re-check names the operator.
    let op = "aten.resolve_conj.default";
    let (code, out) = replay_perturbed(TRACE, op, "0.01");
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains(&format!("{op} (expected seq")), "{out}");
    assert!(out.contains("is wrong"), "{out}");
    let (code, out) = replay_anchored_with_fault(TRACE, &format!("perturb={op}:0.01"));
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains(op), "{out}");
}
