//! Mutation tests of bicubic grid sampling on the `bicubic_warp_registration`
//! golden: Keys' `A = -0.5` instead of PyTorch's `-0.75` is a value failure
//! at `grid_sampler_2d`, free-running and anchored; the forward and backward
//! kernels perturbed are caught and named; a misnamed node is a graph
//! divergence.

use super::support::{
    assert_perturbed_ops_caught, assert_renamed_nodes_caught, replay, replay_anchored_with_fault,
    replay_with_fault,
};

const TRACE: &str = "bicubic_warp_registration.torch.ftr";

#[test]
fn the_bicubic_warp_registration_golden_matches_without_a_fault() {
    let (code, out) = replay(TRACE, None);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.lines().any(|l| l == "MATCH"), "{out}");
}

#[test]
fn a_bicubic_grid_sample_with_keys_half_is_caught_naming_the_op() {
    for (code, out) in [
        replay_with_fault(TRACE, "grid-sample-cubic-keys-half"),
        replay_anchored_with_fault(TRACE, "grid-sample-cubic-keys-half"),
    ] {
        assert_eq!(code, Some(3), "{out}");
        assert!(
            out.contains("drift starts at aten.grid_sampler_2d.default"),
            "{out}"
        );
    }
}

#[test]
fn perturbed_bicubic_grid_sampling_kernels_are_caught_and_named() {
    assert_perturbed_ops_caught(
        TRACE,
        &[
            "aten.grid_sampler_2d.default",
            "aten.grid_sampler_2d_backward.default",
        ],
        "0.01",
    );
}

#[test]
fn a_misnamed_grid_sampler_node_is_caught() {
    assert_renamed_nodes_caught(TRACE, &["GridSampler2DBackward0"]);
}
