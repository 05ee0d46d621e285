//! Mutation tests on the `nan_step_activation_grads` golden: the backward
//! kernels whose vectorised and scalar CPU loops take a NaN input
//! differently (`hardtanh_backward`, the shrink backward, `elu_backward`,
//! `hardswish_backward`, `logit_backward` with eps) must follow each
//! element's loop; the scalar formula everywhere fails first at
//! `elu_backward`, free-running and anchored. `hardswish_backward` gives 0
//! at -3 and the gradient itself at 3, and bfloat16 `logit_backward`
//! compares with `eps` and `1 - eps` rounded to bfloat16; either one
//! changed fails that operator on PyTorch's inputs.

use super::support::{assert_anchored_value_failures, assert_replays_to_match, replay_with_fault};

const TRACE: &str = "nan_step_activation_grads.torch.ftr";

#[test]
fn the_corpus_program_matches() {
    assert_replays_to_match(TRACE);
}

#[test]
fn nan_gradients_from_the_scalar_loop_everywhere_are_caught() {
    let fault = "nan-grads-scalar-loop";
    let (code, out) = replay_with_fault(TRACE, fault);
    assert_ne!(code, Some(0), "{out}");
    assert!(
        out.contains("drift starts at aten.elu_backward.default"),
        "{out}"
    );
    assert_anchored_value_failures(
        TRACE,
        fault,
        "aten.elu_backward.default",
        &[
            "aten.softshrink_backward.default",
            "aten.hardshrink_backward.default",
            "aten.hardtanh_backward.default",
        ],
        "_backward.default",
    );
}

#[test]
fn a_hardswish_gradient_on_the_closed_range_is_caught() {
    let fault = "hardswish-backward-closed-range";
    let (code, out) = replay_with_fault(TRACE, fault);
    assert_ne!(code, Some(0), "{out}");
    assert_anchored_value_failures(
        TRACE,
        fault,
        "aten.hardswish_backward.default",
        &[],
        "aten.hardswish_backward.default",
    );
}

#[test]
fn bfloat16_logit_bounds_in_float_are_caught() {
    let fault = "logit-backward-bounds-in-float";
    let (code, out) = replay_with_fault(TRACE, fault);
    assert_ne!(code, Some(0), "{out}");
    assert_anchored_value_failures(
        TRACE,
        fault,
        "aten.logit_backward.default",
        &[],
        "aten.logit_backward.default",
    );
}
