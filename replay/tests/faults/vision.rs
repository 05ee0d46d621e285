//! Mutation tests of the vision corpus (`norms_groups`, `resample_shuffle`,
//! `half_precision_cnn`, `prelu_cnn`, `upsample_nearest_exact`): a
//! deliberately broken group norm, nearest-exact upsampling,
//! max unpooling or PReLU kernel, node or unpooling gradient is caught with
//! the right exit code, naming the operator or node.

use super::support::{replay_perturbed, replay_with_fault};

#[test]
fn perturbed_group_norm_kernels_are_value_failures_naming_the_op() {
    for (trace, op) in [
        ("norms_groups.torch.ftr", "aten.native_group_norm.default"),
        (
            "norms_groups.torch.ftr",
            "aten.native_group_norm_backward.default",
        ),
        (
            "half_precision_cnn.torch.ftr",
            "aten.native_group_norm.default",
        ),
    ] {
        let (code, out) = replay_perturbed(trace, op, "0.01");
        assert_eq!(code, Some(3), "{trace} {op}: {out}");
        assert!(out.contains(&format!("drift starts at {op}")), "{out}");
    }
}

#[test]
fn a_perturbed_max_unpool_is_a_value_failure_naming_the_op() {
    for op in ["aten.max_unpool2d.default", "aten.max_unpool3d.default"] {
        let (code, out) = replay_perturbed("resample_shuffle.torch.ftr", op, "0.01");
        assert_eq!(code, Some(3), "{op}: {out}");
        assert!(out.contains(&format!("drift starts at {op}")), "{out}");
    }
}

#[test]
fn a_renamed_group_norm_node_is_a_graph_divergence() {
    let (code, out) = replay_with_fault(
        "norms_groups.torch.ftr",
        "rename-node=NativeGroupNormBackward0:NativeGroupNormBackward1",
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("FAIL graph"), "{out}");
    assert!(out.contains("NativeGroupNormBackward1"), "{out}");
}

#[test]
fn a_copied_unpool_gradient_is_an_extra_clone_in_the_unpool_backward() {
    let (code, out) = replay_with_fault("resample_shuffle.torch.ftr", "contiguous-pool-gradient");
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("FAIL dispatch"), "{out}");
    assert!(out.contains("aten.clone.default"), "{out}");
    assert!(out.contains("MaxUnpool"), "{out}");
}

#[test]
fn perturbed_prelu_kernels_are_value_failures_naming_the_op() {
    for op in [
        "aten._prelu_kernel.default",
        "aten._prelu_kernel_backward.default",
    ] {
        let (code, out) = replay_perturbed("prelu_cnn.torch.ftr", op, "0.01");
        assert_eq!(code, Some(3), "{op}: {out}");
        assert!(out.contains(&format!("drift starts at {op}")), "{out}");
    }
}

#[test]
fn perturbed_nearest_exact_upsampling_is_a_value_failure_naming_the_op() {
    for op in [
        "aten._upsample_nearest_exact2d.default",
        "aten._upsample_nearest_exact2d_backward.default",
    ] {
        let (code, out) = replay_perturbed("upsample_nearest_exact.torch.ftr", op, "0.01");
        assert_eq!(code, Some(3), "{op}: {out}");
        assert!(out.contains(&format!("drift starts at {op}")), "{out}");
    }
}

#[test]
fn bicubic_with_the_wrong_cubic_coefficient_is_caught_and_named() {
    let (code, out) = replay_with_fault("resample_bicubic.torch.ftr", "bicubic-wrong-a");
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten.upsample_bicubic2d.default"),
        "{out}"
    );
    assert!(
        out.contains("run on PyTorch's inputs (anchored) it still fails"),
        "{out}"
    );
    let (code, out) = replay_perturbed(
        "resample_bicubic.torch.ftr",
        "aten.upsample_bicubic2d_backward.default",
        "0.01",
    );
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten.upsample_bicubic2d_backward.default"),
        "{out}"
    );
}

#[test]
fn grid_sampling_with_flipped_align_corners_is_caught_and_named() {
    let (code, out) = replay_with_fault(
        "spatial_transformer.torch.ftr",
        "grid-sample-flipped-align-corners",
    );
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten.grid_sampler_2d.default"),
        "{out}"
    );
    assert!(
        out.contains("run on PyTorch's inputs (anchored) it still fails"),
        "{out}"
    );
    // (A perturbation of `grid_sampler_2d_backward` would land on its first
    // output, the input gradient this trace never asks for.)
    let op = "aten.affine_grid_generator.default";
    let (code, out) = replay_perturbed("spatial_transformer.torch.ftr", op, "0.01");
    assert_eq!(code, Some(3), "{op}: {out}");
    assert!(out.contains(&format!("drift starts at {op}")), "{out}");
}
