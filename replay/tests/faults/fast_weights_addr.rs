//! Mutation test of `addr` on the `fast_weights_addr` golden: with
//! `beta=0` PyTorch ignores `self`, so a NaN-filled `self` leaves the
//! outer product alone; a kernel that still multiplies `self` by 0 makes
//! every element NaN.

use super::support::assert_first_value_failure;

#[test]
fn addr_reading_self_under_beta_zero_is_caught_at_addr_both_ways() {
    assert_first_value_failure(
        "fast_weights_addr.torch.ftr",
        "addr-beta-zero-reads-self",
        &[3],
        "aten.addr.default output 0",
    );
}
