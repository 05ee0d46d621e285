//! Mutation test on the `bf16_linear_cancellation` golden: bfloat16
//! `addmm`/`mm` whose products of about 1.7e9 cancel depend on the order
//! PyTorch's GEMM loop sums them in float32. A runtime that multiplies in
//! float64 and rounds once gives results off by up to hundreds; each one is
//! within the room another summation order has (so the anchored replay,
//! which feeds every operator PyTorch's inputs, excuses it), but free-running
//! the error reaches the next operator: `--fail-on-drift` fails the replay
//! at the sum of the first `F.linear`'s output.

use std::process::Command;

use super::support::golden;

const TRACE: &str = "bf16_linear_cancellation.torch.ftr";

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
fn products_rounded_once_from_float64_drift_at_the_first_linear() {
    let (code, out) = replay_failing_on_drift(Some("reduced-matmul-in-double"));
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("the error first grew beyond tolerance at aten.sum.default (expected seq 32)"),
        "{out}"
    );
    assert!(
        out.contains(
            "sums (matrix products, reductions) within the rounding of another summation order"
        ),
        "{out}"
    );
}

#[test]
fn the_products_match_bit_for_bit() {
    let (code, out) = replay_failing_on_drift(None);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("102 tensors compared (102 bit-identical"),
        "{out}"
    );
}
