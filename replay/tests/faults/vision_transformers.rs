//! Mutation tests of `vision_transformers_style` (torchvision's
//! `VisionTransformer` and a two-stage `ConvNeXt`, AdamW with mixup and a
//! warmup-cosine schedule): the golden matches, including the ConvNeXt's
//! depthwise convolution on a one-pixel map strided (C, 1, C, C), which
//! PyTorch runs channels-last; a deliberately perturbed convolution,
//! attention backward, GELU backward or layer norm is caught free-running
//! and anchored, naming the operator.

use super::support::{replay, replay_anchored_with_fault, replay_perturbed};

const TRACE: &str = "vision_transformers_style.torch.ftr";

const OPS: [&str; 4] = [
    "aten.convolution.default",
    "aten._scaled_dot_product_flash_attention_for_cpu_backward.default",
    "aten.gelu_backward.default",
    "aten.native_layer_norm.default",
];

#[test]
fn the_golden_matches() {
    let (code, out) = replay(TRACE, None);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("MATCH"), "{out}");
}

#[test]
fn perturbed_kernels_are_value_failures_naming_the_op() {
    for op in OPS {
        let (code, out) = replay_perturbed(TRACE, op, "0.01");
        assert_eq!(code, Some(3), "{op}: {out}");
        assert!(
            out.contains(&format!("drift starts at {op}")),
            "{op}: {out}"
        );
        assert!(!out.contains("MATCH (free-running"), "{op}: {out}");
    }
}

#[test]
fn perturbed_kernels_are_caught_anchored_at_the_op() {
    for op in OPS {
        let (code, out) = replay_anchored_with_fault(TRACE, &format!("perturb={op}:0.01"));
        assert_eq!(code, Some(3), "{op}: {out}");
        assert!(
            out.contains(&format!("drift starts at {op}")),
            "{op}: {out}"
        );
    }
}
