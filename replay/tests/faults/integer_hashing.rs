//! Mutation tests of exact integer arithmetic and bit shifts on the
//! `integer_hashing` golden (64-bit multiplicative hashes, an int64 LCG,
//! int32 products that wrap).

use super::support::{replay_anchored_with_fault, replay_with_fault};

fn assert_caught_at(fault: &str, op: &str) {
    let (code, out) = replay_with_fault("integer_hashing.torch.ftr", fault);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains(&format!("{op} (expected seq")), "{out}");
    let (code, out) = replay_anchored_with_fault("integer_hashing.torch.ftr", fault);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains(&format!("drift starts at {op}")), "{out}");
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
