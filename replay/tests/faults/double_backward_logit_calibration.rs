//! Mutation test on the `double_backward_logit_calibration` golden: a
//! LogitBackward0 under grad mode that keeps the gradient only strictly
//! inside the band (`lt`/`gt` for `le`/`ge`) is named at its node's first
//! comparison, free-running and anchored.

use super::support::{assert_replays_to_match, replay_anchored_with_fault, replay_with_fault};

const TRACE: &str = "double_backward_logit_calibration.torch.ftr";

#[test]
fn a_logit_double_backward_with_an_open_band_is_named_at_its_node() {
    for (code, out) in [
        replay_with_fault(TRACE, "logit-double-backward-open-band"),
        replay_anchored_with_fault(TRACE, "logit-double-backward-open-band"),
    ] {
        assert_eq!(code, Some(1), "{out}");
        assert!(out.contains("FAIL dispatch"), "{out}");
        assert!(
            out.contains("[dispatch changed] expected seq 62")
                && out.contains("aten.le.Scalar(T6[6,3])")
                && out.contains("node N1 LogitBackward0"),
            "{out}"
        );
    }
}

#[test]
fn the_logit_calibration_penalties_replay_to_match() {
    assert_replays_to_match(TRACE);
}
