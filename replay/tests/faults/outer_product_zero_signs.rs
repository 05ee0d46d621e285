//! Mutation tests of the signs of zeros in rank-one attention scores and
//! masked maxima (`outer_product_zero_signs`). A `bmm` of one `[40, 1] @
//! [1, 30]` product is one GEMM in PyTorch, which keeps `0 * -x` as
//! `-0.0`; `maximum`, `minimum` and Tensor-bound `clamp_min`/`clamp_max`
//! return the second operand of a `-0.0`/`+0.0` tie in whole vectors and
//! the first in each row's scalar tail; `fmax`/`fmin` keep the first
//! operand of a tie (the second in bfloat16). The program counts sign
//! bits, so any of these rules broken changes a recorded count and the
//! free-running replay diverges; on PyTorch's inputs the faulty operators
//! are listed as not bit-identical (equal values, other signs) and nothing
//! else is.

use super::rounding_order::exact_unless;
use super::support::{assert_replays_to_match, inexact_anchored_on, replay_with_fault};

const TRACE: &str = "outer_product_zero_signs.torch.ftr";

#[test]
fn the_corpus_program_matches_bit_for_bit() {
    assert_replays_to_match(TRACE);
    let exact = inexact_anchored_on(TRACE, None);
    assert!(
        exact.as_object().is_none_or(|ops| ops.is_empty()),
        "{exact}"
    );
}

fn assert_diverges(fault: &str) {
    let (code, out) = replay_with_fault(TRACE, fault);
    assert_ne!(code, Some(0), "{fault}: {out}");
    assert!(out.contains("DIVERGED"), "{fault}: {out}");
}

#[test]
fn a_single_batch_rank_one_bmm_accumulated_from_positive_zero_is_caught() {
    assert_diverges("bmm-rank-one-accumulated");
    exact_unless(TRACE, "aten.bmm.default", "bmm-rank-one-accumulated", 1, 5);
}

#[test]
fn max_min_ties_picked_by_value_alone_are_caught() {
    const FAULT: &str = "max-min-tie-lanes-ignored";
    assert_diverges(FAULT);
    exact_unless(TRACE, "aten.maximum.default", FAULT, 3, 13);
    let faulty = inexact_anchored_on(TRACE, Some(FAULT));
    for op in [
        "aten.minimum.default",
        "aten.clamp_min.Tensor",
        "aten.clamp_max.Tensor",
    ] {
        assert!(faulty.get(op).is_some(), "{op}: {faulty}");
    }
}

#[test]
fn nan_ignoring_extrema_that_pick_ties_by_value_are_caught() {
    assert_diverges("fmax-zero-tie-unordered");
    exact_unless(TRACE, "aten.fmin.default", "fmax-zero-tie-unordered", 1, 75);
}
