//! Mutation tests of in-place scans on the `inplace_scans_stick_breaking`
//! golden: a cumprod gradient that reads the in-place result where the
//! original self is saved dispatches its backward's operators on the wrong
//! tensor (a dispatch divergence at CumprodBackward0, exit 1), free-running
//! and anchored;
//! the scan kernels perturbed are caught and named; misnamed scan nodes are
//! a graph divergence.

use super::support::{
    assert_perturbed_ops_caught, assert_renamed_nodes_caught, replay, replay_anchored_with_fault,
    replay_with_fault,
};

const TRACE: &str = "inplace_scans_stick_breaking.torch.ftr";

#[test]
fn the_inplace_scans_stick_breaking_golden_matches_without_a_fault() {
    let (code, out) = replay(TRACE, None);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.lines().any(|l| l == "MATCH"), "{out}");
}

#[test]
fn a_cumprod_gradient_reading_the_inplace_result_is_caught() {
    for (code, out) in [
        replay_with_fault(TRACE, "cumprod-grad-reads-result"),
        replay_anchored_with_fault(TRACE, "cumprod-grad-reads-result"),
    ] {
        assert_eq!(code, Some(1), "{out}");
        assert!(
            out.contains("[dispatch changed]") && out.contains("node N15 CumprodBackward0"),
            "{out}"
        );
    }
}

#[test]
fn perturbed_inplace_scan_kernels_are_caught_and_named() {
    assert_perturbed_ops_caught(
        TRACE,
        &["aten.cumsum_.default", "aten.cumprod_.default"],
        "0.01",
    );
}

#[test]
fn misnamed_scan_nodes_are_caught() {
    assert_renamed_nodes_caught(TRACE, &["CumsumBackward0", "CumprodBackward0"]);
}
