//! Mutation test of `unflatten.int` seen whole under `inference_mode`
//! (`transformer_inference_decode`): an unflatten that returns a contiguous
//! copy instead of a view of its input breaks the aliasing of the packed
//! q/k/v projection, a dataflow failure at the op (exit 1), free-running
//! and anchored.

use super::support::{replay_anchored_with_fault, replay_with_fault};

const TRACE: &str = "transformer_inference_decode.torch.ftr";

#[test]
fn an_unflatten_that_copies_is_a_dataflow_failure_at_the_op() {
    for (code, out) in [
        replay_with_fault(TRACE, "unflatten-copies"),
        replay_anchored_with_fault(TRACE, "unflatten-copies"),
    ] {
        assert_eq!(code, Some(1), "{out}");
        assert!(
            out.contains("first divergence: [dataflow mismatch]"),
            "{out}"
        );
        assert!(out.contains("dispatch op aten.unflatten.int("), "{out}");
    }
}
