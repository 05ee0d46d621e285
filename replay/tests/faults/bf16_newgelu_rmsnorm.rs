//! Mutation test of bfloat16 addition of a Python number on the
//! `bf16_newgelu_rmsnorm` golden: `(x * 0.3 + 0.1)` adds bfloat16(0.1).

use super::support::{replay_anchored_with_fault, replay_with_fault};

const TRACE: &str = "bf16_newgelu_rmsnorm.torch.ftr";
const FAULT: &str = "reduced-addend-unrounded";

#[test]
fn an_unrounded_number_added_to_bfloat16_is_caught_at_add() {
    // Anchored, the first operator wrong on PyTorch's inputs is the add.
    let (code, out) = replay_anchored_with_fault(TRACE, FAULT);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("drift starts at aten.add.Tensor"), "{out}");
    // Free-running, the golden's own bfloat16 drift grows first; the
    // anchored re-check names the add as the operator that is wrong.
    let (code, out) = replay_with_fault(TRACE, FAULT);
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("fail anchored elsewhere, the first at aten.add.Tensor ("),
        "{out}"
    );
}
