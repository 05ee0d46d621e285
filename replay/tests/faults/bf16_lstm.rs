//! Mutation tests of the bfloat16 LSTM layer (`bf16_lstm_language_model`):
//! a layer that carries its cell state in float32 between steps and reads
//! float32 gates in its backward (the rounding oneDNN does not do) is a value
//! failure naming `mkldnn_rnn_layer`, also when replayed anchored.

use super::support::{replay_anchored_with_fault, replay_with_fault};

const TRACE: &str = "bf16_lstm_language_model.torch.ftr";

#[test]
fn an_unrounded_bfloat16_cell_state_is_a_value_failure_of_the_layer() {
    let (code, out) = replay_with_fault(TRACE, "lstm-reduced-state-unrounded");
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten.mkldnn_rnn_layer.default"),
        "{out}"
    );
}

#[test]
fn an_unrounded_bfloat16_cell_state_fails_anchored_too() {
    let (code, out) = replay_anchored_with_fault(TRACE, "lstm-reduced-state-unrounded");
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("aten.mkldnn_rnn_layer.default"), "{out}");
}
