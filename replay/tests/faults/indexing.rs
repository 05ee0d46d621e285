//! Mutation tests of the shape / indexing corpus: a deliberately broken
//! kernel or node of this family is caught by `indexing_views`,
//! `indexing_gather` or `indexing_masks` with the right exit code, naming
//! the operator or node.

use super::support::replay_with_fault;

fn assert_value_failure_at(trace: &str, op: &str) {
    let (code, out) = replay_with_fault(trace, &format!("perturb={op}:0.01"));
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains(&format!("drift starts at {op}")), "{out}");
}

#[test]
fn a_perturbed_gather_is_a_value_failure_naming_the_op() {
    assert_value_failure_at("indexing_gather.torch.ftr", "aten.gather.default");
}

#[test]
fn a_perturbed_advanced_index_is_a_value_failure_naming_the_op() {
    assert_value_failure_at("indexing_gather.torch.ftr", "aten.index.Tensor");
}

#[test]
fn a_perturbed_embedding_gradient_is_a_value_failure_naming_the_op() {
    // embedding_dense_backward runs inside EmbeddingBackward0.
    assert_value_failure_at(
        "indexing_gather.torch.ftr",
        "aten.embedding_dense_backward.default",
    );
}

#[test]
fn a_perturbed_cat_is_a_value_failure_naming_the_op() {
    assert_value_failure_at("indexing_views.torch.ftr", "aten.cat.default");
}

#[test]
fn a_misnamed_transpose_node_is_a_graph_divergence() {
    // transpose.int's node is TransposeBackward0 (TransposeBackward1 is the
    // in-place transpose_'s).
    let (code, out) = replay_with_fault(
        "indexing_views.torch.ftr",
        "rename-node=TransposeBackward0:TransposeBackward1",
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("TransposeBackward1"), "{out}");
}

#[test]
fn a_perturbed_masked_select_gradient_is_a_value_failure_naming_the_op() {
    // masked_scatter runs inside MaskedSelectBackward0.
    assert_value_failure_at("indexing_masks.torch.ftr", "aten.masked_scatter.default");
}

#[test]
fn a_perturbed_roll_is_a_value_failure_naming_the_op() {
    assert_value_failure_at("indexing_masks.torch.ftr", "aten.roll.default");
}
