//! Mutation tests on the `sparse_streaming_edges` golden (a GCN whose
//! adjacency grows by sparse edge batches, some empty): a sparse sum whose
//! `self` has no entries must scale `other`'s values by alpha
//! (`torch.add(empty_batch, arrived, alpha=2.0)`); one that copies them
//! unscaled is caught at that `add` itself, both ways.

use super::support::{replay_anchored_with_fault, replay_with_fault, value_failures};

const TRACE: &str = "sparse_streaming_edges.torch.ftr";
const AT: &str = "aten.add.Tensor output 2 (expected seq 325";

#[test]
fn an_empty_sum_that_ignores_alpha_is_caught_anchored() {
    let (code, out) = replay_anchored_with_fault(TRACE, "sparse-add-empty-ignores-alpha");
    assert_eq!(code, Some(3), "{out}");
    assert!(
        value_failures(&out).first().is_some_and(|l| l.contains(AT)),
        "{out}"
    );
}

#[test]
fn an_empty_sum_that_ignores_alpha_is_caught_free_running() {
    let (code, out) = replay_with_fault(TRACE, "sparse-add-empty-ignores-alpha");
    assert_eq!(code, Some(3), "{out}");
    assert!(
        value_failures(&out).first().is_some_and(|l| l.contains(AT)),
        "{out}"
    );
}
