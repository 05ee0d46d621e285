//! Mutation test of the float16 convolution backend a trace records
//! (`half_conv_onednn_upsampler`, captured where PyTorch runs float16
//! convolutions on oneDNN and META says `float16_conv_onednn` "1"): a
//! replay that ignores it and rounds once per batch sample's GEMM on the
//! `Slow2d` loops is caught at the first convolution, free-running and
//! anchored.

use super::support::assert_first_value_failure;

const TRACE: &str = "half_conv_onednn_upsampler.torch.ftr";

#[test]
fn slow2d_rounding_on_a_onednn_trace_is_caught_at_the_first_convolution() {
    assert_first_value_failure(
        TRACE,
        "half-conv-ignores-onednn",
        &[3],
        "aten.convolution.default output 0",
    );
}
