//! Mutation test of the sparse COO composites seen whole under
//! `inference_mode` (`sparse_gcn_inference`): a `sparse_coo_tensor` that
//! infers each sparse dimension as two more than its largest index, not
//! one, gives the star graph's adjacency the wrong shape — a dispatch divergence at
//! the first `sparse_coo_tensor.indices` (exit 1), free-running and
//! anchored.

use super::support::{replay_anchored_with_fault, replay_with_fault};

const TRACE: &str = "sparse_gcn_inference.torch.ftr";

#[test]
fn an_inferred_size_past_the_end_is_a_divergence_at_the_constructor() {
    for (code, out) in [
        replay_with_fault(TRACE, "sparse-size-past-end"),
        replay_anchored_with_fault(TRACE, "sparse-size-past-end"),
    ] {
        assert_eq!(code, Some(1), "{out}");
        assert!(
            out.contains("first divergence: [dispatch changed]"),
            "{out}"
        );
        assert!(
            out.contains("dispatch op aten.sparse_coo_tensor.indices("),
            "{out}"
        );
    }
}
