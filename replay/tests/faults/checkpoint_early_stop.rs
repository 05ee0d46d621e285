//! Mutation tests of what a non-reentrant checkpoint's early stop and
//! saved-tensor hooks need from the runtime: a node numbered before its
//! operator is stopped, and PyTorch's packing order.

use super::support::{replay_anchored_with_fault, replay_with_fault};

#[test]
fn a_runtime_that_does_not_number_the_stopped_operator_is_caught() {
    // Each block ends in a Linear: its recomputation stops while addmm
    // saves its inputs, after autograd numbered AddmmBackward0.
    for (code, out) in [
        replay_with_fault("checkpoint_early_stop.torch.ftr", "unnumbered-dropped-node"),
        replay_anchored_with_fault("checkpoint_early_stop.torch.ftr", "unnumbered-dropped-node"),
    ] {
        assert_eq!(code, Some(1), "{out}");
        assert!(
            out.contains("first divergence: [stream changed]") && out.contains("seq_nr=99"),
            "{out}"
        );
    }
}

#[test]
fn the_stopped_operator_only_matters_when_a_block_stops_in_an_input_save() {
    // The blocks of this golden end in tanh, which saves its result: the
    // recomputation ran every operator, and no number is dropped.
    let (code, out) = replay_with_fault(
        "checkpoint_nonreentrant.torch.ftr",
        "unnumbered-dropped-node",
    );
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn packing_in_the_runtime_s_own_order_is_caught() {
    // Each unpack hands its node another slot's tensor.
    let (code, out) =
        replay_with_fault("saved_hooks_offload.torch.ftr", "build-order-saved-tensors");
    assert_ne!(code, Some(0), "{out}");
    assert!(out.contains("aten.bmm.default"), "{out}");
    let (code, out) = replay_with_fault(
        "checkpoint_early_stop.torch.ftr",
        "build-order-saved-tensors",
    );
    assert_ne!(code, Some(0), "{out}");
    assert!(
        out.contains("aten.native_layer_norm_backward.default"),
        "{out}"
    );
}
