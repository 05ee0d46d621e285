//! Mutation tests of bicubic resampling on the `reduced_bicubic_resize`
//! golden (a bfloat16 ViT whose permuted position-embedding grid and input
//! images are resized bicubically, and a float16 eval resize):
//!
//! * weights applied in float instead of stored in the tensor's dtype are
//!   caught at the first bfloat16 downscale, free-running and anchored;
//! * a channels-last bicubic backward (the nearest and linear modes'
//!   layout) diverges at the position grid's UpsampleBicubic2DBackward0.

use super::support::{assert_first_dispatch_change_both_ways, assert_first_value_failure};

const TRACE: &str = "reduced_bicubic_resize.torch.ftr";

#[test]
fn float_weights_are_caught_at_the_first_bfloat16_downscale() {
    assert_first_value_failure(
        TRACE,
        "bicubic-reduced-weights-in-float",
        &[3],
        "aten.upsample_bicubic2d.default output 0 (expected seq 70",
    );
}

#[test]
fn a_channels_last_bicubic_backward_diverges_at_its_node() {
    assert_first_dispatch_change_both_ways(
        TRACE,
        "bicubic-backward-channels-last",
        &[
            "expected seq 185",
            "aten.upsample_bicubic2d_backward.default",
            "UpsampleBicubic2DBackward0",
        ],
    );
}
