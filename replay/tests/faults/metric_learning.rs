//! Mutation tests of the pairwise distances (`metric_learning_cdist`): a
//! Chebyshev distance computed as the 1-norm and a negated
//! `_cdist_backward` are value failures naming the operator, caught
//! anchored too; perturbed `_cdist_forward`, `_euclidean_dist` and
//! `_cdist_backward` kernels are value failures naming the operator.

use super::support::{replay_perturbed, replay_with_fault};

const TRACE: &str = "metric_learning_cdist.torch.ftr";

#[test]
fn a_chebyshev_distance_computed_as_the_l1_norm_is_caught_and_named() {
    let (code, out) = replay_with_fault(TRACE, "cdist-inf-norm-as-l1");
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten._cdist_forward.default"),
        "{out}"
    );
    assert!(
        out.contains("run on PyTorch's inputs (anchored) it still fails"),
        "{out}"
    );
}

#[test]
fn a_negated_cdist_backward_is_caught_and_named() {
    let (code, out) = replay_with_fault(TRACE, "cdist-grad-negated");
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten._cdist_backward.default"),
        "{out}"
    );
    assert!(
        out.contains("run on PyTorch's inputs (anchored) it still fails"),
        "{out}"
    );
}

#[test]
fn perturbed_distance_kernels_are_value_failures_naming_the_op() {
    for op in [
        "aten._cdist_forward.default",
        "aten._euclidean_dist.default",
        "aten._cdist_backward.default",
    ] {
        let (code, out) = replay_perturbed(TRACE, op, "0.01");
        assert_eq!(code, Some(3), "{op}: {out}");
        assert!(out.contains(&format!("drift starts at {op}")), "{out}");
    }
}
