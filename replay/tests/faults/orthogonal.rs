//! Mutation tests of the orthogonal parametrizations, the matrix
//! exponential and the Householder family (`orthogonal_flows`): a negated
//! `geqrf` tau, reflectors multiplied in the wrong order, an `ormqr` that
//! ignores `transpose`, a matrix exponential that skips its squaring, an
//! in-place triangle that ignores its offset, perturbed kernels and
//! misnamed nodes are caught and named, free-running and anchored.

use super::support::{
    assert_perturbed_ops_caught, assert_renamed_nodes_caught, replay, replay_anchored_with_fault,
    replay_with_fault,
};

const TRACE: &str = "orthogonal_flows.torch.ftr";

#[test]
fn the_orthogonal_golden_matches_free_running_and_anchored() {
    let (code, out) = replay(TRACE, None);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("MATCH"), "{out}");
    // anchored: a zero perturbation changes nothing
    let (code, out) = replay_anchored_with_fault(TRACE, "perturb=aten.linalg_matrix_exp.default:0");
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn broken_householder_and_exponential_kernels_are_caught_and_named() {
    for (fault, op) in [
        ("geqrf-tau-negated", "aten.geqrf.default"),
        (
            "householder-product-reversed",
            "aten.linalg_householder_product.default",
        ),
        ("ormqr-ignores-transpose", "aten.ormqr.default"),
        (
            "matrix-exp-skips-squaring",
            "aten.linalg_matrix_exp.default",
        ),
        ("triangle-inplace-ignores-offset", "aten.tril_.default"),
    ] {
        for (code, out) in [
            replay_with_fault(TRACE, fault),
            replay_anchored_with_fault(TRACE, fault),
        ] {
            assert_eq!(code, Some(3), "{fault}: {out}");
            assert!(
                out.contains(&format!("drift starts at {op}")),
                "{fault}: {out}"
            );
        }
    }
}

#[test]
fn perturbed_orthogonal_kernels_are_value_failures_naming_the_op() {
    assert_perturbed_ops_caught(
        TRACE,
        &[
            "aten.geqrf.default",
            "aten.linalg_householder_product.default",
            "aten.ormqr.default",
            "aten.linalg_matrix_exp.default",
            "aten.tril_.default",
            "aten.triu_.default",
        ],
        "0.01",
    );
}

#[test]
fn misnamed_orthogonal_nodes_are_graph_divergences() {
    assert_renamed_nodes_caught(
        TRACE,
        &[
            "LinalgMatrixExpBackward0",
            "LinalgHouseholderProductBackward0",
        ],
    );
}
