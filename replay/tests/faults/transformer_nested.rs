//! Mutation test of the nested evaluation fast path of
//! `nn.TransformerEncoder` (`transformer_nested_eval`): PyTorch packs a
//! right-padded batch into a nested tensor and each sentence attends to its
//! own tokens only. A nested layer that lets the queries attend to the
//! padding rows is a value failure at the first
//! `_transformer_encoder_layer_fwd`, free-running and anchored, where the
//! drift is named as starting. A perturbation of each of the three
//! operators (a nested result's buffer, or the unpacked dense tensor) is
//! named too.

use super::support::{assert_first_value_failure, replay_anchored_with_fault, replay_with_fault};

const TRACE: &str = "transformer_nested_eval.torch.ftr";
const OP: &str = "aten._transformer_encoder_layer_fwd.default";

#[test]
fn a_nested_layer_attending_to_padding_is_named() {
    for out in assert_first_value_failure(TRACE, "nested-attends-padding", &[3], OP) {
        assert!(out.contains(&format!("drift starts at {OP}")), "{out}");
    }
}

#[test]
fn perturbed_nested_kernels_are_value_failures_naming_the_op() {
    for op in [
        "aten._nested_tensor_from_mask.default",
        OP,
        "aten.to_padded_tensor.default",
    ] {
        let fault = format!("perturb={op}:0.01");
        for (code, out) in [
            replay_with_fault(TRACE, &fault),
            replay_anchored_with_fault(TRACE, &fault),
        ] {
            assert_eq!(code, Some(3), "{out}");
            let first = out
                .lines()
                .skip_while(|l| !l.starts_with("FAIL values"))
                .nth(1)
                .unwrap_or_default();
            assert!(first.contains(op), "{op}: {out}");
        }
    }
}
