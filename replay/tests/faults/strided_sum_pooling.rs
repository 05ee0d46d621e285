//! Mutation tests on the `strided_sum_pooling` golden (a sequence model
//! pooling transposed, sliced and stepped views without making them
//! contiguous): float32/float64 `sum` and `mean` of a non-contiguous input
//! follow the walk PyTorch's sum kernel takes over memory, so every one of
//! them is PyTorch's to the bit on PyTorch's inputs.

use super::support::{assert_replays_to_match, inexact_anchored_on};

const TRACE: &str = "strided_sum_pooling.torch.ftr";

#[test]
fn the_corpus_program_matches() {
    assert_replays_to_match(TRACE);
}

#[test]
fn strided_sums_rounded_once_from_double_are_listed_per_operator() {
    let clean = inexact_anchored_on(TRACE, None);
    let broken = inexact_anchored_on(TRACE, Some("strided-sum-in-double"));
    for op in ["aten.sum.dim_IntList", "aten.mean.dim"] {
        assert!(
            clean.get(op).is_none(),
            "{op} inexact without a fault: {clean}"
        );
        assert!(broken.get(op).is_some(), "{op} not caught: {broken}");
    }
}
