//! Mutation test on the `double_backward_linalg_solve` golden: a recorded
//! solve backward that reuses the forward's LU factors, whose second
//! derivative is then lost, is named at LinalgSolveExBackward0 — the
//! `linalg_solve(Aᴴ, ·)` PyTorch dispatches under `create_graph=True` is
//! missing — and the graph differs.

use super::support::{assert_replays_to_match, replay_anchored_with_fault, replay_with_fault};

const TRACE: &str = "double_backward_linalg_solve.torch.ftr";

#[test]
fn a_recorded_solve_backward_reusing_the_lu_factors_is_named() {
    for (code, out) in [
        replay_with_fault(TRACE, "recorded-solve-reuses-lu"),
        replay_anchored_with_fault(TRACE, "recorded-solve-reuses-lu"),
    ] {
        assert_eq!(code, Some(1), "{out}");
        assert!(
            out.contains("[dispatch changed] expected seq 36")
                && out.contains("actual dispatch op aten.linalg_lu_solve.default")
                && out.contains("node N2 LinalgSolveExBackward0"),
            "{out}"
        );
        assert!(
            out.contains("aten._linalg_solve_ex.default(T16[3,3], T15[3,2])")
                && out.contains("is missing from the actual run"),
            "{out}"
        );
        assert!(out.contains("FAIL graph"), "{out}");
    }
}

#[test]
fn the_linalg_solve_second_derivatives_replay_to_match() {
    assert_replays_to_match(TRACE);
}
