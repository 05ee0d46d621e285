//! Mutation tests of the embedding bag on the `bf16_embedding_bag_ranker`
//! golden: bfloat16 bags in `mean` and `sum` mode (fbgemm's fast path, whose
//! bfloat16 store rounds half away from zero), one with a `padding_idx`
//! (the slow path, rounded to nearest even) and a float32 bag weighted per
//! sample. An anchored replay that allows bfloat16 no error at all matches
//! every bag and every bag gradient; rounding the fast path's ties to even,
//! or summing the gradient in float64, is caught at the operator.

use super::support::replay_anchored_bit_exact;

const TRACE: &str = "bf16_embedding_bag_ranker.torch.ftr";

fn replay_bf16_exactly(fault: Option<&str>) -> (Option<i32>, String) {
    replay_anchored_bit_exact(TRACE, "bfloat16", fault)
}

#[test]
fn bags_and_their_gradients_match_pytorch_bit_for_bit() {
    let (code, out) = replay_bf16_exactly(None);
    assert_eq!(code, Some(0), "{out}");
    assert!(!out.contains("aten._embedding_bag"), "{out}");
}

#[test]
fn ties_rounded_to_even_are_caught_at_the_bag() {
    let (code, out) = replay_bf16_exactly(Some("embedding-bag-rne-bf16"));
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten._embedding_bag.default"),
        "{out}"
    );
}

#[test]
fn a_gradient_summed_in_double_is_caught_at_the_bag_backward() {
    let (code, out) = replay_bf16_exactly(Some("embedding-bag-grad-in-double"));
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten._embedding_bag_backward.default"),
        "{out}"
    );
}
