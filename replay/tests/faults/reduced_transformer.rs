//! Mutation test of the reduced-precision transformer fast paths
//! (`reduced_transformer_eval`): ATen's fused encoder layer and attention
//! store every stage in the inputs' bfloat16 or float16. A runtime that
//! computes the layer in double and rounds once is a value failure at the
//! first `_transformer_encoder_layer_fwd` whose stages round differently,
//! free-running and anchored.

use super::support::assert_first_value_failure;

const TRACE: &str = "reduced_transformer_eval.torch.ftr";
const OP: &str = "aten._transformer_encoder_layer_fwd.default";

#[test]
fn a_layer_rounding_once_is_a_value_failure_at_the_layer() {
    for out in assert_first_value_failure(TRACE, "attention-rounds-once", &[3], OP) {
        assert!(out.contains(&format!("drift starts at {OP}")), "{out}");
    }
}
