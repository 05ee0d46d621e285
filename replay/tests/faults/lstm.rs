//! Mutation tests of the float32 LSTM layer (`lstm_language_model`): the
//! forget gate's bias left out of `mkldnn_rnn_layer`, or the cell-state
//! gradient carried back through time dropped in
//! `mkldnn_rnn_layer_backward`, is a value failure naming the operator, also
//! when replayed anchored; either kernel's output perturbed is one too.

use super::support::{replay_perturbed, replay_with_fault};

const TRACE: &str = "lstm_language_model.torch.ftr";

#[test]
fn an_ignored_forget_bias_is_a_value_failure_of_the_forward() {
    let (code, out) = replay_with_fault(TRACE, "lstm-forget-bias-ignored");
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten.mkldnn_rnn_layer.default"),
        "{out}"
    );
    assert!(
        out.contains("run on PyTorch's inputs (anchored) it still fails"),
        "{out}"
    );
}

#[test]
fn a_dropped_cell_gradient_is_a_value_failure_of_the_backward() {
    let (code, out) = replay_with_fault(TRACE, "lstm-cell-grad-dropped");
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten.mkldnn_rnn_layer_backward.default"),
        "{out}"
    );
    assert!(
        out.contains("run on PyTorch's inputs (anchored) it still fails"),
        "{out}"
    );
}

#[test]
fn perturbed_lstm_kernels_are_value_failures_naming_the_op() {
    for op in [
        "aten.mkldnn_rnn_layer.default",
        "aten.mkldnn_rnn_layer_backward.default",
    ] {
        let (code, out) = replay_perturbed(TRACE, op, "0.01");
        assert_eq!(code, Some(3), "{op}: {out}");
        assert!(out.contains(&format!("drift starts at {op}")), "{out}");
    }
}
