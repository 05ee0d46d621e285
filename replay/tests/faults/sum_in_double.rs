//! Mutation test of the float sums' order on the `nerf_hierarchical`
//! golden: its hierarchical sampler normalises the coarse weights by their
//! `sum` and searches the cumulative PDF for each sample's bin. Summed in
//! the dtype in PyTorch's cascade order, the free-running replay stays
//! within tolerance everywhere; summed in float64 and rounded once (the
//! runtime's old reductions, fault `sum-in-double`), the weights' totals
//! differ in the last bit, which moves two samples across a bin edge of the
//! inverse-CDF search: `--fail-on-drift` fails there, and the anchored
//! re-check finds every operator right (each sum is within the rounding of
//! another summation order).

use std::process::Command;

use super::support::golden;

const TRACE: &str = "nerf_hierarchical.torch.ftr";

fn replay_failing_on_drift(fault: Option<&str>) -> (Option<i32>, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ft-replay"));
    cmd.arg("--against")
        .arg(golden(TRACE))
        .arg("--fail-on-drift")
        .env("NO_COLOR", "1");
    if let Some(fault) = fault {
        cmd.args(["--inject-fault", fault]);
    }
    let out = cmd.output().expect("run ft-replay");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

#[test]
fn sums_in_double_drift_across_a_bin_edge_of_the_sampler() {
    let (code, out) = replay_failing_on_drift(Some("sum-in-double"));
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains(
            "the error first grew beyond tolerance: run on PyTorch's inputs (anchored) it matches"
        ),
        "{out}"
    );
    assert!(
        out.contains("accumulated float drift at aten.searchsorted.Tensor (expected seq 239)"),
        "{out}"
    );
}

#[test]
fn sums_in_the_cascade_order_stay_within_tolerance() {
    let (code, out) = replay_failing_on_drift(None);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("915 tensors compared (446 bit-identical"),
        "{out}"
    );
}
