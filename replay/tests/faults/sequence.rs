//! Mutation tests of the sequence-model corpus (embedding bags, `out=`
//! optimizer updates): a deliberately broken kernel or node of this family
//! is caught by `embedding_bag_modes` or `lm_tied_schedulers` with the right
//! exit code, naming the operator or node.

use super::support::{replay_perturbed, replay_with_fault};

fn assert_value_failure_at(trace: &str, op: &str) {
    let (code, out) = replay_perturbed(trace, op, "0.01");
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains(&format!("drift starts at {op}")), "{out}");
}

#[test]
fn a_perturbed_embedding_bag_is_a_value_failure_naming_the_op() {
    assert_value_failure_at(
        "embedding_bag_modes.torch.ftr",
        "aten._embedding_bag.default",
    );
}

#[test]
fn a_perturbed_embedding_bag_gradient_is_a_value_failure_naming_the_op() {
    // _embedding_bag_backward runs inside EmbeddingBagBackward0.
    assert_value_failure_at(
        "embedding_bag_modes.torch.ftr",
        "aten._embedding_bag_backward.default",
    );
}

#[test]
fn a_perturbed_amsgrad_maximum_out_is_a_value_failure_naming_the_op() {
    assert_value_failure_at("lm_tied_schedulers.torch.ftr", "aten.maximum.out");
}

#[test]
fn a_misnamed_embedding_bag_node_is_a_graph_divergence() {
    let (code, out) = replay_with_fault(
        "embedding_bag_modes.torch.ftr",
        "rename-node=EmbeddingBagBackward0:EmbeddingBackward0",
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("EmbeddingBackward0"), "{out}");
}

#[test]
fn an_inplace_view_op_rebased_like_a_write_is_a_graph_divergence() {
    // squeeze_ on a view chains SqueezeBackward4 on the view's history; a
    // runtime that wraps it in CopySlices records nodes PyTorch never made.
    let (code, out) = replay_with_fault("inplace_view_ops.torch.ftr", "inplace-view-rebases");
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("CopySlices") || out.contains("AsStridedBackward0"),
        "{out}"
    );
}

#[test]
fn a_misnamed_inplace_transpose_node_is_a_graph_divergence() {
    // batch_first recurrent layers return their output through transpose_.
    let (code, out) = replay_with_fault(
        "rnn_batch_first.torch.ftr",
        "rename-node=TransposeBackward1:TransposeBackward0",
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("TransposeBackward0"), "{out}");
}

#[test]
fn a_perturbed_pack_padded_sequence_is_a_value_failure_naming_the_op() {
    assert_value_failure_at(
        "rnn_packed_sequence.torch.ftr",
        "aten._pack_padded_sequence.default",
    );
}

#[test]
fn a_perturbed_packed_gradient_scatter_is_a_value_failure_naming_the_op() {
    // PackPaddedSequenceBackward0 copies each step's gradient rows with copy_.
    let (code, out) = replay_perturbed(
        "rnn_packed_sequence.torch.ftr",
        "aten.copy_.default",
        "0.01",
    );
    assert_eq!(code, Some(3), "{out}");
}

#[test]
fn a_perturbed_sort_is_a_value_failure_naming_the_op() {
    assert_value_failure_at("sort_values.torch.ftr", "aten.sort.default");
    assert_value_failure_at("sort_values.torch.ftr", "aten.sort.stable");
}

#[test]
fn a_misnamed_stable_sort_node_is_a_graph_divergence() {
    let (code, out) = replay_with_fault(
        "sort_values.torch.ftr",
        "rename-node=SortBackward1:SortBackward0",
    );
    assert_eq!(code, Some(1), "{out}");
}

#[test]
fn a_perturbed_per_sample_weights_gradient_is_a_value_failure_naming_the_op() {
    assert_value_failure_at(
        "embedding_bag_modes.torch.ftr",
        "aten._embedding_bag_per_sample_weights_backward.default",
    );
}
