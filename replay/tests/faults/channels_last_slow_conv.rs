//! Mutation test of the weight-gradient layout of channels-last
//! convolutions on PyTorch's `Slow2d` loops (`channels_last_slow_conv_grads`:
//! a float64 ConvNeXt block whose pointwise convolutions see permuted-back
//! NHWC activations, and a batch-one float32 inverted residual): a
//! contiguous `(O, C, 1, 1)` weight keeps a contiguous gradient there, and
//! a runtime that returns it channels-last as oneDNN does diverges at the
//! first pointwise convolution's backward, free-running and anchored.

use super::support::assert_first_dispatch_change_both_ways;

const TRACE: &str = "channels_last_slow_conv_grads.torch.ftr";
const FAULT: &str = "conv-slow2d-channels-last-weight-grad";

#[test]
fn a_channels_last_pointwise_weight_grad_diverges_at_the_convolution_backward() {
    assert_first_dispatch_change_both_ways(
        TRACE,
        FAULT,
        &[
            "expected seq 224",
            "aten.convolution_backward.default",
            "ConvolutionBackward0",
        ],
    );
}
