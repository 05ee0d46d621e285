//! Mutation tests of randomized leaky ReLU (`rrelu_classifier`): noise
//! that never receives the drawn slopes, perturbed `rrelu_with_noise` /
//! `rrelu_with_noise_` / `rrelu_with_noise_backward` kernels and misnamed
//! nodes are caught and named, free-running and anchored.

use super::support::{
    assert_perturbed_ops_caught, assert_renamed_nodes_caught, replay, replay_anchored_with_fault,
    replay_with_fault,
};

const TRACE: &str = "rrelu_classifier.torch.ftr";

#[test]
fn the_rrelu_golden_matches_free_running_and_anchored() {
    let (code, out) = replay(TRACE, None);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("MATCH"), "{out}");
    let (code, out) = replay_anchored_with_fault(TRACE, "perturb=aten.rrelu_with_noise.default:0");
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn noise_without_the_drawn_slopes_is_caught_at_the_backward() {
    for (code, out) in [
        replay_with_fault(TRACE, "rrelu-noise-not-written"),
        replay_anchored_with_fault(TRACE, "rrelu-noise-not-written"),
    ] {
        assert_eq!(code, Some(3), "{out}");
        assert!(
            out.contains("drift starts at aten.rrelu_with_noise_backward.default"),
            "{out}"
        );
    }
}

#[test]
fn perturbed_rrelu_kernels_are_value_failures_naming_the_op() {
    assert_perturbed_ops_caught(
        TRACE,
        &[
            "aten.rrelu_with_noise.default",
            "aten.rrelu_with_noise_.default",
            "aten.rrelu_with_noise_backward.default",
        ],
        "0.01",
    );
}

#[test]
fn misnamed_rrelu_nodes_are_graph_divergences() {
    assert_renamed_nodes_caught(
        TRACE,
        &["RreluWithNoiseBackward0", "RreluWithNoiseBackward1"],
    );
}
