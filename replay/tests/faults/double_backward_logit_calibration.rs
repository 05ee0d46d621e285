//! Mutation test on the `double_backward_logit_calibration` golden: a
//! LogitBackward0 under grad mode that keeps the gradient only strictly
//! inside the band (`lt`/`gt` for `le`/`ge`) is named at its node's first
//! comparison, and a BCE target gradient that skips the mean's division
//! at its missing `div_`, free-running and anchored.

use super::support::{assert_fault_reported_both_ways, assert_replays_to_match};

const TRACE: &str = "double_backward_logit_calibration.torch.ftr";

#[test]
fn a_logit_double_backward_with_an_open_band_is_named_at_its_node() {
    assert_fault_reported_both_ways(
        TRACE,
        "logit-double-backward-open-band",
        1,
        &[
            "FAIL dispatch",
            "[dispatch changed] expected seq 62",
            "aten.le.Scalar(T6[6,3])",
            "node N1 LogitBackward0",
        ],
    );
}

#[test]
fn a_bce_target_gradient_without_the_mean_division_is_named_at_its_node() {
    assert_fault_reported_both_ways(
        TRACE,
        "bce-target-grad-not-averaged",
        1,
        &[
            "FAIL dispatch",
            "[dispatch missing] expected seq 844",
            "aten.div_.Scalar(T313[4,3])",
            "node N82 BinaryCrossEntropyBackward0",
        ],
    );
}

#[test]
fn the_logit_calibration_penalties_replay_to_match() {
    assert_replays_to_match(TRACE);
}
