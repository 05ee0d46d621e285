//! Mutation tests on the `threaded_feature_stats` golden (dataset statistics
//! of 32 768 elements or more, captured on two intra-op threads): PyTorch
//! shares such a sum's loop over memory between its threads — a total in
//! consecutive parts and the threads' partials added last, several results
//! by columns of a kept dimension — and the runtime follows the trace's
//! thread count, so every one of them is PyTorch's to the bit on PyTorch's
//! inputs.

use super::support::{assert_replays_to_match, inexact_anchored_on};

const TRACE: &str = "threaded_feature_stats.torch.ftr";

#[test]
fn the_corpus_program_matches() {
    assert_replays_to_match(TRACE);
}

#[test]
fn strided_sums_run_as_one_loop_are_listed_per_operator() {
    let clean = inexact_anchored_on(TRACE, None);
    assert!(
        clean.as_object().is_none_or(|m| m.is_empty()),
        "inexact without a fault: {clean}"
    );
    let broken = inexact_anchored_on(TRACE, Some("strided-sum-one-loop"));
    // the total of the channels-last batch (two-pass) and the mean of every
    // other column (its columns split between the threads mid-group)
    for op in ["aten.sum.default", "aten.mean.dim"] {
        assert!(broken.get(op).is_some(), "{op} not caught: {broken}");
    }
}
