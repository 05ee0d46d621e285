//! Mutation tests of the tensor utilities (`tensor_utilities`): a cross
//! product with its sign flipped is a value failure naming `linalg_cross`,
//! free-running and anchored; perturbed `trace`, `rot90`, `nansum` and
//! `block_diag`
//! kernels are value failures naming the operator; a misnamed
//! AminmaxBackward0 is a graph divergence.

use super::support::{replay, replay_anchored_with_fault, replay_perturbed, replay_with_fault};

const TRACE: &str = "tensor_utilities.torch.ftr";

#[test]
fn a_cross_product_with_its_sign_flipped_is_caught_and_named() {
    let (code, out) = replay_with_fault(TRACE, "cross-sign-flipped");
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten.linalg_cross.default"),
        "{out}"
    );
    let (code, out) = replay_anchored_with_fault(TRACE, "cross-sign-flipped");
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("aten.linalg_cross.default"), "{out}");
}

#[test]
fn perturbed_utility_kernels_are_value_failures_naming_the_op() {
    for op in [
        "aten.trace.default",
        "aten.rot90.default",
        "aten.nansum.default",
        "aten.block_diag.default",
    ] {
        let (code, out) = replay_perturbed(TRACE, op, "0.01");
        assert_eq!(code, Some(3), "{op}: {out}");
        assert!(
            out.contains(&format!("drift starts at {op}")),
            "{op}: {out}"
        );
    }
}

#[test]
fn a_misnamed_aminmax_backward_is_a_graph_divergence() {
    let (code, out) = replay(TRACE, Some("rename-node=AminmaxBackward0:AmaxBackward0"));
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("AminmaxBackward0"), "{out}");
}
