//! Mutation tests of uint8 image resizing on the `uint8_image_resize`
//! golden: dropping the rounding bias `2^(p−1)` of the fixed-point sum
//! (truncating instead of rounding) is a value failure at the first uint8
//! resize (the pipeline's bicubic crop), free-running and anchored; every uint8 resampling kernel
//! perturbed is caught and named.

use super::support::{
    assert_perturbed_ops_caught, replay, replay_anchored_with_fault, replay_with_fault,
};

const TRACE: &str = "uint8_image_resize.torch.ftr";

#[test]
fn the_uint8_image_resize_golden_matches_without_a_fault() {
    let (code, out) = replay(TRACE, None);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.lines().any(|l| l == "MATCH"), "{out}");
}

#[test]
fn truncating_uint8_resampling_is_caught_naming_the_op() {
    for (code, out) in [
        replay_with_fault(TRACE, "resample-u8-truncates"),
        replay_anchored_with_fault(TRACE, "resample-u8-truncates"),
    ] {
        assert_eq!(code, Some(3), "{out}");
        assert!(
            out.contains("drift starts at aten._upsample_bicubic2d_aa.default"),
            "{out}"
        );
    }
}

#[test]
fn perturbed_uint8_resampling_kernels_are_caught_and_named() {
    assert_perturbed_ops_caught(
        TRACE,
        &[
            "aten._upsample_bilinear2d_aa.default",
            "aten._upsample_bicubic2d_aa.default",
            "aten.upsample_bilinear2d.default",
            "aten.upsample_bicubic2d.default",
        ],
        "1",
    );
}
