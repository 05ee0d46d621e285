//! Mutation tests of `torch.dist` (`prototype_dist_metric`): a `dist` that
//! takes the 2-norm whatever its `p` is a value failure at the first L1
//! distance, free-running and anchored; a perturbed `dist` is caught.

use super::support::{replay_anchored_with_fault, replay_perturbed, replay_with_fault};

const TRACE: &str = "prototype_dist_metric.torch.ftr";

#[test]
fn a_dist_ignoring_p_is_caught_and_named() {
    let (code, out) = replay_with_fault(TRACE, "dist-ignores-p");
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("drift starts at aten.dist.default"), "{out}");
    assert!(
        out.contains("run on PyTorch's inputs (anchored) it still fails"),
        "{out}"
    );
    let (code, out) = replay_anchored_with_fault(TRACE, "dist-ignores-p");
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("drift starts at aten.dist.default"), "{out}");
}

#[test]
fn a_perturbed_dist_is_a_value_failure_naming_it() {
    let (code, out) = replay_perturbed(TRACE, "aten.dist.default", "0.01");
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("drift starts at aten.dist.default"), "{out}");
}
