//! Mutation tests of `torchvision_models` (a ShuffleNetV2 and a MobileNetV3
//! built by torchvision's constructors): a deliberately perturbed
//! convolution (forward or backward), batch norm, hardswish, hardsigmoid or
//! max pooling kernel is caught, free-running and anchored, naming the operator.

use super::support::{replay_anchored_with_fault, replay_perturbed};

const TRACE: &str = "torchvision_models.torch.ftr";

const OPS: [&str; 6] = [
    "aten.convolution.default",
    "aten.convolution_backward.default",
    "aten.native_batch_norm.default",
    "aten.hardswish_.default",
    "aten.hardsigmoid.default",
    "aten.max_pool2d_with_indices.default",
];

#[test]
fn perturbed_kernels_are_value_failures_naming_the_op() {
    for op in OPS {
        let (code, out) = replay_perturbed(TRACE, op, "0.01");
        assert_eq!(code, Some(3), "{op}: {out}");
        assert!(out.contains(op), "{op}: {out}");
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
