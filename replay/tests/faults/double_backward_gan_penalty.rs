//! Mutation tests on the `double_backward_gan_penalty` golden: a CopySlices
//! that leaves its wrapped CopyBackwards' first edge unmarked in the
//! penalty's restricted backward skips the `zeros_like` over the circular
//! pad's slice, and a differentiable GroupNorm backward without the
//! `−b'·mean` term of the input gradient's shift dispatches `neg` where
//! PyTorch subtracts; each is named at its node, free-running and anchored.

use super::support::{assert_fault_reported_both_ways, assert_replays_to_match};

const TRACE: &str = "double_backward_gan_penalty.torch.ftr";

#[test]
fn a_copy_slices_without_its_view_edge_marked_is_named_at_the_missing_zeros() {
    assert_fault_reported_both_ways(
        TRACE,
        "copy-slices-unmarked-view-edge",
        1,
        &[
            "FAIL dispatch",
            "[dispatch missing] expected seq 307",
            "aten.zeros_like.default(T111[2,4,1,6])",
            "node N52 CopySlices",
        ],
    );
}

#[test]
fn a_group_norm_double_backward_without_the_mean_term_is_named_at_its_node() {
    assert_fault_reported_both_ways(
        TRACE,
        "group-norm-grad-mode-drops-mean-term",
        1,
        &[
            "FAIL dispatch",
            "[dispatch changed] expected seq 282",
            "aten.sub.Tensor(T101[2,4,1,1], T99[2,4,1,1])",
            "node N57 NativeGroupNormBackward0",
        ],
    );
}

#[test]
fn the_gan_penalty_replays_to_match() {
    assert_replays_to_match(TRACE);
}
