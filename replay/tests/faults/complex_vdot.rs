//! Mutation test of complex `vdot`'s conjugation. In the
//! `complex_inner_products` golden `vdot(w, x)` is the first complex
//! product; a kernel that does not conjugate `w` computes `dot(w, x)`,
//! and the replay names `vdot`'s output as the first value out of
//! tolerance, free-running and anchored. Its last products take `.conj()`
//! views, which PyTorch's `dot`/`vdot` accept without the Conjugate
//! fallback's `clone`.

use super::support::{assert_fault_reported_both_ways, assert_first_value_failure};

#[test]
fn complex_vdot_without_conjugation_is_caught() {
    assert_first_value_failure(
        "complex_inner_products.torch.ftr",
        "complex-vdot-no-conj",
        &[3],
        "aten.vdot.default output 0 (expected seq 7",
    );
}

#[test]
fn inner_products_through_the_conjugate_fallback_are_caught() {
    assert_fault_reported_both_ways(
        "complex_inner_products.torch.ftr",
        "dot-through-conj-fallback",
        1,
        &[
            "[dispatch changed]",
            "aten.dot.default",
            "aten.clone.default",
        ],
    );
}
