//! Mutation tests of the CTC loss (`ctc_speech`): alpha and beta recursions
//! that jump over the blank between two equal labels, or a backward that
//! ignores `zero_infinity` (an impossible sample's NaN gradient kept), are
//! value failures naming the operator, free-running and anchored; perturbed
//! `_ctc_loss` and `_ctc_loss_backward` kernels are value failures naming
//! the operator.

use super::support::{replay_anchored_with_fault, replay_perturbed, replay_with_fault};

const TRACE: &str = "ctc_speech.torch.ftr";

/// Runs `fault` free-running and anchored: both exit 3 naming `op`.
fn caught_and_named(fault: &str, op: &str) {
    let (code, out) = replay_with_fault(TRACE, fault);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains(&format!("drift starts at {op}")), "{out}");
    assert!(
        out.contains("run on PyTorch's inputs (anchored) it still fails"),
        "{out}"
    );
    let (code, out) = replay_anchored_with_fault(TRACE, fault);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("mode:     anchored"), "{out}");
    assert!(out.contains(&format!("drift starts at {op}")), "{out}");
}

#[test]
fn skipping_the_blank_between_repeated_labels_is_caught_in_the_forward() {
    // The first batch's padded targets hold [1, 2, 2, 3].
    caught_and_named("ctc-skip-repeat-transition", "aten._ctc_loss.Tensor");
}

#[test]
fn a_backward_ignoring_zero_infinity_is_caught_and_named() {
    caught_and_named(
        "ctc-grad-ignores-zero-infinity",
        "aten._ctc_loss_backward.Tensor",
    );
}

#[test]
fn perturbed_ctc_kernels_are_value_failures_naming_the_op() {
    for op in [
        "aten._ctc_loss.Tensor",
        "aten._ctc_loss.default",
        "aten._ctc_loss_backward.Tensor",
        "aten._ctc_loss_backward.default",
    ] {
        let (code, out) = replay_perturbed(TRACE, op, "0.01");
        assert_eq!(code, Some(3), "{op}: {out}");
        assert!(out.contains(&format!("drift starts at {op}")), "{out}");
    }
}
