//! Mutation tests of exact integer arithmetic and bit shifts on the
//! `integer_hashing` golden (64-bit multiplicative hashes, an int64 LCG,
//! int32 products that wrap).

use super::support::assert_first_value_failure;

/// The fault fails the replay, and the first value out of tolerance is
/// `op`'s (a wrong hash later also changes how many values `unique` finds:
/// a dispatch divergence, exit 1).
fn assert_caught_at(fault: &str, op: &str) {
    let expected = format!("{op} output 0");
    for out in assert_first_value_failure("integer_hashing.torch.ftr", fault, &[1, 3], &expected) {
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
