//! Mutation test on the `conformer_rotary_ctc` golden (a Conformer block
//! trained with CTC, then run under bfloat16 autocast at batch size one): a
//! promoted pointwise operand that is a strided, non-dense view laid out as
//! a contiguous cast copy diverges at the first rotary product of a
//! bfloat16 head half (`q[..., ::2]` of a transposed view) with the float32
//! cosine table, free-running and anchored.

use super::support::assert_first_dispatch_change_both_ways;

const TRACE: &str = "conformer_rotary_ctc.torch.ftr";

#[test]
fn a_contiguous_cast_copy_diverges_at_the_bfloat16_rotary_product() {
    assert_first_dispatch_change_both_ways(
        TRACE,
        "cast-copy-contiguous",
        &["expected seq 3854", "aten.mul.Tensor", "keys=AutocastCPU"],
    );
}
