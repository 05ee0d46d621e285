//! Mutation tests of autograd's anomaly mode (format 2.3, api
//! `anomaly_mode`): on the `anomaly_detection` golden, a runtime whose
//! engine skips the NaN check of node outputs is caught at the first
//! `isnan` PyTorch ran (NllLossBackward0's, the first node of the first
//! backward under `detect_anomaly()`), and one whose check never raises is
//! caught where PyTorch's backward failed on PowBackward0's NaN; nodes
//! that do not keep the node they were made under alive (anomaly mode's
//! parent) are caught by the AccumulateGrad a gradient-penalty step makes
//! anew — all free-running and anchored.

use super::support::{replay, replay_anchored_with_fault, replay_with_fault};

const TRACE: &str = "anomaly_detection.torch.ftr";

#[test]
fn the_anomaly_golden_matches_without_a_fault() {
    let (code, out) = replay(TRACE, None);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("MATCH"), "{out}");
}

fn first_divergence(out: &str) -> &str {
    out.lines()
        .find(|l| l.starts_with("first divergence"))
        .unwrap_or_else(|| panic!("no first divergence in {out}"))
}

fn assert_skipped_check_is_named(code: Option<i32>, out: &str) {
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("DIVERGED"), "{out}");
    let first = first_divergence(out);
    assert!(first.contains("dispatch missing"), "{first}");
    assert!(first.contains("aten.isnan.default"), "{first}");
    assert!(first.contains("NllLossBackward0"), "{first}");
}

#[test]
fn a_runtime_skipping_the_nan_check_is_caught_naming_the_op() {
    let (code, out) = replay_with_fault(TRACE, "anomaly-check-skipped");
    assert_skipped_check_is_named(code, &out);
}

#[test]
fn a_runtime_skipping_the_nan_check_is_caught_anchored() {
    let (code, out) = replay_anchored_with_fault(TRACE, "anomaly-check-skipped");
    assert_skipped_check_is_named(code, &out);
}

fn assert_unreported_nan_is_named(code: Option<i32>, out: &str) {
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("DIVERGED"), "{out}");
    let first = first_divergence(out);
    assert!(first.contains("graph_task_error"), "{first}");
    assert!(
        first.contains("Function 'PowBackward0' returned nan values in its 0th output."),
        "{first}"
    );
}

#[test]
fn an_engine_ignoring_a_nan_is_caught_where_pytorch_raised() {
    let (code, out) = replay_with_fault(TRACE, "anomaly-nan-unreported");
    assert_unreported_nan_is_named(code, &out);
}

#[test]
fn an_engine_ignoring_a_nan_is_caught_anchored() {
    let (code, out) = replay_anchored_with_fault(TRACE, "anomaly-nan-unreported");
    assert_unreported_nan_is_named(code, &out);
}

fn assert_dropped_parent_is_caught(code: Option<i32>, out: &str) {
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("DIVERGED"), "{out}");
    // The penalty step's second graph makes the input layer's weight a new
    // AccumulateGrad where PyTorch's, kept alive, is reused.
    assert!(
        out.contains("extra autograd node") && out.contains("AccumulateGrad"),
        "{out}"
    );
}

#[test]
fn nodes_that_drop_their_anomaly_parent_are_caught() {
    let (code, out) = replay_with_fault(TRACE, "anomaly-parent-dropped");
    assert_dropped_parent_is_caught(code, &out);
}

#[test]
fn nodes_that_drop_their_anomaly_parent_are_caught_anchored() {
    let (code, out) = replay_anchored_with_fault(TRACE, "anomaly-parent-dropped");
    assert_dropped_parent_is_caught(code, &out);
}
