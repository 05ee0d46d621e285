//! Mutation tests of the transformer inference fast paths
//! (`transformer_fastpath_eval`): attention scores scaled by `1/dh` instead
//! of `1/√dh` inside `_native_multi_head_attention` and
//! `_transformer_encoder_layer_fwd`, or either kernel's output perturbed, is
//! a value failure naming the operator, also when replayed anchored.

use super::support::{replay_perturbed, replay_with_fault};

const TRACE: &str = "transformer_fastpath_eval.torch.ftr";

#[test]
fn a_wrong_attention_scale_is_a_value_failure_in_both_fast_paths() {
    let (code, out) = replay_with_fault(TRACE, "mha-wrong-scale");
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten._transformer_encoder_layer_fwd.default"),
        "{out}"
    );
    assert!(
        out.contains("aten._native_multi_head_attention.default output 0"),
        "{out}"
    );
    assert!(
        out.contains("run on PyTorch's inputs (anchored) it still fails"),
        "{out}"
    );
}

#[test]
fn perturbed_fast_path_kernels_are_value_failures_naming_the_op() {
    for op in [
        "aten._native_multi_head_attention.default",
        "aten._transformer_encoder_layer_fwd.default",
    ] {
        let (code, out) = replay_perturbed(TRACE, op, "0.01");
        assert_eq!(code, Some(3), "{op}: {out}");
        assert!(out.contains(&format!("drift starts at {op}")), "{out}");
    }
}
