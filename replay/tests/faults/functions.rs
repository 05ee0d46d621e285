//! Mutation tests of custom autograd.Functions and reentrant backward: a
//! runtime that hands a Function's gradients to the wrong edges, or runs a
//! nested GraphTask at the wrong depth, is caught on the corpus.

use super::support::replay_with_fault;

#[test]
fn function_gradients_in_reverse_order_change_the_dataflow() {
    let (code, out) = replay_with_fault("custom_function.torch.ftr", "reverse-function-grads");
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("first divergence: [dataflow mismatch]")
            && out.contains("autograd node_result N6 MulAddBackward"),
        "{out}"
    );
}

#[test]
fn a_nested_graph_task_at_depth_zero_is_caught() {
    let (code, out) = replay_with_fault("checkpoint_reentrant.torch.ftr", "flat-reentrant-depth");
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("first divergence: [stream changed]")
            && out.contains("expected autograd graph_task_begin roots=[N18:0] depth=1"),
        "{out}"
    );
}
