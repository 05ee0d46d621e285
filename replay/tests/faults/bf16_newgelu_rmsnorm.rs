//! Mutation tests on the `bf16_newgelu_rmsnorm` golden: bfloat16 addition
//! of a Python number (`(x * 0.3 + 0.1)` adds bfloat16(0.1)), and the RMS
//! norm's bfloat16 `rsqrt`, whose scalar tail rounds the root to bfloat16
//! before its reciprocal (an anchored replay allowing bfloat16 no error
//! matches it bit for bit).

use super::support::{replay_anchored_bit_exact, replay_anchored_with_fault, replay_with_fault};

const TRACE: &str = "bf16_newgelu_rmsnorm.torch.ftr";
const FAULT: &str = "reduced-addend-unrounded";

#[test]
fn an_unrounded_number_added_to_bfloat16_is_caught_at_add() {
    // Anchored, the first operator wrong on PyTorch's inputs is the add.
    let (code, out) = replay_anchored_with_fault(TRACE, FAULT);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("drift starts at aten.add.Tensor"), "{out}");
    // Free-running (the RMS norm's rsqrt bit for bit, so no drift of the
    // golden's own grows first) the drift starts at the add, and the
    // anchored re-check confirms it is wrong.
    let (code, out) = replay_with_fault(TRACE, FAULT);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("drift starts at aten.add.Tensor"), "{out}");
    assert!(
        out.contains("aten.add.Tensor (expected seq 1150) is wrong"),
        "{out}"
    );
}

#[test]
fn a_bfloat16_rsqrt_rounded_once_everywhere_is_caught_at_the_rms_norm() {
    let (code, out) = replay_anchored_bit_exact(TRACE, "bfloat16", None);
    assert_eq!(code, Some(0), "{out}");
    let (code, out) =
        replay_anchored_bit_exact(TRACE, "bfloat16", Some("reduced-inverse-root-rounded-once"));
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten.rsqrt.default (expected seq 83"),
        "{out}"
    );
}
