//! Mutation test on the `resnet_channels_last_1x1` golden: a ResNet of
//! torchvision `BasicBlock`s trained channels-last down to a 1×1 map. Its
//! BatchNorms there see NHWC inputs (contiguous too) and contiguous
//! gradients, for which PyTorch allocates `grad_input` NHWC. A runtime that
//! lays the gradient out as the forward's output (contiguous) changes the
//! strides the next convolution's backward is dispatched with.

use super::support::{assert_replays_to_match, replay_anchored_with_fault, replay_with_fault};

const TRACE: &str = "resnet_channels_last_1x1.torch.ftr";

#[test]
fn a_batch_norm_gradient_laid_out_like_the_output_is_a_dispatch_divergence() {
    for (code, out) in [
        replay_with_fault(TRACE, "batch-norm-grad-like-output"),
        replay_anchored_with_fault(TRACE, "batch-norm-grad-like-output"),
    ] {
        assert_eq!(code, Some(1), "{out}");
        assert!(out.contains("FAIL dispatch"), "{out}");
        assert!(
            out.contains("aten.native_batch_norm_backward.default"),
            "{out}"
        );
        assert!(out.contains("NativeBatchNormBackward0"), "{out}");
    }
}

#[test]
fn the_channels_last_resnet_replays_to_match() {
    assert_replays_to_match(TRACE);
}
