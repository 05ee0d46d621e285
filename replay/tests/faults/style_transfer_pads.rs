//! Mutation test of the padding backward kernels on the
//! `style_transfer_pads` golden: the gradients a padded border sends back
//! to one input element must be added in the gradient's dtype, in the
//! padded output's order, as PyTorch's `cpu_padding_backward` adds them.

use super::support::{assert_anchored_value_failures, replay_with_fault, value_failures};

const TRACE: &str = "style_transfer_pads.torch.ftr";
const FAULT: &str = "pad-backward-sums-in-double";

#[test]
fn pad_gradients_summed_in_double_are_caught_anchored() {
    assert_anchored_value_failures(
        TRACE,
        FAULT,
        "aten.reflection_pad2d_backward.default output 0",
        &[],
        "_pad",
    );
}

#[test]
fn pad_gradients_summed_in_double_are_caught_free_running() {
    let (code, out) = replay_with_fault(TRACE, FAULT);
    assert_eq!(code, Some(3), "{out}");
    // Free-running the style loss's drift shows first; the report names the
    // pad backward as the operator that is wrong on PyTorch's inputs.
    assert!(
        out.contains("the first at aten.reflection_pad2d_backward.default"),
        "{out}"
    );
}

#[test]
fn wrong_pad_backward_kernels_are_named_anchored() {
    for op in [
        "aten.reflection_pad1d_backward.default",
        "aten.replication_pad1d_backward.default",
        "aten.replication_pad2d_backward.default",
        "aten.reflection_pad3d_backward.default",
        "aten.replication_pad3d_backward.default",
    ] {
        let (code, out) =
            super::support::replay_anchored_with_fault(TRACE, &format!("perturb={op}:0.5"));
        assert_eq!(code, Some(3), "{op}: {out}");
        assert!(
            value_failures(&out)
                .first()
                .is_some_and(|l| l.contains(&format!("{op} output 0"))),
            "{op}: {out}"
        );
    }
}
