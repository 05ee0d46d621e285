//! Mutation tests of the transposed 3-d convolution (`unet3d_segmentation`):
//! a kernel that leaves out `output_padding`'s trailing planes (computing
//! the output without them and padding with the bias) is a value failure
//! at the V-Net-style upsampling, free-running and anchored; a perturbed
//! convolution is caught.

use super::support::{replay_anchored_with_fault, replay_perturbed, replay_with_fault};

const TRACE: &str = "unet3d_segmentation.torch.ftr";
const OP: &str = "aten.convolution.default";

#[test]
fn a_transposed_convolution_dropping_output_padding_is_caught_and_named() {
    let fault = "conv-transpose3d-drops-output-padding";
    let (code, out) = replay_with_fault(TRACE, fault);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains(&format!("drift starts at {OP}")), "{out}");
    let (code, out) = replay_anchored_with_fault(TRACE, fault);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains(&format!("drift starts at {OP}")), "{out}");
}

#[test]
fn a_perturbed_transposed_convolution_backward_is_a_value_failure_naming_it() {
    let op = "aten.convolution_backward.default";
    let (code, out) = replay_perturbed(TRACE, op, "0.01");
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains(&format!("drift starts at {op}")), "{out}");
}
