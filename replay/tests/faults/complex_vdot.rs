//! Mutation test of complex `vdot`'s conjugation. In the
//! `complex_inner_products` golden `vdot(w, x)` is the first complex
//! product; a kernel that does not conjugate `w` computes `dot(w, x)`,
//! and the replay names `vdot`'s output as the first value out of
//! tolerance, free-running and anchored.

use super::support::assert_first_value_failure;

#[test]
fn complex_vdot_without_conjugation_is_caught() {
    assert_first_value_failure(
        "complex_inner_products.torch.ftr",
        "complex-vdot-no-conj",
        &[3],
        "aten.vdot.default output 0 (expected seq 7",
    );
}
