//! Mutation tests of `_to_sparse` (strided to sparse COO) on the
//! `sparse_from_dense` golden: counting `-0.0` as an entry changes the
//! pruned weight's entries at its first `to_sparse()` (the masked-out
//! negative weights are negative zeros), and indices laid out contiguously
//! where PyTorch keeps the transposed rows' strides change the geometry of
//! `to_sparse(1)`'s single index row (`[1, 1]` against `[4, 1]`); both are
//! named at that call, free running and anchored. A renamed ToSparseBackward
//! node breaks the graph.

use super::support::{assert_first_dispatch_change_both_ways, assert_renamed_nodes_caught};

const TRACE: &str = "sparse_from_dense.torch.ftr";

#[test]
fn a_negative_zero_entry_is_caught_at_the_pruned_weight() {
    assert_first_dispatch_change_both_ways(
        TRACE,
        "to-sparse-keeps-negative-zero",
        &["aten._to_sparse.default"],
    );
}

#[test]
fn contiguous_indices_of_one_sparse_dimension_are_caught() {
    assert_first_dispatch_change_both_ways(
        TRACE,
        "to-sparse-indices-contiguous",
        &["aten._to_sparse.sparse_dim", "s[1, 1]", "s[4, 1]"],
    );
}

#[test]
fn renamed_to_sparse_nodes_break_the_graph() {
    assert_renamed_nodes_caught(TRACE, &["ToSparseBackward1", "ToSparseBackward0"]);
}
