//! Mutation tests of `narrow_copy`, `ldexp` and `diagonal_scatter` on the
//! `pow2_scaled_covariance_head` golden: a `narrow_copy` that copies the
//! window one row further on is a value failure naming it (free-running and
//! anchored), perturbed kernels are named where they happen, and renamed
//! NarrowCopyBackward0 / LdexpBackward0 / DiagonalScatterBackward0 nodes
//! break the gradient graph.

use super::support::{
    assert_first_value_failure, assert_perturbed_ops_caught, assert_renamed_nodes_caught,
};

const TRACE: &str = "pow2_scaled_covariance_head.torch.ftr";

#[test]
fn shifted_narrow_copy_is_a_value_failure_naming_it() {
    assert_first_value_failure(
        TRACE,
        "narrow-copy-shifted",
        &[3],
        "aten.narrow_copy.default output 0",
    );
}

#[test]
fn perturbed_kernels_are_value_failures_naming_the_op() {
    assert_perturbed_ops_caught(
        TRACE,
        &[
            "aten.narrow_copy.default",
            "aten.ldexp.Tensor",
            "aten.diagonal_scatter.default",
        ],
        "0.01",
    );
}

#[test]
fn renamed_nodes_break_the_graph() {
    assert_renamed_nodes_caught(
        TRACE,
        &[
            "NarrowCopyBackward0",
            "LdexpBackward0",
            "DiagonalScatterBackward0",
        ],
    );
}
