//! Mutation tests on the `volume_channels_last_3d` golden (a 3-d
//! segmentation net trained in `channels_last_3d`): each kernel that gets
//! the NDHWC layout wrong diverges at its first call, free-running and
//! anchored —
//!
//! * oneDNN 3-d convolutions returning contiguous results, at the first
//!   `Conv3d` (after its replicate padding);
//! * 3-d max pooling returning contiguous values and indices, at
//!   `MaxPool3d`;
//! * the nearest 3-d upsampling backward following the NDHWC gradient,
//!   at its UpsampleNearest3DBackward0;
//! * bfloat16 3-d average pooling computed instead of refused, at the
//!   recorded NotImplementedError;
//! * a bfloat16 adaptive average pooling summed in float64 and divided
//!   once (PyTorch sums and divides in bfloat16, step by step), a value
//!   failure at the pooling.

use super::support::{assert_drift_starts_at_both_ways, assert_first_dispatch_change_both_ways};

const TRACE: &str = "volume_channels_last_3d.torch.ftr";

#[test]
fn contiguous_onednn_conv3d_results_diverge_at_the_first_convolution() {
    assert_first_dispatch_change_both_ways(
        TRACE,
        "conv3d-contiguous-channels-last",
        &["expected seq 109", "aten.convolution.default"],
    );
}

#[test]
fn contiguous_max_pool3d_results_diverge_at_the_pooling() {
    assert_first_dispatch_change_both_ways(
        TRACE,
        "max-pool3d-contiguous",
        &["expected seq 120", "aten.max_pool3d_with_indices.default"],
    );
}

#[test]
fn a_channels_last_nearest3d_backward_diverges_at_its_node() {
    assert_first_dispatch_change_both_ways(
        TRACE,
        "nearest3d-backward-channels-last",
        &[
            "aten.upsample_nearest3d_backward.default",
            "UpsampleNearest3DBackward0",
        ],
    );
}

#[test]
fn a_bfloat16_average_pooling_is_caught_at_its_refusal() {
    assert_first_dispatch_change_both_ways(
        TRACE,
        "avg-pool3d-reduced-float",
        &[
            "aten.avg_pool3d.default",
            "\"avg_pool3d_out_frame\" not implemented for 'BFloat16'",
        ],
    );
}

#[test]
fn a_bfloat16_adaptive_average_summed_in_double_is_caught_at_the_pooling() {
    assert_drift_starts_at_both_ways(
        TRACE,
        "adaptive-avg-pool3d-reduced-in-f64",
        "aten._adaptive_avg_pool3d.default",
    );
}
