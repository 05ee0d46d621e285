//! Mutation tests of the LU family (`lu_factor_flow`): pivots chosen as the
//! first nonzero element of each column instead of LAPACK's largest (still
//! a factorization of `A`, not PyTorch's) are a value failure at the flow's
//! first `linalg_lu_factor_ex`, free-running and anchored; perturbed
//! `linalg_lu` and `linalg_lu_solve` kernels are value failures naming them.

use super::support::{replay_anchored_with_fault, replay_perturbed, replay_with_fault};

const TRACE: &str = "lu_factor_flow.torch.ftr";

#[test]
fn pivots_chosen_without_the_max_are_caught_at_the_first_factorization() {
    let (op, fault) = ("aten.linalg_lu_factor_ex.default", "lu-pivot-without-max");
    let (code, out) = replay_with_fault(TRACE, fault);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains(&format!("drift starts at {op}")), "{out}");
    assert!(
        out.contains("run on PyTorch's inputs (anchored) it still fails"),
        "{out}"
    );
    let (code, out) = replay_anchored_with_fault(TRACE, fault);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains(&format!("drift starts at {op}")), "{out}");
}

#[test]
fn perturbed_lu_kernels_are_value_failures_naming_them() {
    for op in ["aten.linalg_lu.default", "aten.linalg_lu_solve.default"] {
        let (code, out) = replay_perturbed(TRACE, op, "0.01");
        assert_eq!(code, Some(3), "{op}: {out}");
        assert!(
            out.contains(&format!("drift starts at {op}")),
            "{op}: {out}"
        );
    }
}
