//! Mutation test of VdotBackward0's order. In the
//! `matmul_family_shared_operands` golden `vdot(v, w[0])` and `vdot(v, v)`
//! are differentiated; PyTorch computes the second operand's gradient
//! (`grad * self`) before the first's (`grad * other`). A runtime that
//! computes `self`'s first multiplies the gradient by the other operand in
//! the first `mul`.

use super::support::assert_fault_reported_both_ways;

#[test]
fn vdot_computing_self_first_is_caught() {
    assert_fault_reported_both_ways(
        "matmul_family_shared_operands.torch.ftr",
        "vdot-grads-self-first",
        1,
        &["[dataflow mismatch]", "aten.mul.Tensor", "VdotBackward0"],
    );
}
