//! Mutation tests of bicubic resampling on the `reduced_bicubic_resize`
//! golden (a bfloat16 ViT whose permuted position-embedding grid and input
//! images are resized bicubically, and a float16 eval resize):
//!
//! * weights applied in float instead of stored in the tensor's dtype are
//!   caught at the first bfloat16 downscale, free-running and anchored;
//! * a channels-last bicubic backward (the nearest and linear modes'
//!   layout) diverges at the position grid's UpsampleBicubic2DBackward0.

use super::support::{replay_anchored_with_fault, replay_with_fault, value_failures};

const TRACE: &str = "reduced_bicubic_resize.torch.ftr";

#[test]
fn float_weights_are_caught_at_the_first_bfloat16_downscale() {
    for anchored in [false, true] {
        let fault = "bicubic-reduced-weights-in-float";
        let (code, out) = if anchored {
            replay_anchored_with_fault(TRACE, fault)
        } else {
            replay_with_fault(TRACE, fault)
        };
        assert_eq!(code, Some(3), "anchored={anchored}: {out}");
        let failures = value_failures(&out);
        assert!(
            failures.first().is_some_and(|l| {
                l.contains("aten.upsample_bicubic2d.default output 0 (expected seq 70")
            }),
            "anchored={anchored}: {out}"
        );
    }
}

#[test]
fn a_channels_last_bicubic_backward_diverges_at_its_node() {
    for (code, out) in [
        replay_with_fault(TRACE, "bicubic-backward-channels-last"),
        replay_anchored_with_fault(TRACE, "bicubic-backward-channels-last"),
    ] {
        assert_eq!(code, Some(1), "{out}");
        let first = out
            .lines()
            .find(|l| l.contains("[dispatch changed]"))
            .unwrap_or_default();
        assert!(
            first.contains("expected seq 185")
                && first.contains("aten.upsample_bicubic2d_backward.default")
                && first.contains("UpsampleBicubic2DBackward0"),
            "{out}"
        );
    }
}
