//! Mutation test of the constant pad that only crops (ConstantPadNdBackward0
//! of `F.pad`) on the `causal_pad_batch_one` golden: PyTorch narrows and
//! clones, keeping the gradient's strides where the crop is dense.

use super::support::{replay_anchored_with_fault, replay_with_fault};

const TRACE: &str = "causal_pad_batch_one.torch.ftr";

#[test]
fn a_contiguous_crop_is_caught_at_the_pad_backward() {
    for (code, out) in [
        replay_with_fault(TRACE, "contiguous-pad-crop"),
        replay_anchored_with_fault(TRACE, "contiguous-pad-crop"),
    ] {
        assert_eq!(code, Some(1), "{out}");
        let first = out
            .lines()
            .find(|l| l.contains("[dispatch changed]"))
            .unwrap_or_default();
        assert!(
            first.contains("aten.constant_pad_nd.default")
                && first.contains("ConstantPadNdBackward0")
                && first.contains("s[150, 6, 1]"),
            "{out}"
        );
    }
}
