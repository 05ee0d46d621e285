//! Mutation tests on the `sparse_recommender` golden (sparse user/item
//! embeddings and item biases by SparseAdam, a dense scoring MLP by Adam):
//! a broken kernel inside SparseAdam's sparse step, whose values run
//! through `sparse_mask` of the moments, `_values` and dense arithmetic,
//! is caught and named.

use super::support::{replay_anchored_with_fault, replay_perturbed};

const TRACE: &str = "sparse_recommender.torch.ftr";

#[test]
fn a_perturbed_sparse_adam_denominator_is_caught_free_running() {
    let (code, out) = replay_perturbed(TRACE, "aten.sqrt_.default", "0.01");
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.lines()
            .skip_while(|l| !l.starts_with("FAIL values"))
            .nth(1)
            .is_some_and(|l| l.contains("aten.sqrt_.default output 0 (expected seq 250")),
        "{out}"
    );
}

#[test]
fn a_perturbed_sparse_adam_denominator_is_caught_anchored() {
    let (code, out) = replay_anchored_with_fault(TRACE, "perturb=aten.sqrt_.default:0.01");
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.lines()
            .skip_while(|l| !l.starts_with("FAIL values"))
            .nth(1)
            .is_some_and(|l| l.contains("aten.sqrt_.default output 0 (expected seq 250")),
        "{out}"
    );
}
