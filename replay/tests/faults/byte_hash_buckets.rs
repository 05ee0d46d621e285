//! Mutation test of integer kernels' operand conversion on the
//! `byte_hash_buckets` golden: a Python number or a wider 0-dim operand is
//! converted to the operator's integer dtype before `//`, `%` and `fmod`
//! (`uint8_tensor // -7` divides by 249).

use super::support::assert_drift_starts_at_both_ways;

#[test]
fn integer_numbers_left_unwrapped_are_caught() {
    assert_drift_starts_at_both_ways(
        "byte_hash_buckets.torch.ftr",
        "integer-numbers-unwrapped",
        "aten.floor_divide.default",
    );
}
