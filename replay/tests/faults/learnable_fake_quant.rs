//! Mutation tests of learnable per-tensor fake quantization
//! (`qat_learnable_fake_quant`): perturbed forward and backward kernels and
//! a misnamed FakeQuantizeLearnablePerTensorAffineBackward0 are caught and
//! named.

use super::support::{assert_perturbed_ops_caught, assert_renamed_nodes_caught, replay};

const TRACE: &str = "qat_learnable_fake_quant.torch.ftr";

#[test]
fn the_learnable_fake_quant_golden_matches() {
    let (code, out) = replay(TRACE, None);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("MATCH"), "{out}");
}

#[test]
fn perturbed_learnable_kernels_are_value_failures_naming_the_op() {
    assert_perturbed_ops_caught(
        TRACE,
        &[
            "aten._fake_quantize_learnable_per_tensor_affine.default",
            "aten._fake_quantize_learnable_per_tensor_affine_backward.default",
        ],
        "0.01",
    );
}

#[test]
fn a_misnamed_learnable_node_is_a_graph_divergence() {
    assert_renamed_nodes_caught(TRACE, &["FakeQuantizeLearnablePerTensorAffineBackward0"]);
}
