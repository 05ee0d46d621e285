//! Mutation test of the float16 convolution backend a trace records
//! (`half_conv_onednn_upsampler`, captured where PyTorch runs float16
//! convolutions on oneDNN and META says `float16_conv_onednn=true`): a
//! replay that ignores it and rounds once per batch sample's GEMM on the
//! `Slow2d` loops is caught at the first convolution, free-running and
//! anchored.

use super::support::{replay_anchored_with_fault, replay_with_fault, value_failures};

const TRACE: &str = "half_conv_onednn_upsampler.torch.ftr";

#[test]
fn slow2d_rounding_on_a_onednn_trace_is_caught_at_the_first_convolution() {
    for anchored in [false, true] {
        let fault = "half-conv-ignores-onednn";
        let (code, out) = if anchored {
            replay_anchored_with_fault(TRACE, fault)
        } else {
            replay_with_fault(TRACE, fault)
        };
        assert_eq!(code, Some(3), "anchored={anchored}: {out}");
        let failures = value_failures(&out);
        assert!(
            failures
                .first()
                .is_some_and(|l| l.contains("aten.convolution.default output 0")),
            "anchored={anchored}: {out}"
        );
    }
}
