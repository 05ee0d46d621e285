//! Mutation tests of the float16 transposed convolution on the
//! `half_conv_decoder` golden: PyTorch adds the float16 columns into the
//! plane one rounded addition at a time, so a kernel that sums in float64
//! and rounds once must be caught at the transposed convolutions.

use super::support::{assert_anchored_value_failures, replay_with_fault};

const TRACE: &str = "half_conv_decoder.torch.ftr";
const FAULT: &str = "half-conv-scatter-in-double";

#[test]
fn once_rounded_scatter_is_caught_anchored_at_the_convolutions() {
    assert_anchored_value_failures(
        TRACE,
        FAULT,
        "aten.convolution.default output 0",
        &[],
        "aten.convolution",
    );
}

#[test]
fn once_rounded_scatter_is_caught_free_running() {
    let (code, out) = replay_with_fault(TRACE, FAULT);
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten.convolution.default"),
        "{out}"
    );
}
