//! Mutation tests of the matrix decompositions and solves
//! (`orthogonal_policy`, `linalg_gaussian`): QR with the opposite
//! Householder sign convention (Q's columns and R's rows negated) and a
//! right-side triangular solve with the factor left untransposed (the last
//! step of every Cholesky and QR gradient) are value failures naming the
//! operator, free-running and anchored; perturbed kernels of the whole
//! family (and spectral norm's `vdot` and `div.out`) are value failures
//! naming the operator.

use super::support::{replay_anchored_with_fault, replay_perturbed, replay_with_fault};

const POLICY: &str = "orthogonal_policy.torch.ftr";
const GAUSSIAN: &str = "linalg_gaussian.torch.ftr";

/// Runs `fault` on `trace` free-running and anchored: both exit 3 naming `op`.
fn caught_and_named(trace: &str, fault: &str, op: &str) {
    let (code, out) = replay_with_fault(trace, fault);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains(&format!("drift starts at {op}")), "{out}");
    assert!(
        out.contains("run on PyTorch's inputs (anchored) it still fails"),
        "{out}"
    );
    let (code, out) = replay_anchored_with_fault(trace, fault);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("mode:     anchored"), "{out}");
    assert!(out.contains(&format!("drift starts at {op}")), "{out}");
}

#[test]
fn qr_with_the_opposite_householder_sign_is_caught_in_orthogonal_init() {
    caught_and_named(POLICY, "qr-sign-flipped", "aten.linalg_qr.default");
}

#[test]
fn an_untransposed_factor_in_the_cholesky_gradient_is_caught_and_named() {
    caught_and_named(
        GAUSSIAN,
        "solve-triangular-right-transposed",
        "aten.linalg_solve_triangular.default",
    );
}

#[test]
fn an_untransposed_factor_in_the_qr_gradient_is_caught_and_named() {
    caught_and_named(
        POLICY,
        "solve-triangular-right-transposed",
        "aten.linalg_solve_triangular.default",
    );
}

#[test]
fn perturbed_decomposition_kernels_are_value_failures_naming_the_op() {
    for (trace, op) in [
        (GAUSSIAN, "aten.linalg_cholesky_ex.default"),
        (GAUSSIAN, "aten.cholesky_solve.default"),
        (GAUSSIAN, "aten.linalg_solve_triangular.default"),
        (POLICY, "aten.linalg_qr.default"),
        (POLICY, "aten._linalg_solve_ex.default"),
        (POLICY, "aten.linalg_inv_ex.default"),
        (POLICY, "aten._linalg_det.default"),
        (POLICY, "aten._linalg_slogdet.default"),
        (POLICY, "aten.linalg_lu_solve.default"),
        (POLICY, "aten.vdot.default"),
        (POLICY, "aten.div.out"),
    ] {
        let (code, out) = replay_perturbed(trace, op, "0.01");
        assert_eq!(code, Some(3), "{op}: {out}");
        assert!(out.contains(&format!("drift starts at {op}")), "{out}");
    }
}
