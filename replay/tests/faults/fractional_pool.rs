//! Mutation tests of fractional max pooling (`fractional_pool_cnn`): a
//! kernel that swaps a plane's height and width samples, perturbed forward
//! and backward kernels (2-d and 3-d) and misnamed nodes are caught and
//! named, free-running and anchored.

use super::support::{
    assert_perturbed_ops_caught, assert_renamed_nodes_caught, replay, replay_anchored_with_fault,
    replay_with_fault,
};

const TRACE: &str = "fractional_pool_cnn.torch.ftr";

#[test]
fn the_fractional_pool_golden_matches_free_running_and_anchored() {
    let (code, out) = replay(TRACE, None);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("MATCH"), "{out}");
    let (code, out) =
        replay_anchored_with_fault(TRACE, "perturb=aten.fractional_max_pool2d.default:0");
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn swapped_samples_are_caught_and_named() {
    for (code, out) in [
        replay_with_fault(TRACE, "fractional-pool-samples-swapped"),
        replay_anchored_with_fault(TRACE, "fractional-pool-samples-swapped"),
    ] {
        assert_eq!(code, Some(3), "{out}");
        assert!(
            out.contains("drift starts at aten.fractional_max_pool2d.default"),
            "{out}"
        );
    }
}

#[test]
fn perturbed_fractional_pool_kernels_are_value_failures_naming_the_op() {
    assert_perturbed_ops_caught(
        TRACE,
        &[
            "aten.fractional_max_pool2d.default",
            "aten.fractional_max_pool2d_backward.default",
            "aten.fractional_max_pool3d.default",
            "aten.fractional_max_pool3d_backward.default",
        ],
        "0.01",
    );
}

#[test]
fn misnamed_fractional_pool_nodes_are_graph_divergences() {
    assert_renamed_nodes_caught(
        TRACE,
        &[
            "FractionalMaxPool2DBackward0",
            "FractionalMaxPool3DBackward0",
        ],
    );
}
