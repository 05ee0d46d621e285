//! Mutation tests of the autograd corner cases `checkpoint_hooks_penalty`
//! pins: a hook that switches anomaly mode during a backward (the engine
//! reads the mode for every later node) and a reentrant checkpoint that
//! refuses `torch.autograd.grad` (the Function's backward raises; the
//! replay re-raises the recorded exception) — both caught free-running and
//! anchored.

use super::support::{replay, replay_anchored_with_fault, replay_with_fault};

const TRACE: &str = "checkpoint_hooks_penalty.torch.ftr";

#[test]
fn the_golden_matches_without_a_fault() {
    let (code, out) = replay(TRACE, None);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("MATCH"), "{out}");
}

fn first_divergence(out: &str) -> &str {
    out.lines()
        .find(|l| l.starts_with("first divergence"))
        .unwrap_or_else(|| panic!("no first divergence in {out}"))
}

fn assert_ignored_switch_is_named(code: Option<i32>, out: &str) {
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("DIVERGED"), "{out}");
    let first = first_divergence(out);
    assert!(first.contains("anomaly_mode"), "{first}");
    assert!(first.contains("enabled=True"), "{first}");
}

#[test]
fn an_anomaly_switch_in_a_hook_ignored_is_caught() {
    let (code, out) = replay_with_fault(TRACE, "anomaly-switch-in-hook-ignored");
    assert_ignored_switch_is_named(code, &out);
}

#[test]
fn an_anomaly_switch_in_a_hook_ignored_is_caught_anchored() {
    let (code, out) = replay_anchored_with_fault(TRACE, "anomaly-switch-in-hook-ignored");
    assert_ignored_switch_is_named(code, &out);
}

fn assert_dropped_raise_is_named(code: Option<i32>, out: &str) {
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("DIVERGED"), "{out}");
    let first = first_divergence(out);
    assert!(first.contains("graph_task_error"), "{first}");
    assert!(first.contains("When use_reentrant=True"), "{first}");
    assert!(first.contains("CheckpointFunctionBackward"), "{first}");
}

#[test]
fn a_checkpoint_refusal_dropped_is_caught() {
    let (code, out) = replay_with_fault(TRACE, "function-raise-dropped");
    assert_dropped_raise_is_named(code, &out);
}

#[test]
fn a_checkpoint_refusal_dropped_is_caught_anchored() {
    let (code, out) = replay_anchored_with_fault(TRACE, "function-raise-dropped");
    assert_dropped_raise_is_named(code, &out);
}
