//! Mutation tests on the `speech_window_frontends` golden: every window
//! function's kernel is checked. Windows that ignore `periodic` (the
//! symmetric window where PyTorch drops the last point of a longer one)
//! are a value failure at the first periodic `hamming_window`, free-running
//! and anchored; each overload, perturbed, fails both ways and is named
//! anchored (free-running, the log-mel features' benign float drift starts
//! before the later windows).

use super::support::{
    assert_first_value_failure, replay, replay_anchored_with_fault, replay_perturbed,
};

const TRACE: &str = "speech_window_frontends.torch.ftr";

#[test]
fn symmetric_windows_are_caught_at_the_first_periodic_window() {
    assert_first_value_failure(
        TRACE,
        "symmetric-windows",
        &[3],
        "aten.hamming_window.default output 0",
    );
}

#[test]
fn perturbed_window_kernels_are_caught_and_named() {
    for op in [
        "aten.hamming_window.default",
        "aten.hamming_window.periodic",
        "aten.hamming_window.periodic_alpha_beta",
        "aten.kaiser_window.periodic",
        "aten.kaiser_window.beta",
        "aten.blackman_window.default",
        "aten.blackman_window.periodic",
        "aten.bartlett_window.default",
    ] {
        let (code, out) = replay_perturbed(TRACE, op, "0.01");
        assert_eq!(code, Some(3), "{op}: {out}");
        let (code, out) = replay_anchored_with_fault(TRACE, &format!("perturb={op}:0.01"));
        assert_eq!(code, Some(3), "{op} anchored: {out}");
        assert!(
            out.contains(&format!("drift starts at {op}")),
            "{op} anchored: {out}"
        );
    }
}

#[test]
fn the_front_ends_match() {
    let (code, out) = replay(TRACE, None);
    assert_eq!(code, Some(0), "{out}");
}
