//! Mutation test on the `bf16_vector_attention` golden: bfloat16 requests
//! of one vector each, whose meter counters of about 1.7e7 cancel in the
//! encoder's products. PyTorch sums `dot`/`vdot` and `mv` on its fast path
//! with the vectorised 8-lane `dot_with_fp32_arith`; a runtime summing
//! them in order (gemv's generic loop, fault `reduced-mv-in-order`) keeps
//! other small terms: the consumption signals drift free-running, and
//! anchored the `vdot` of the encoder's consumption row with a request is
//! out of tolerance on PyTorch's own inputs.

use std::process::Command;

use super::support::golden;

const TRACE: &str = "bf16_vector_attention.torch.ftr";

fn replay(anchor: bool, fault: Option<&str>) -> (Option<i32>, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ft-replay"));
    cmd.arg("--against").arg(golden(TRACE)).env("NO_COLOR", "1");
    if anchor {
        cmd.arg("--anchor");
    }
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
fn in_order_sums_fail_at_the_vdot_both_ways() {
    for anchor in [false, true] {
        let (code, out) = replay(anchor, Some("reduced-mv-in-order"));
        assert_eq!(code, Some(3), "{out}");
        assert!(
            out.contains("drift starts at aten.vdot.default (expected seq 1063, actual seq 1063)"),
            "{out}"
        );
    }
    let (_, out) = replay(false, Some("reduced-mv-in-order"));
    assert!(
        out.contains("aten.vdot.default (expected seq 1063) is wrong: run on PyTorch's inputs (anchored) it still fails"),
        "{out}"
    );
}

#[test]
fn the_matrix_vector_products_match_bit_for_bit_anchored() {
    let (code, out) = replay(true, None);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("709 tensors compared (707 bit-identical"),
        "{out}"
    );
}
