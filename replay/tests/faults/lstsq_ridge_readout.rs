//! Mutation tests of `torch.linalg.lstsq` (`lstsq_ridge_readout`): a
//! `gelsy` solve that leaves the solution in the column-pivoted order is a
//! value failure at the first ridge readout, free-running and anchored; a
//! perturbed `linalg_lstsq` is caught.

use super::support::{replay_anchored_with_fault, replay_perturbed, replay_with_fault};

const TRACE: &str = "lstsq_ridge_readout.torch.ftr";

#[test]
fn an_unpermuted_gelsy_solution_is_caught_and_named() {
    let (code, out) = replay_with_fault(TRACE, "lstsq-solution-unpermuted");
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten.linalg_lstsq.default"),
        "{out}"
    );
    assert!(
        out.contains("run on PyTorch's inputs (anchored) it still fails"),
        "{out}"
    );
    let (code, out) = replay_anchored_with_fault(TRACE, "lstsq-solution-unpermuted");
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten.linalg_lstsq.default"),
        "{out}"
    );
}

#[test]
fn a_perturbed_lstsq_is_a_value_failure_naming_it() {
    let (code, out) = replay_perturbed(TRACE, "aten.linalg_lstsq.default", "0.01");
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten.linalg_lstsq.default"),
        "{out}"
    );
}
