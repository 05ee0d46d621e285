//! Mutation test of float16 convolution arithmetic, on the
//! `half_conv_training` golden: PyTorch's CPU runs a float16 convolution's
//! GEMMs one batch sample at a time and rounds each to float16 (the input
//! gradient at every col2im addition, the weight gradient once per sample),
//! and a runtime that sums in f64 and rounds once is named at the first
//! convolution backward.

use super::support::{replay_anchored_with_fault, replay_with_fault, value_failures};

const TRACE: &str = "half_conv_training.torch.ftr";

#[test]
fn one_rounding_per_convolution_is_caught_at_the_first_backward_both_ways() {
    for anchored in [false, true] {
        let (code, out) = if anchored {
            replay_anchored_with_fault(TRACE, "half-conv-float-accumulation")
        } else {
            replay_with_fault(TRACE, "half-conv-float-accumulation")
        };
        assert_eq!(code, Some(3), "anchored={anchored}: {out}");
        let failures = value_failures(&out);
        assert!(
            failures.first().is_some_and(|l| {
                l.contains("aten.convolution_backward.default output 0 (expected seq 286")
            }),
            "anchored={anchored}: {out}"
        );
    }
}
