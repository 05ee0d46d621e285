//! Mutation test of `Tensor.to` seen whole under `inference_mode`
//! (`eval_loop_to_device`): a `to` that copies when nothing changes breaks
//! the aliasing of the evaluation loop's first `labels.to(device)`, a
//! dataflow failure at the op (exit 1), free-running and anchored.

use super::support::{replay_anchored_with_fault, replay_with_fault};

const TRACE: &str = "eval_loop_to_device.torch.ftr";

#[test]
fn a_to_that_copies_an_unchanged_tensor_is_a_dataflow_failure_at_the_op() {
    for (code, out) in [
        replay_with_fault(TRACE, "to-always-copies"),
        replay_anchored_with_fault(TRACE, "to-always-copies"),
    ] {
        assert_eq!(code, Some(1), "{out}");
        assert!(
            out.contains("first divergence: [dataflow mismatch]"),
            "{out}"
        );
        assert!(out.contains("dispatch op aten.to."), "{out}");
    }
}
