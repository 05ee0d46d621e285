//! Mutation tests of custom autograd.Functions: a runtime that hands a
//! Function's gradients to the wrong edges is caught on the corpus.

use super::support::replay_with_fault;

#[test]
fn function_gradients_in_reverse_order_change_the_dataflow() {
    let (code, out) = replay_with_fault("custom_function.torch.ftr", "reverse-function-grads");
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("first divergence: [dataflow mismatch]") && out.contains("autograd event"),
        "{out}"
    );
}
