//! Mutation tests on the `sparse_gat_dense_adjacency` golden (a GAT whose
//! weighted adjacency is `sparse_coo_tensor(edges, w, size).to_dense()` over
//! an edge list naming some edges twice): a `_to_dense` that writes each
//! entry instead of adding it keeps only the last of two duplicate edges,
//! and is caught at the first `_to_dense` itself, both ways.

use super::support::{replay_anchored_with_fault, replay_with_fault, value_failures};

const TRACE: &str = "sparse_gat_dense_adjacency.torch.ftr";
const AT: &str = "aten._to_dense.default output 0 (expected seq 50";

#[test]
fn a_to_dense_that_overwrites_duplicates_is_caught_anchored() {
    let (code, out) = replay_anchored_with_fault(TRACE, "sparse-to-dense-overwrites");
    assert_eq!(code, Some(3), "{out}");
    assert!(
        value_failures(&out).first().is_some_and(|l| l.contains(AT)),
        "{out}"
    );
}

#[test]
fn a_to_dense_that_overwrites_duplicates_is_caught_free_running() {
    let (code, out) = replay_with_fault(TRACE, "sparse-to-dense-overwrites");
    assert_eq!(code, Some(3), "{out}");
    assert!(
        value_failures(&out).first().is_some_and(|l| l.contains(AT)),
        "{out}"
    );
}
