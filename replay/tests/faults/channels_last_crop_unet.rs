//! Mutation tests on the `channels_last_crop_unet` golden (a channels-last
//! U-Net whose skips are center-cropped views and whose split block pools
//! a channel chunk, then a bfloat16 step with two refusals):
//!
//! * pooling kernels that take only exactly dense NHWC strides as
//!   channels-last return a contiguous result for the chunked half's
//!   `avg_pool2d`, a dispatch change there;
//! * antialiased resampling that computes bfloat16 where PyTorch refuses it,
//!   and 3-d average pooling (LocalResponseNorm) that does the same, each
//!   diverge at the recorded NotImplementedError.

use super::support::assert_first_dispatch_change_both_ways;

const TRACE: &str = "channels_last_crop_unet.torch.ftr";

#[test]
fn exact_stride_channels_last_pooling_diverges_at_the_chunk_pooling() {
    assert_first_dispatch_change_both_ways(
        TRACE,
        "pool-exact-channels-last",
        &["expected seq 168", "aten.avg_pool2d.default"],
    );
}

#[test]
fn a_bfloat16_antialiased_resize_is_caught_at_its_refusal() {
    assert_first_dispatch_change_both_ways(
        TRACE,
        "antialias-reduced-float",
        &[
            "aten._upsample_bilinear2d_aa.default",
            "\"compute_index_ranges_weights\" not implemented for 'BFloat16'",
        ],
    );
}

#[test]
fn a_bfloat16_local_response_norm_is_caught_at_its_average_pooling() {
    assert_first_dispatch_change_both_ways(
        TRACE,
        "avg-pool3d-reduced-float",
        &[
            "aten.avg_pool3d.default",
            "\"avg_pool3d_out_frame\" not implemented for 'BFloat16'",
        ],
    );
}
