//! Mutation test of saved-tensor hooks: a runtime that never calls the
//! unpack hook (a node reads its saved tensors as packed, so the
//! non-reentrant checkpoint never recomputes) is caught on the
//! `checkpoint_nonreentrant` golden.

use super::support::replay_with_fault;

#[test]
fn a_node_that_skips_the_unpack_hook_is_caught() {
    let (code, out) = replay_with_fault("checkpoint_nonreentrant.torch.ftr", "stale-saved-tensors");
    assert_eq!(code, Some(1), "{out}");
    // The recomputed values equal the stale ones (the blocks are
    // deterministic): the missing unpack, with its recomputation, betrays it.
    assert!(
        out.contains("first divergence: [stream missing]")
            && out.contains("hook_begin H1 N9 TanhBackward0"),
        "{out}"
    );
}
