//! Mutation test of the recurrent layers evaluated under `inference_mode`
//! (`rnn_inference_eval`), where a dispatch mode sees `lstm`, `gru`,
//! `rnn_*` and the cells whole and the runtime runs ATen's decomposition
//! unrecorded: an LSTM cell decomposition that swaps the input and forget
//! gates is a value failure at the first packed `lstm.data`, free-running
//! and anchored (oneDNN's padded float32 path does not use it).

use super::support::{replay_anchored_with_fault, replay_with_fault};

const TRACE: &str = "rnn_inference_eval.torch.ftr";
const FAULT: &str = "rnn-eval-gate-order";

#[test]
fn swapped_lstm_gates_are_a_value_failure_of_the_packed_layer() {
    let (code, out) = replay_with_fault(TRACE, FAULT);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("drift starts at aten.lstm.data"), "{out}");
    assert!(
        out.contains("run on PyTorch's inputs (anchored) it still fails"),
        "{out}"
    );
    let (code, out) = replay_anchored_with_fault(TRACE, FAULT);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("mode:     anchored"), "{out}");
    assert!(out.contains("aten.lstm.data output 0"), "{out}");
}
