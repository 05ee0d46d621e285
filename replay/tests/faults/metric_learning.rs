//! Mutation tests of the pairwise distances (`metric_learning_cdist`): a
//! Chebyshev distance computed as the 1-norm and a negated
//! `_cdist_backward` are value failures naming the operator, caught
//! anchored too, as is a `_pdist_backward` that drops each pair's second
//! row; perturbed `_cdist_forward`, `_euclidean_dist`, `_cdist_backward`,
//! `_pdist_forward`, `_pdist_backward` and the batched `bmm` of
//! EuclideanDistBackward0 are value failures naming the operator.

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
fn a_one_sided_pdist_backward_is_caught_and_named() {
    let (code, out) = replay_with_fault(TRACE, "pdist-grad-one-sided");
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten._pdist_backward.default"),
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
        "aten._pdist_forward.default",
        "aten._pdist_backward.default",
        "aten.bmm.default",
    ] {
        let (code, out) = replay_perturbed(TRACE, op, "0.01");
        assert_eq!(code, Some(3), "{op}: {out}");
        assert!(out.contains(&format!("drift starts at {op}")), "{out}");
    }
}

#[test]
fn float64_distance_faults_are_caught_and_named() {
    for (fault, op) in [
        ("cdist-inf-norm-as-l1", "aten._cdist_forward.default"),
        ("pdist-grad-one-sided", "aten._pdist_backward.default"),
        ("cdist-grad-negated", "aten._cdist_backward.default"),
    ] {
        let (code, out) = replay_with_fault("distance_dtypes.torch.ftr", fault);
        assert_eq!(code, Some(3), "{fault}: {out}");
        assert!(
            out.contains(&format!("drift starts at {op}")),
            "{fault}: {out}"
        );
    }
}
