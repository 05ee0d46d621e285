//! Mutation tests of adaptive 3-d max pooling on the
//! `video_adaptive_max_pool` golden: windows ended at the floor of
//! `(o + 1)·I/O` instead of its ceiling are a value failure at
//! `adaptive_max_pool3d`, free-running and anchored; the forward and
//! backward kernels perturbed are caught and named; a misnamed node is a
//! graph divergence.

use super::support::{
    assert_perturbed_ops_caught, assert_renamed_nodes_caught, replay, replay_anchored_with_fault,
    replay_with_fault,
};

const TRACE: &str = "video_adaptive_max_pool.torch.ftr";

#[test]
fn the_video_adaptive_max_pool_golden_matches_without_a_fault() {
    let (code, out) = replay(TRACE, None);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.lines().any(|l| l == "MATCH"), "{out}");
}

#[test]
fn floor_ended_adaptive_windows_are_caught_naming_the_op() {
    for (code, out) in [
        replay_with_fault(TRACE, "adaptive-max-pool3d-floor-end"),
        replay_anchored_with_fault(TRACE, "adaptive-max-pool3d-floor-end"),
    ] {
        assert_eq!(code, Some(3), "{out}");
        assert!(
            out.contains("drift starts at aten.adaptive_max_pool3d.default"),
            "{out}"
        );
    }
}

#[test]
fn perturbed_adaptive_max_pool3d_kernels_are_caught_and_named() {
    assert_perturbed_ops_caught(
        TRACE,
        &[
            "aten.adaptive_max_pool3d.default",
            "aten.adaptive_max_pool3d_backward.default",
        ],
        "0.01",
    );
}

#[test]
fn a_misnamed_adaptive_max_pool3d_node_is_caught() {
    assert_renamed_nodes_caught(TRACE, &["AdaptiveMaxPool3DBackward0"]);
}
