//! Mutation tests on the `sparse_bag_accumulate` golden (sparse
//! EmbeddingBag tables in mean and weighted-sum mode whose sparse gradients
//! accumulate over two micro-batches): a mean-mode sparse gradient left
//! unscaled by `1 / bag_size` is caught at `_embedding_bag_backward`
//! itself, whose only output is a sparse COO tensor: the value check
//! compares a sparse output's indices and values, not only the dense
//! tensors read from it later.

use super::support::{replay_anchored_with_fault, replay_with_fault, value_failures};

const TRACE: &str = "sparse_bag_accumulate.torch.ftr";
const AT: &str = "aten._embedding_bag_backward.default output 2 (expected seq 125";

#[test]
fn an_unscaled_mean_bag_gradient_is_caught_anchored_at_its_sparse_values() {
    let (code, out) = replay_anchored_with_fault(TRACE, "sparse-bag-unscaled-mean");
    assert_eq!(code, Some(3), "{out}");
    let failures = value_failures(&out);
    assert!(failures.first().is_some_and(|l| l.contains(AT)), "{out}");
    // The indices (output 1) are right: only the values fail there.
    assert!(
        !failures
            .iter()
            .any(|l| l.contains("aten._embedding_bag_backward.default output 1 ")),
        "{out}"
    );
}

#[test]
fn an_unscaled_mean_bag_gradient_is_caught_free_running() {
    let (code, out) = replay_with_fault(TRACE, "sparse-bag-unscaled-mean");
    assert_eq!(code, Some(3), "{out}");
    assert!(
        value_failures(&out).first().is_some_and(|l| l.contains(AT)),
        "{out}"
    );
}
