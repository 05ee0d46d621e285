//! Mutation tests of the signs of zeros clamped in place and into `out=`
//! buffers (`inplace_clamp_zero_signs`). `clamp_min_`, `clamp_max_` and
//! `clamp_` with tensor bounds and `maximum`/`minimum` with `out=` return
//! the second operand of a `-0.0`/`+0.0` tie in whole vectors of the
//! destination's loop and the first in its scalar tail, two intra-op
//! threads included, as the out-of-place forms do. The program counts sign
//! bits, so picking ties by value alone changes a recorded count.

use super::rounding_order::exact_unless;
use super::support::{assert_replays_to_match, inexact_anchored_on, replay_with_fault};

const TRACE: &str = "inplace_clamp_zero_signs.torch.ftr";

#[test]
fn the_corpus_program_matches_bit_for_bit() {
    assert_replays_to_match(TRACE);
    let exact = inexact_anchored_on(TRACE, None);
    assert!(
        exact.as_object().is_none_or(|ops| ops.is_empty()),
        "{exact}"
    );
}

#[test]
fn in_place_and_out_ties_picked_by_value_are_caught() {
    const FAULT: &str = "max-min-tie-lanes-out-of-place-only";
    let (code, out) = replay_with_fault(TRACE, FAULT);
    assert_ne!(code, Some(0), "{FAULT}: {out}");
    assert!(out.contains("DIVERGED"), "{FAULT}: {out}");
    exact_unless(TRACE, "aten.clamp_min_.Tensor", FAULT, 3, 15);
    let faulty = inexact_anchored_on(TRACE, Some(FAULT));
    for op in [
        "aten.clamp_max_.Tensor",
        "aten.clamp_.Tensor",
        "aten.maximum.out",
        "aten.minimum.out",
    ] {
        assert!(faulty.get(op).is_some(), "{op}: {faulty}");
    }
}
