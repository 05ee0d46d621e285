//! Mutation tests of the nn corpus: a deliberately broken kernel or node of
//! this family (softmax, losses, normalisation, matrix products) is caught
//! by `nn_classifier_losses`, `nn_batchnorm` or `nn_attention_matmul` with
//! the right exit code, naming the operator or node.

use super::support::replay;

#[test]
fn the_nn_goldens_match() {
    for trace in [
        "nn_classifier_losses.torch.ftr",
        "nn_batchnorm.torch.ftr",
        "nn_attention_matmul.torch.ftr",
    ] {
        let (code, out) = replay(trace, None);
        assert_eq!(code, Some(0), "{trace}: {out}");
        assert!(out.contains("MATCH"), "{trace}: {out}");
    }
}

#[test]
fn a_perturbed_log_softmax_backward_is_a_value_failure_naming_the_op() {
    let (code, out) = replay(
        "nn_classifier_losses.torch.ftr",
        Some("perturb=aten._log_softmax_backward_data.default:0.01"),
    );
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten._log_softmax_backward_data.default"),
        "{out}"
    );
}

#[test]
fn a_perturbed_batch_norm_is_a_value_failure_naming_the_op() {
    let (code, out) = replay(
        "nn_batchnorm.torch.ftr",
        Some("perturb=aten.native_batch_norm.default:0.01"),
    );
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten.native_batch_norm.default"),
        "{out}"
    );
}

#[test]
fn a_perturbed_bmm_is_a_value_failure_naming_the_op() {
    let (code, out) = replay(
        "nn_attention_matmul.torch.ftr",
        Some("perturb=aten.bmm.default:0.01"),
    );
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("drift starts at aten.bmm.default"), "{out}");
}

#[test]
fn a_misnamed_layer_norm_node_is_a_structural_failure() {
    let (code, out) = replay(
        "nn_attention_matmul.torch.ftr",
        Some("rename-node=NativeLayerNormBackward0:NativeLayerNormBackward1"),
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("NativeLayerNormBackward1"), "{out}");
}
