//! Mutation tests of the `int64_segments` golden: segment ids from
//! `repeat_interleave`, 64-bit fingerprints one apart beyond 2^53 looked up
//! with `searchsorted`.

use super::support::{assert_first_value_failure, replay_anchored_with_fault};

const GOLDEN: &str = "int64_segments.torch.ftr";

/// The fault fails the replay free-running and anchored, and the first
/// value out of tolerance (where the drift starts) is `op`'s (free-running,
/// wrong segment ids later also change a printed `item()`: exit 1).
fn assert_caught_at(fault: &str, op: &str) {
    let expected = format!("{op} output 0");
    for out in assert_first_value_failure(GOLDEN, fault, &[1, 3], &expected) {
        assert!(out.contains(&format!("drift starts at {op}")), "{out}");
    }
}

#[test]
fn reversed_repeat_interleave_positions_are_caught() {
    assert_caught_at(
        "repeat-interleave-reversed",
        "aten.repeat_interleave.Tensor",
    );
}

#[test]
fn an_int64_search_through_double_is_caught() {
    assert_caught_at("int64-search-through-double", "aten.searchsorted.Tensor");
}

#[test]
fn a_perturbed_repeat_interleave_is_caught_anchored() {
    // Free-running, segment ids one too high index past the last document
    // (the runtime refuses the index_select, as PyTorch would); anchored,
    // every operator reads PyTorch's inputs and the perturbed one is named.
    let fault = "perturb=aten.repeat_interleave.Tensor:1";
    let (code, out) = replay_anchored_with_fault(GOLDEN, fault);
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten.repeat_interleave.Tensor"),
        "{out}"
    );
}
