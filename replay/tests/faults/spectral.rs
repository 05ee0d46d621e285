//! Mutation tests of the spectral decompositions (`spectral_pca_lowrank`):
//! the gauge alignment accepts PyTorch's singular/eigen vectors up to sign
//! and rotation only, so a `U` column negated without its `Vh` row, and
//! eigenvalues returned descending (still an eigendecomposition, not
//! PyTorch's), are value failures naming the operator, free-running and
//! anchored; perturbed kernels of the family are value failures naming
//! the operator; misnamed backward nodes are graph divergences.

use super::support::{
    assert_perturbed_ops_caught, assert_renamed_nodes_caught, replay_anchored_with_fault,
    replay_with_fault,
};

const SPECTRAL: &str = "spectral_pca_lowrank.torch.ftr";

/// Runs `fault` free-running and anchored: both exit 3 naming `op`.
fn caught_and_named(fault: &str, op: &str) {
    let (code, out) = replay_with_fault(SPECTRAL, fault);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains(&format!("drift starts at {op}")), "{out}");
    assert!(
        out.contains("run on PyTorch's inputs (anchored) it still fails"),
        "{out}"
    );
    let (code, out) = replay_anchored_with_fault(SPECTRAL, fault);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("mode:     anchored"), "{out}");
    assert!(out.contains(&format!("drift starts at {op}")), "{out}");
}

#[test]
fn a_left_singular_vector_negated_without_its_right_one_is_caught() {
    caught_and_named("svd-u-sign-without-vh", "aten._linalg_svd.default");
}

#[test]
fn eigenvalues_in_descending_order_are_caught() {
    caught_and_named("eigh-values-descending", "aten._linalg_eigh.default");
}

#[test]
fn perturbed_spectral_kernels_are_value_failures_naming_the_op() {
    assert_perturbed_ops_caught(
        SPECTRAL,
        &[
            "aten._linalg_svd.default",
            "aten._linalg_eigh.default",
            "aten.linalg_pinv.atol_rtol_tensor",
            "aten.diagonal_scatter.default",
        ],
        "0.01",
    );
}

#[test]
fn misnamed_spectral_backward_nodes_are_graph_divergences() {
    assert_renamed_nodes_caught(
        SPECTRAL,
        &[
            "LinalgSvdBackward0",
            "LinalgEighBackward0",
            "LinalgPinvBackward0",
        ],
    );
}
