//! Mutation tests of volumetric grid sampling on the
//! `volume_registration_warp` golden: trilinear corners whose y and z
//! distances are read with each other's index are a value failure at
//! `grid_sampler_3d`, free-running and anchored; the forward and backward
//! kernels perturbed are caught and named; a misnamed node is a graph
//! divergence.

use super::support::{
    assert_perturbed_ops_caught, assert_renamed_nodes_caught, replay, replay_anchored_with_fault,
    replay_with_fault,
};

const TRACE: &str = "volume_registration_warp.torch.ftr";

#[test]
fn the_volume_registration_warp_golden_matches_without_a_fault() {
    let (code, out) = replay(TRACE, None);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.lines().any(|l| l == "MATCH"), "{out}");
}

#[test]
fn trilinear_corners_with_swapped_y_and_z_distances_are_caught_naming_the_op() {
    for (code, out) in [
        replay_with_fault(TRACE, "grid-sample-3d-yz-swapped"),
        replay_anchored_with_fault(TRACE, "grid-sample-3d-yz-swapped"),
    ] {
        assert_eq!(code, Some(3), "{out}");
        assert!(
            out.contains("drift starts at aten.grid_sampler_3d.default"),
            "{out}"
        );
    }
}

#[test]
fn perturbed_volumetric_grid_sampling_kernels_are_caught_and_named() {
    assert_perturbed_ops_caught(
        TRACE,
        &[
            "aten.grid_sampler_3d.default",
            "aten.grid_sampler_3d_backward.default",
            "aten.affine_grid_generator.default",
        ],
        "0.01",
    );
}

#[test]
fn a_misnamed_volumetric_grid_sampler_node_is_caught() {
    assert_renamed_nodes_caught(TRACE, &["GridSampler3DBackward0"]);
}
