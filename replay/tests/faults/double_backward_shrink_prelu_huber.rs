//! Mutation test on the `double_backward_shrink_prelu_huber` golden: a
//! PReLU double backward that multiplies `grad_output` by the wrong
//! incoming gradient (the input gradient's for `self`, the weight
//! gradient's for `weight`) is named at the node's first product.

use super::support::{assert_replays_to_match, replay_anchored_with_fault, replay_with_fault};

const TRACE: &str = "double_backward_shrink_prelu_huber.torch.ftr";

#[test]
fn a_prelu_double_backward_with_swapped_gradients_is_named_at_its_node() {
    for (code, out) in [
        replay_with_fault(TRACE, "prelu-double-backward-swaps-grads"),
        replay_anchored_with_fault(TRACE, "prelu-double-backward-swaps-grads"),
    ] {
        assert_eq!(code, Some(1), "{out}");
        assert!(out.contains("FAIL dispatch"), "{out}");
        assert!(
            out.contains("[dispatch changed] expected seq 400")
                && out.contains("aten.mul.Tensor(T98[2,3,4], T119[2,3,4])")
                && out.contains("node N48 PreluKernelBackwardBackward0"),
            "{out}"
        );
    }
}

#[test]
fn the_shrink_prelu_huber_penalties_replay_to_match() {
    assert_replays_to_match(TRACE);
}
