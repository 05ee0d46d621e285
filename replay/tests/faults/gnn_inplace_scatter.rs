//! Mutation tests of the in-place scatter reductions (`scatter_reduce_.two`,
//! `index_reduce_`) and their nodes on the `gnn_inplace_scatter` golden.

use super::support::{assert_perturbed_ops_caught, assert_renamed_nodes_caught};

const TRACE: &str = "gnn_inplace_scatter.torch.ftr";

#[test]
fn perturbed_in_place_reductions_are_caught_where_they_run() {
    assert_perturbed_ops_caught(
        TRACE,
        &["aten.scatter_reduce_.two", "aten.index_reduce_.default"],
        "0.01",
    );
}

#[test]
fn their_nodes_renamed_are_caught() {
    assert_renamed_nodes_caught(TRACE, &["ScatterReduceBackward0", "IndexReduceBackward0"]);
}
