//! Mutation test on the `double_backward_cdist_metric` golden: a Euclidean
//! CdistBackwardBackward0 that returns `wᵀ @ gg` for `x2` without negating
//! it is named at the missing `neg` of its node, free-running and anchored.

use super::support::{assert_fault_reported_both_ways, assert_replays_to_match};

const TRACE: &str = "double_backward_cdist_metric.torch.ftr";

#[test]
fn a_cdist_double_backward_without_the_x2_sign_is_named_at_its_node() {
    assert_fault_reported_both_ways(
        TRACE,
        "cdist-double-backward-keeps-x2-sign",
        1,
        &[
            "FAIL dispatch",
            "[dispatch missing] expected seq 177",
            "aten.neg.default(T75[3,3])",
            "node N22 CdistBackwardBackward0",
        ],
    );
}

#[test]
fn the_cdist_metric_penalties_replay_to_match() {
    assert_replays_to_match(TRACE);
}
