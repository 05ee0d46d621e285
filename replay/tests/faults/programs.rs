//! Mutation tests of the user-style training programs of the corpus
//! (`nanogpt_style`, `mnist_example_style`, `dcgan_style`, `llama_style`): a deliberately
//! broken kernel deep inside an ordinary program is caught with the right
//! exit code, and the report names the operator where the drift starts.

use super::support::replay_with_fault;

/// Asserts a value failure whose drift starts at `op`.
fn assert_drift_at(trace: &str, op: &str) {
    let (code, out) = replay_with_fault(trace, &format!("perturb={op}:0.01"));
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains(&format!("drift starts at {op}")), "{out}");
}

#[test]
fn a_perturbed_topk_in_a_sampling_step_is_named() {
    assert_drift_at("nanogpt_style.torch.ftr", "aten.topk.default");
}

#[test]
fn a_perturbed_max_pool_in_the_mnist_example_is_named() {
    assert_drift_at(
        "mnist_example_style.torch.ftr",
        "aten.max_pool2d_with_indices.default",
    );
}

#[test]
fn a_perturbed_convolution_backward_in_a_gan_step_is_named() {
    assert_drift_at("dcgan_style.torch.ftr", "aten.convolution_backward.default");
}

#[test]
fn a_perturbed_smooth_l1_backward_in_a_regression_is_named() {
    assert_drift_at(
        "regression_style.torch.ftr",
        "aten.smooth_l1_loss_backward.default",
    );
}

#[test]
fn a_llama_style_decoder_catches_broken_rmsnorm_rotary_and_swiglu_kernels() {
    // RMSNorm's rsqrt, the rotary embedding's stack of rotated halves and
    // the SwiGLU gate's silu backward.
    for op in [
        "aten.rsqrt.default",
        "aten.stack.default",
        "aten.silu_backward.default",
    ] {
        assert_drift_at("llama_style.torch.ftr", op);
    }
}
