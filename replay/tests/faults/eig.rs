//! Mutation tests of the nonsymmetric eigendecomposition
//! (`eig_stability_regularizer`): a complex eigenvector pair left without
//! `geev`'s rotation that makes its largest component real is still a set
//! of unit eigenvectors, not PyTorch's, and is a value failure naming
//! `linalg_eig`, free-running and anchored; perturbed kernels are value
//! failures naming the operator; a misnamed backward node is a graph
//! divergence.

use super::support::{
    assert_perturbed_ops_caught, assert_renamed_nodes_caught, replay_anchored_with_fault,
    replay_with_fault,
};

const EIG: &str = "eig_stability_regularizer.torch.ftr";

#[test]
fn eigenvectors_without_the_phase_rotation_are_caught() {
    let (code, out) = replay_with_fault(EIG, "eig-unnormalised-vectors");
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten.linalg_eig.default"),
        "{out}"
    );
    let (code, out) = replay_anchored_with_fault(EIG, "eig-unnormalised-vectors");
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("mode:     anchored"), "{out}");
    assert!(
        out.contains("drift starts at aten.linalg_eig.default"),
        "{out}"
    );
}

#[test]
fn perturbed_eig_kernels_are_value_failures_naming_the_op() {
    assert_perturbed_ops_caught(
        EIG,
        &["aten.linalg_eig.default", "aten._linalg_solve_ex.default"],
        "0.01",
    );
}

#[test]
fn a_misnamed_eig_backward_node_is_a_graph_divergence() {
    assert_renamed_nodes_caught(EIG, &["LinalgEigBackward0"]);
}
