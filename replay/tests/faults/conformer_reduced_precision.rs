//! Mutation tests on the `conformer_reduced_precision` golden (a Conformer
//! CTC encoder trained entirely in bfloat16, then float16). An anchored
//! replay that allows bfloat16 no error at all matches; a bfloat16
//! `sigmoid_backward` rounded stepwise as float16's kernel rounds, or a
//! `glu_backward` on the unrounded sigmoid of the gate half, is caught at
//! the operator's first bfloat16 call.

use super::support::replay_anchored_bit_exact;

const TRACE: &str = "conformer_reduced_precision.torch.ftr";

fn replay_bf16_exactly(fault: Option<&str>) -> (Option<i32>, String) {
    replay_anchored_bit_exact(TRACE, "bfloat16", fault)
}

#[test]
fn the_bfloat16_run_matches_pytorch_bit_for_bit() {
    let (code, out) = replay_bf16_exactly(None);
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn a_stepwise_bfloat16_sigmoid_backward_is_caught_at_the_swish() {
    let (code, out) = replay_bf16_exactly(Some("sigmoid-backward-bf16-stepwise"));
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten.sigmoid_backward.default (expected seq 1018"),
        "{out}"
    );
}

#[test]
fn an_unrounded_glu_sigmoid_is_caught_at_the_glu_backward() {
    let (code, out) = replay_bf16_exactly(Some("glu-backward-unrounded-sigmoid"));
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten.glu_backward.default (expected seq 1044"),
        "{out}"
    );
}
