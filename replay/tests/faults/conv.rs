//! Mutation tests of the convolution, pooling, padding, upsampling and
//! attention corpus: a deliberately broken kernel or node of this family is
//! caught by `conv_pool` / `conv_attention` / `conv_pad` / `conv_3d` with
//! the right exit code, naming the operator or node.

use super::support::replay_with_fault;

#[test]
fn a_perturbed_convolution_is_a_value_failure_naming_the_op() {
    let (code, out) = replay_with_fault(
        "conv_pool.torch.ftr",
        "perturb=aten.convolution.default:0.01",
    );
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten.convolution.default"),
        "{out}"
    );
}

#[test]
fn a_perturbed_max_pool_backward_is_a_value_failure_naming_the_op() {
    let (code, out) = replay_with_fault(
        "conv_pool.torch.ftr",
        "perturb=aten.max_pool2d_with_indices_backward.default:0.01",
    );
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten.max_pool2d_with_indices_backward.default"),
        "{out}"
    );
}

#[test]
fn a_perturbed_flash_attention_is_a_value_failure_naming_the_op() {
    let (code, out) = replay_with_fault(
        "conv_attention.torch.ftr",
        "perturb=aten._scaled_dot_product_flash_attention_for_cpu.default:0.01",
    );
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten._scaled_dot_product_flash_attention_for_cpu.default"),
        "{out}"
    );
}

#[test]
fn a_renamed_convolution_node_is_a_graph_divergence() {
    let (code, out) = replay_with_fault(
        "conv_pool.torch.ftr",
        "rename-node=ConvolutionBackward0:ConvolutionBackward1",
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("FAIL graph"), "{out}");
    assert!(out.contains("ConvolutionBackward1"), "{out}");
}

#[test]
fn perturbed_upsampling_and_3d_pooling_are_value_failures_naming_the_op() {
    for (trace, op) in [
        ("conv_pad.torch.ftr", "aten.upsample_bilinear2d.default"),
        ("conv_pad.torch.ftr", "aten.reflection_pad2d.default"),
        ("conv_3d.torch.ftr", "aten.avg_pool3d.default"),
    ] {
        let (code, out) = replay_with_fault(trace, &format!("perturb={op}:0.01"));
        assert_eq!(code, Some(3), "{trace} {op}: {out}");
        assert!(out.contains(&format!("drift starts at {op}")), "{out}");
    }
}

#[test]
fn a_perturbed_backward_whose_first_gradient_is_undefined_perturbs_the_next() {
    // half_precision_cnn's only convolution reads the batch, which needs no
    // gradient: convolution_backward returns (undefined, grad_weight,
    // grad_bias), and the fault must still change a gradient.
    let (code, out) = replay_with_fault(
        "half_precision_cnn.torch.ftr",
        "perturb=aten.convolution_backward.default:0.01",
    );
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten.convolution_backward.default"),
        "{out}"
    );
}

#[test]
fn reduced_precision_attention_computed_as_float32_is_a_value_failure() {
    // bfloat16/float16 flash attention rounds its probabilities to the dtype
    // and takes ATen's fast exponential on full 16-lane vectors; computing
    // them as float32 does moves outputs by bfloat16 ulps.
    let (code, out) = replay_with_fault(
        "attention_reduced_precision.torch.ftr",
        "attention-reduced-as-float",
    );
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten._scaled_dot_product_flash_attention_for_cpu.default"),
        "{out}"
    );
}
