//! Mutation tests of the shrinkage activations (`shrink_lista`): a
//! `softshrink` that forgets to shift by λ, perturbed `hardshrink`,
//! `threshold` and shrink-backward kernels, and misnamed nodes are caught
//! and named, free-running and anchored.

use super::support::{
    assert_perturbed_ops_caught, assert_renamed_nodes_caught, replay, replay_anchored_with_fault,
    replay_with_fault,
};

const TRACE: &str = "shrink_lista.torch.ftr";

#[test]
fn the_shrink_golden_matches_free_running_and_anchored() {
    let (code, out) = replay(TRACE, None);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("MATCH"), "{out}");
    // anchored: a zero perturbation changes nothing
    let (code, out) = replay_anchored_with_fault(TRACE, "perturb=aten.hardshrink.default:0");
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn an_unshifted_softshrink_is_caught_and_named() {
    for (code, out) in [
        replay_with_fault(TRACE, "softshrink-no-shift"),
        replay_anchored_with_fault(TRACE, "softshrink-no-shift"),
    ] {
        assert_eq!(code, Some(3), "{out}");
        assert!(
            out.contains("drift starts at aten.softshrink.default"),
            "{out}"
        );
    }
}

#[test]
fn perturbed_shrink_kernels_are_value_failures_naming_the_op() {
    assert_perturbed_ops_caught(
        TRACE,
        &[
            "aten.hardshrink.default",
            "aten.softshrink_backward.default",
            "aten.hardshrink_backward.default",
            "aten.threshold.default",
            "aten.threshold_.default",
        ],
        "0.01",
    );
}

#[test]
fn misnamed_shrink_nodes_are_graph_divergences() {
    assert_renamed_nodes_caught(
        TRACE,
        &[
            "SoftshrinkBackward0",
            "HardshrinkBackward0",
            "ThresholdBackward0",
            "ThresholdBackward1",
        ],
    );
}
