//! Mutation test on the `double_backward_cdist_metric` golden: a Euclidean
//! CdistBackwardBackward0 that returns `wᵀ @ gg` for `x2` without negating
//! it is named at the missing `neg` of its node, free-running and anchored.

use super::support::{assert_replays_to_match, replay_anchored_with_fault, replay_with_fault};

const TRACE: &str = "double_backward_cdist_metric.torch.ftr";

#[test]
fn a_cdist_double_backward_without_the_x2_sign_is_named_at_its_node() {
    for (code, out) in [
        replay_with_fault(TRACE, "cdist-double-backward-keeps-x2-sign"),
        replay_anchored_with_fault(TRACE, "cdist-double-backward-keeps-x2-sign"),
    ] {
        assert_eq!(code, Some(1), "{out}");
        assert!(out.contains("FAIL dispatch"), "{out}");
        assert!(
            out.contains("[dispatch missing] expected seq 177")
                && out.contains("aten.neg.default(T75[3,3])")
                && out.contains("node N22 CdistBackwardBackward0"),
            "{out}"
        );
    }
}

#[test]
fn the_cdist_metric_penalties_replay_to_match() {
    assert_replays_to_match(TRACE);
}
