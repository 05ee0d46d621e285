//! Mutation tests on the `sparse_graph_attention` golden (a GAT layer
//! normalising edge scores with `torch.sparse.softmax`, sparse sums over
//! one and both dims, `torch.sparse.log_softmax`, GCN propagation): a
//! sparse softmax that normalises over the other sparse dim is caught at
//! the first `_sparse_softmax`, and a sparse sum backward that leaves one
//! matched entry at zero at the first `_sparse_sum_backward`, both ways.

use super::support::{replay_anchored_with_fault, replay_with_fault, value_failures};

const TRACE: &str = "sparse_graph_attention.torch.ftr";

fn assert_first(code: Option<i32>, out: &str, at: &str) {
    assert_eq!(code, Some(3), "{out}");
    assert!(
        value_failures(out).first().is_some_and(|l| l.contains(at)),
        "{out}"
    );
}

const SOFTMAX: &str = "aten._sparse_softmax.default output 2 (expected seq 78";
const SUM_BACKWARD: &str = "aten._sparse_sum_backward.default output 2 (expected seq 323";

#[test]
fn a_sparse_softmax_over_the_wrong_dim_is_caught_free_running() {
    let (code, out) = replay_with_fault(TRACE, "sparse-softmax-wrong-dim");
    assert_first(code, &out, SOFTMAX);
}

#[test]
fn a_sparse_softmax_over_the_wrong_dim_is_caught_anchored() {
    let (code, out) = replay_anchored_with_fault(TRACE, "sparse-softmax-wrong-dim");
    assert_first(code, &out, SOFTMAX);
}

#[test]
fn a_sparse_sum_backward_dropping_an_index_is_caught_free_running() {
    let (code, out) = replay_with_fault(TRACE, "sparse-sum-backward-drops-index");
    assert_first(code, &out, SUM_BACKWARD);
}

#[test]
fn a_sparse_sum_backward_dropping_an_index_is_caught_anchored() {
    let (code, out) = replay_anchored_with_fault(TRACE, "sparse-sum-backward-drops-index");
    assert_first(code, &out, SUM_BACKWARD);
}
