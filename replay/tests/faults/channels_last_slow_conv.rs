//! Mutation test of the weight-gradient layout of channels-last
//! convolutions on PyTorch's `Slow2d` loops (`channels_last_slow_conv_grads`:
//! a float64 ConvNeXt block whose pointwise convolutions see permuted-back
//! NHWC activations, and a batch-one float32 inverted residual): a
//! contiguous `(O, C, 1, 1)` weight keeps a contiguous gradient there, and
//! a runtime that returns it channels-last as oneDNN does diverges at the
//! first pointwise convolution's backward, free-running and anchored.

use super::support::{replay_anchored_with_fault, replay_with_fault};

const TRACE: &str = "channels_last_slow_conv_grads.torch.ftr";
const FAULT: &str = "conv-slow2d-channels-last-weight-grad";

#[test]
fn a_channels_last_pointwise_weight_grad_diverges_at_the_convolution_backward() {
    for (code, out) in [
        replay_with_fault(TRACE, FAULT),
        replay_anchored_with_fault(TRACE, FAULT),
    ] {
        assert_eq!(code, Some(1), "{out}");
        let first = out
            .lines()
            .find(|l| l.contains("[dispatch changed]"))
            .unwrap_or_default();
        assert!(
            first.contains("expected seq 224")
                && first.contains("aten.convolution_backward.default")
                && first.contains("ConvolutionBackward0"),
            "{out}"
        );
    }
}
