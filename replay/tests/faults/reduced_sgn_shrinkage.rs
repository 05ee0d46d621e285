//! Mutation test of the efficient zero gradient's sum in float16 and
//! bfloat16 on the `reduced_sgn_shrinkage` golden (soft-thresholding by
//! `sgn(u)·relu(|u| − θ)`): the ZeroTensor `add` runs its meta `prims.add`
//! in float32, each operand converted by `to(float32)` and the sum back.
//! Run in the reduced dtype (fault `zero-tensor-add-reduced-in-place`) the
//! engine's dispatches inside `SgnBackward0` change at the first `to`.

use super::support::{assert_first_dispatch_change_both_ways, assert_replays_to_match};

const TRACE: &str = "reduced_sgn_shrinkage.torch.ftr";

#[test]
fn the_corpus_program_matches() {
    assert_replays_to_match(TRACE);
}

#[test]
fn a_zero_gradient_summed_in_the_reduced_dtype_changes_the_engine_dispatches() {
    assert_first_dispatch_change_both_ways(
        TRACE,
        "zero-tensor-add-reduced-in-place",
        &["aten.to.dtype", "SgnBackward0", "prims.add.default"],
    );
}
