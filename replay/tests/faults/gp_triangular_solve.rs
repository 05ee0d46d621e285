//! Mutation tests of `torch.triangular_solve` (`gp_triangular_solve`): a
//! kernel that solves `A·X = B` where `transpose=True` asks for `Aᵀ·X = B`
//! is a value failure at the first whitening solve, free-running and
//! anchored; a backward that masks the factor's gradient to the other
//! triangle (`tril` for an upper factor) diverges at that mask inside
//! TriangularSolveBackward0; a perturbed
//! `triangular_solve` is caught at its first output (and, changing the
//! line search's comparisons, diverges the LBFGS control flow).

use super::support::{replay_anchored_with_fault, replay_perturbed, replay_with_fault};

const TRACE: &str = "gp_triangular_solve.torch.ftr";
const OP: &str = "aten.triangular_solve.default";

#[test]
fn an_ignored_transpose_is_caught_and_named() {
    let fault = "triangular-solve-transpose-ignored";
    let (code, out) = replay_with_fault(TRACE, fault);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains(&format!("drift starts at {OP}")), "{out}");
    assert!(
        out.contains("run on PyTorch's inputs (anchored) it still fails"),
        "{out}"
    );
    let (code, out) = replay_anchored_with_fault(TRACE, fault);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains(&format!("drift starts at {OP}")), "{out}");
}

#[test]
fn a_gradient_in_the_other_triangle_is_caught() {
    let (code, out) = replay_with_fault(TRACE, "triangular-solve-grad-other-triangle");
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("expected dispatch op aten.triu.default"),
        "{out}"
    );
    assert!(
        out.contains("actual dispatch op aten.tril.default"),
        "{out}"
    );
    assert!(out.contains("TriangularSolveBackward0"), "{out}");
}

#[test]
fn a_perturbed_triangular_solve_is_named_at_its_first_output() {
    let (code, out) = replay_perturbed(TRACE, OP, "0.01");
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains(&format!("{OP} output 0 (expected seq 78, actual seq 78)")),
        "{out}"
    );
    assert!(out.contains("local drift"), "{out}");
}
