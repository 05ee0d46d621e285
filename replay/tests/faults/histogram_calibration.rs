//! Mutation tests of the histogram family (`histogram_calibration`): a
//! last bin open on the right (the data's maximum, on the last edge, is
//! not counted) is caught at the first `histogram.bin_ct` of the logged
//! activations, free-running and anchored; perturbed `histogram` and
//! `histogramdd` kernels are value failures naming them.

use super::support::{
    assert_perturbed_ops_caught, assert_replays_to_match, replay_anchored_with_fault,
    replay_with_fault,
};

const TRACE: &str = "histogram_calibration.torch.ftr";

#[test]
fn the_corpus_program_matches() {
    assert_replays_to_match(TRACE);
}

#[test]
fn a_last_bin_open_on_the_right_is_caught_at_the_first_histogram() {
    let op = "aten.histogram.bin_ct";
    let (code, out) = replay_with_fault(TRACE, "histogram-last-edge-open");
    // Free-running the lost counts change a later boolean mask's size too.
    assert!(matches!(code, Some(1 | 3)), "{out}");
    assert!(out.contains(&format!("drift starts at {op}")), "{out}");
    let (code, out) = replay_anchored_with_fault(TRACE, "histogram-last-edge-open");
    assert_eq!(code, Some(3), "anchored: {out}");
    assert!(
        out.contains(&format!("drift starts at {op}")),
        "anchored: {out}"
    );
}

#[test]
fn perturbed_histogram_kernels_are_value_failures_naming_them() {
    assert_perturbed_ops_caught(
        TRACE,
        &[
            "aten.histogram.bins_tensor",
            "aten._histogramdd_from_bin_tensors.default",
        ],
        "0.5",
    );
    // The joint histogram feeds a `pxy > 0` mask: free-running a perturbed
    // one also changes the masked sizes (a divergence after the drift).
    let op = "aten._histogramdd_from_bin_cts.default";
    let fault = format!("perturb={op}:0.5");
    let (code, out) = replay_with_fault(TRACE, &fault);
    assert!(matches!(code, Some(1 | 3)), "{out}");
    assert!(out.contains(&format!("drift starts at {op}")), "{out}");
    let (code, out) = replay_anchored_with_fault(TRACE, &fault);
    assert_eq!(code, Some(3), "anchored: {out}");
    assert!(out.contains(op), "anchored: {out}");
}
