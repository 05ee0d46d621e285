//! Mutation tests of in-place complex arithmetic on the
//! `complex_inplace_sgd` golden: a runtime whose complex `add_` / `sub_` /
//! `mul_` / `div_` write only the real parts of their result back into
//! `self` is a value failure starting at the momentum buffer's first
//! `add_`, free-running and anchored.

use super::support::{replay, replay_anchored_with_fault, replay_with_fault};

const TRACE: &str = "complex_inplace_sgd.torch.ftr";

#[test]
fn the_complex_inplace_sgd_golden_matches_without_a_fault() {
    let (code, out) = replay(TRACE, None);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.lines().any(|l| l == "MATCH"), "{out}");
}

#[test]
fn complex_inplace_arithmetic_dropping_imaginary_parts_is_caught() {
    for (code, out) in [
        replay_with_fault(TRACE, "complex-inplace-drops-imag"),
        replay_anchored_with_fault(TRACE, "complex-inplace-drops-imag"),
    ] {
        assert_eq!(code, Some(3), "{out}");
        assert!(out.contains("drift starts at aten.add_.Tensor"), "{out}");
    }
}
