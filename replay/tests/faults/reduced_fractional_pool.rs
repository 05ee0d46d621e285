//! Mutation test of half-precision fractional max pooling
//! (`reduced_fractional_pool`): ATen computes a bfloat16 / float16 plane's
//! window starts with every step rounded to the input's type and sums the
//! backward's gradients in that type. The runtime replays every forward
//! and backward bit for bit on PyTorch's inputs; computing the starts and
//! sums in float32 (`fractional-pool-reduced-in-float`) moves windows and
//! is a value failure at the first reduced pooling, both ways.

use super::support::{
    assert_drift_starts_at_both_ways, assert_replays_to_match, inexact_anchored_on,
};

const TRACE: &str = "reduced_fractional_pool.torch.ftr";
const FAULT: &str = "fractional-pool-reduced-in-float";

#[test]
fn the_corpus_program_matches_with_every_pooling_bit_identical() {
    assert_replays_to_match(TRACE);
    let inexact = inexact_anchored_on(TRACE, None);
    for op in [
        "aten.fractional_max_pool2d.default",
        "aten.fractional_max_pool2d_backward.default",
        "aten.fractional_max_pool3d.default",
        "aten.fractional_max_pool3d_backward.default",
    ] {
        assert!(inexact.get(op).is_none(), "{op}: {inexact}");
    }
}

#[test]
fn window_starts_in_float_fail_at_the_first_reduced_pooling() {
    assert_drift_starts_at_both_ways(TRACE, FAULT, "aten.fractional_max_pool2d.default");
}
