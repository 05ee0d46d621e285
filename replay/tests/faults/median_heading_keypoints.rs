//! Mutation test of the all-element `median()` (`median_heading_keypoints`):
//! PyTorch picks the middle with libstdc++'s `nth_element` on the values
//! alone, so among quantised displacements of `-0.0` and `0.0` the sign of
//! a zero median is the one that introselect leaves. Taking the middle with
//! equal values ordered by position instead gives the other zero, which
//! the anchored replay lists as not bit-identical (equal values, other
//! signs) at the first `median()`.

use super::rounding_order::exact_unless;
use super::support::assert_replays_to_match;

const TRACE: &str = "median_heading_keypoints.torch.ftr";

#[test]
fn the_corpus_program_matches() {
    assert_replays_to_match(TRACE);
}

#[test]
fn a_median_ordered_by_position_gives_the_other_zero() {
    exact_unless(
        TRACE,
        "aten.median.default",
        "median-all-by-position",
        2,
        64,
    );
}
