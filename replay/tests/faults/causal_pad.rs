//! Mutation test of the constant pad that only crops (ConstantPadNdBackward0
//! of `F.pad`) on the `causal_pad_batch_one` golden: PyTorch narrows and
//! clones, keeping the gradient's strides where the crop is dense.

use super::support::assert_first_dispatch_change_both_ways;

const TRACE: &str = "causal_pad_batch_one.torch.ftr";

#[test]
fn a_contiguous_crop_is_caught_at_the_pad_backward() {
    assert_first_dispatch_change_both_ways(
        TRACE,
        "contiguous-pad-crop",
        &[
            "aten.constant_pad_nd.default",
            "ConstantPadNdBackward0",
            "s[150, 6, 1]",
        ],
    );
}
