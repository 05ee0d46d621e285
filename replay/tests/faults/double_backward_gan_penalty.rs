//! Mutation tests on the `double_backward_gan_penalty` golden: a CopySlices
//! that leaves its wrapped CopyBackwards' first edge unmarked in the
//! penalty's restricted backward skips the `zeros_like` over the circular
//! pad's slice, and a differentiable GroupNorm backward without the
//! `−b'·mean` term of the input gradient's shift dispatches `neg` where
//! PyTorch subtracts; each is named at its node, free-running and anchored.

use super::support::{assert_replays_to_match, replay_anchored_with_fault, replay_with_fault};

const TRACE: &str = "double_backward_gan_penalty.torch.ftr";

#[test]
fn a_copy_slices_without_its_view_edge_marked_is_named_at_the_missing_zeros() {
    for (code, out) in [
        replay_with_fault(TRACE, "copy-slices-unmarked-view-edge"),
        replay_anchored_with_fault(TRACE, "copy-slices-unmarked-view-edge"),
    ] {
        assert_eq!(code, Some(1), "{out}");
        assert!(out.contains("FAIL dispatch"), "{out}");
        assert!(
            out.contains("[dispatch missing] expected seq 307")
                && out.contains("aten.zeros_like.default(T111[2,4,1,6])")
                && out.contains("node N52 CopySlices"),
            "{out}"
        );
    }
}

#[test]
fn a_group_norm_double_backward_without_the_mean_term_is_named_at_its_node() {
    for (code, out) in [
        replay_with_fault(TRACE, "group-norm-grad-mode-drops-mean-term"),
        replay_anchored_with_fault(TRACE, "group-norm-grad-mode-drops-mean-term"),
    ] {
        assert_eq!(code, Some(1), "{out}");
        assert!(out.contains("FAIL dispatch"), "{out}");
        assert!(
            out.contains("[dispatch changed] expected seq 282")
                && out.contains("aten.sub.Tensor(T101[2,4,1,1], T99[2,4,1,1])")
                && out.contains("node N57 NativeGroupNormBackward0"),
            "{out}"
        );
    }
}

#[test]
fn the_gan_penalty_replays_to_match() {
    assert_replays_to_match(TRACE);
}
