//! Mutation test of grad-mode state: a runtime whose autograd kernel records
//! history whatever the grad mode (`no_grad`, `set_grad_enabled(False)`, the
//! grad-disabled backward formulas) is caught on the `grad_modes` golden.

use super::support::{replay, replay_with_fault};

#[test]
fn the_grad_modes_golden_matches_without_a_fault() {
    let (code, out) = replay("grad_modes.torch.ftr", None);
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn a_runtime_recording_history_with_grad_disabled_is_caught() {
    let (code, out) = replay_with_fault("grad_modes.torch.ftr", "ignore-grad-mode");
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("DIVERGED"), "{out}");
    // The first op run with grad disabled on a tensor that requires grad
    // returns a tensor that requires grad: `rg1` where PyTorch has `rg0`.
    assert!(out.contains("first divergence"), "{out}");
    assert!(out.contains("`rg0"), "{out}");
}
