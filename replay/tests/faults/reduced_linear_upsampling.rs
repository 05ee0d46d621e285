//! Mutation tests of bfloat16 / float16 linear upsampling on the
//! `reduced_linear_upsampling` golden (a bfloat16 audio upsampler, a
//! float16 decoder's bilinear resizes on both of PyTorch's kernels, a
//! bfloat16 trilinear video resize):
//!
//! * corners summed in double with unrounded weights, instead of the
//!   generic kernel's weights stored in the dtype and the channels-last
//!   kernel's fused float sums, fail at the first bfloat16 `linear`
//!   resize, free-running and anchored;
//! * a backward accumulated in double instead of PyTorch's float buffer
//!   leaves the float16 bilinear gradient of the large resize a bit off:
//!   caught anchored when float16 must be bit-exact, while the clean
//!   replay is bit-identical everywhere.

use super::support::{assert_first_value_failure, inexact_anchored_on, replay_anchored_bit_exact};

const TRACE: &str = "reduced_linear_upsampling.torch.ftr";

#[test]
fn double_corner_sums_are_caught_at_the_first_bfloat16_resize() {
    assert_first_value_failure(
        TRACE,
        "upsample-linear-reduced-in-double",
        &[3],
        "aten.upsample_linear1d.default output 0 (expected seq 50",
    );
}

#[test]
fn a_double_backward_accumulation_is_caught_bit_exact() {
    let fault = "upsample-linear-backward-reduced-in-double";
    let (code, out) = replay_anchored_bit_exact(TRACE, "float16", Some(fault));
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("aten.upsample_bilinear2d_backward.default output 0 (expected seq 354"),
        "{out}"
    );
    let (code, out) = replay_anchored_bit_exact(TRACE, "float16", None);
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn the_clean_replay_is_bit_identical_on_pytorch_inputs() {
    let inexact = inexact_anchored_on(TRACE, None);
    assert!(
        inexact.as_object().is_none_or(|m| m.is_empty()),
        "{inexact}"
    );
}
