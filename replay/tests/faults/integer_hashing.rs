//! Mutation tests of exact integer arithmetic and bit shifts on the
//! `integer_hashing` golden (64-bit multiplicative hashes, an int64 LCG,
//! int32 products that wrap).

use super::support::{replay_anchored_with_fault, replay_with_fault};

/// The fault fails the replay, and the first value out of tolerance is
/// `op`'s (a wrong hash later also changes how many values `unique` finds:
/// a dispatch divergence, exit 1).
fn assert_caught_at(fault: &str, op: &str) {
    for (code, out) in [
        replay_with_fault("integer_hashing.torch.ftr", fault),
        replay_anchored_with_fault("integer_hashing.torch.ftr", fault),
    ] {
        assert!(matches!(code, Some(1 | 3)), "{out}");
        let first_value = out
            .lines()
            .skip_while(|l| !l.starts_with("FAIL values"))
            .nth(1)
            .unwrap_or_default();
        assert!(first_value.contains(&format!("{op} output 0")), "{out}");
        assert!(out.contains(&format!("drift starts at {op}")), "{out}");
    }
}

#[test]
fn integer_products_through_double_are_caught() {
    // A product beyond 2^53 rounded in double: the first hash is wrong.
    assert_caught_at("integer-arithmetic-in-double", "aten.mul.Tensor");
}

#[test]
fn a_right_shift_without_sign_fill_is_caught() {
    assert_caught_at("right-shift-without-sign-fill", "aten.__rshift__.Scalar");
}
