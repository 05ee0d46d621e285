//! Mutation test of VdotBackward0's order. In the
//! `matmul_family_shared_operands` golden `vdot(v, w[0])` and `vdot(v, v)`
//! are differentiated; PyTorch computes the second operand's gradient
//! (`grad * self`) before the first's (`grad * other`). A runtime that
//! computes `self`'s first multiplies the gradient by the other operand in
//! the first `mul`.

use super::support::{replay_anchored_with_fault, replay_with_fault};

#[test]
fn vdot_computing_self_first_is_caught() {
    for anchor in [false, true] {
        let (code, out) = if anchor {
            replay_anchored_with_fault(
                "matmul_family_shared_operands.torch.ftr",
                "vdot-grads-self-first",
            )
        } else {
            replay_with_fault(
                "matmul_family_shared_operands.torch.ftr",
                "vdot-grads-self-first",
            )
        };
        assert_eq!(code, Some(1), "{out}");
        assert!(
            out.contains("[dataflow mismatch]")
                && out.contains("aten.mul.Tensor")
                && out.contains("VdotBackward0"),
            "{out}"
        );
    }
}
