//! Mutation tests of `torch.linalg.ldl_factor` (`kkt_ldl_solve`): a
//! factorization without Bunch-Kaufman's interchanges (every pivot 1×1 in
//! place) is a value failure at the first matrix that needs a pivot,
//! free-running and anchored; a perturbed `linalg_ldl_solve` is caught at
//! the first KKT step.

use super::support::{replay_anchored_with_fault, replay_perturbed, replay_with_fault};

const TRACE: &str = "kkt_ldl_solve.torch.ftr";
const FACTOR: &str = "aten.linalg_ldl_factor_ex.default";

#[test]
fn a_factorization_without_pivoting_is_caught_and_named() {
    let fault = "ldl-factor-without-pivoting";
    let (code, out) = replay_with_fault(TRACE, fault);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains(&format!("drift starts at {FACTOR}")), "{out}");
    assert!(
        out.contains("run on PyTorch's inputs (anchored) it still fails"),
        "{out}"
    );
    let (code, out) = replay_anchored_with_fault(TRACE, fault);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains(&format!("drift starts at {FACTOR}")), "{out}");
}

#[test]
fn a_perturbed_ldl_solve_is_named() {
    let op = "aten.linalg_ldl_solve.default";
    let (code, out) = replay_perturbed(TRACE, op, "0.01");
    assert_ne!(code, Some(0), "{out}");
    assert!(out.contains(op), "{out}");
}
