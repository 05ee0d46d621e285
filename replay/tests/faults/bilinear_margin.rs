//! Mutation tests of the bilinear form and the multi-class hinge loss
//! (`bilinear_margin`): a negated `multi_margin_loss_backward` is a value
//! failure naming the operator, caught anchored too; perturbed `_trilinear`
//! (forward and the backward's calls) and `multi_margin_loss` kernels are
//! value failures naming the operator.

use super::support::{replay_perturbed, replay_with_fault};

const TRACE: &str = "bilinear_margin.torch.ftr";

#[test]
fn a_negated_multi_margin_backward_is_caught_and_named() {
    let (code, out) = replay_with_fault(TRACE, "multi-margin-wrong-sign");
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten.multi_margin_loss_backward.default"),
        "{out}"
    );
    assert!(
        out.contains("run on PyTorch's inputs (anchored) it still fails"),
        "{out}"
    );
}

#[test]
fn perturbed_bilinear_and_margin_kernels_are_value_failures_naming_the_op() {
    for op in ["aten._trilinear.default", "aten.multi_margin_loss.default"] {
        let (code, out) = replay_perturbed(TRACE, op, "0.01");
        assert_eq!(code, Some(3), "{op}: {out}");
        assert!(out.contains(&format!("drift starts at {op}")), "{out}");
    }
}
