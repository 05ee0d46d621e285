//! Mutation tests of a detection head's float32 losses
//! (`box_regression_losses`). The smooth L1 and Huber gradients take
//! PyTorch's two loops (the vectorised one as `(norm · o) · g`, the scalar
//! tail with the double `beta`/`delta`), the multi-margin loss and its
//! gradient round every step to float32 (a class without a hinge holds
//! `0 · g`), and the mean/sum of a pointwise loss over column slices is the
//! cascade sum of the row-major loss tensor: on PyTorch's inputs all of them
//! are bit-identical, and each fault is listed at its operator.

use super::rounding_order::exact_unless;
use super::support::{assert_replays_to_match, inexact_anchored_on};

const TRACE: &str = "box_regression_losses.torch.ftr";

#[test]
fn the_losses_and_their_gradients_are_bit_identical() {
    assert_replays_to_match(TRACE);
    let clean = inexact_anchored_on(TRACE, None);
    for op in [
        "aten.smooth_l1_loss.default",
        "aten.smooth_l1_loss_backward.default",
        "aten.huber_loss.default",
        "aten.huber_loss_backward.default",
        "aten.multi_margin_loss.default",
        "aten.multi_margin_loss_backward.default",
        "aten.soft_margin_loss.default",
    ] {
        assert!(clean.get(op).is_none(), "{op} inexact: {clean}");
    }
}

#[test]
fn a_smooth_l1_gradient_in_one_loop_is_listed() {
    exact_unless(
        TRACE,
        "aten.smooth_l1_loss_backward.default",
        "smooth-l1-backward-one-loop",
        3,
        99,
    );
}

#[test]
fn half_type_huber_gradients_in_one_loop_are_listed() {
    // bfloat16/float16 Huber gradients of `reduced_robust_count_model`
    // round every operation to the dtype in both loops
    exact_unless(
        "reduced_robust_count_model.torch.ftr",
        "aten.huber_loss_backward.default",
        "smooth-l1-backward-one-loop",
        4,
        349,
    );
}

#[test]
fn a_multi_margin_loss_in_double_is_listed() {
    const FAULT: &str = "multi-margin-in-double";
    exact_unless(TRACE, "aten.multi_margin_loss.default", FAULT, 3, 48);
    exact_unless(
        TRACE,
        "aten.multi_margin_loss_backward.default",
        FAULT,
        3,
        90,
    );
}

#[test]
fn sliced_loss_reductions_summed_in_double_are_listed() {
    const FAULT: &str = "loss-cascade-contiguous-only";
    exact_unless(TRACE, "aten.huber_loss.default", FAULT, 3, 46);
    exact_unless(TRACE, "aten.smooth_l1_loss.default", FAULT, 2, 171);
}
