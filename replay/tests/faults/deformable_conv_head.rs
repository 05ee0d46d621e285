//! Mutation tests of `deformable_conv_head` (torchvision's deformable
//! convolution, DCNv2 with a mask and DCNv1 without, trained three SGD
//! steps): bilinear sampling with the low and high weights swapped is
//! caught at the first `torchvision.deform_conv2d`, free running and on
//! PyTorch's own inputs, where its backward fails too.

use super::support::{assert_replays_to_match, replay_anchored_with_fault, replay_with_fault};

const TRACE: &str = "deformable_conv_head.torch.ftr";
const DEFORM_CONV: &str = "torchvision.deform_conv2d.default";

#[test]
fn the_corpus_program_matches() {
    assert_replays_to_match(TRACE);
}

#[test]
fn swapped_bilinear_weights_are_caught_at_the_first_deform_conv2d() {
    let (code, out) = replay_with_fault(TRACE, "deform-conv-bilinear-swapped");
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains(&format!("drift starts at {DEFORM_CONV}")),
        "{out}"
    );
    let (code, out) = replay_anchored_with_fault(TRACE, "deform-conv-bilinear-swapped");
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains(&format!("drift starts at {DEFORM_CONV}")),
        "{out}"
    );
    assert!(
        out.contains("torchvision._deform_conv2d_backward.default"),
        "{out}"
    );
}
