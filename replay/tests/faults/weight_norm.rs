//! Mutation tests of weight normalisation (`weight_norm_tcn`): a backward
//! that drops `grad_v`'s projection term, or a perturbed forward, is a value
//! failure naming the operator, caught anchored too; the whole-tensor norm
//! (`norm.Scalar`) perturbed is caught where the `dim=None` layer uses it.

use super::support::{replay_perturbed, replay_with_fault};

const TRACE: &str = "weight_norm_tcn.torch.ftr";

#[test]
fn a_backward_without_the_projection_term_is_caught_and_named() {
    let (code, out) = replay_with_fault(TRACE, "weight-norm-no-projection");
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten._weight_norm_interface_backward.default"),
        "{out}"
    );
    assert!(
        out.contains("run on PyTorch's inputs (anchored) it still fails"),
        "{out}"
    );
}

#[test]
fn perturbed_weight_norm_kernels_are_value_failures_naming_the_op() {
    for op in ["aten._weight_norm_interface.default", "aten.norm.Scalar"] {
        let (code, out) = replay_perturbed(TRACE, op, "0.01");
        assert_eq!(code, Some(3), "{op}: {out}");
        assert!(out.contains(&format!("drift starts at {op}")), "{out}");
    }
}
