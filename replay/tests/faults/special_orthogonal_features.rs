//! Mutation test of the orthogonal polynomials on the
//! `special_orthogonal_features` golden: a Chebyshev `Tₙ` that takes its
//! three-term recurrence at every degree, where PyTorch takes
//! `cos(n acos x)` above degree 6 inside (−1, 1), is named free-running and
//! anchored (near the polynomial's zeros its few-ulp differences are out
//! of tolerance), and anchored it is listed among the operators not
//! bit-identical on PyTorch's inputs from the first feature expansion on.

use super::support::{
    assert_fault_reported_both_ways, assert_first_value_failure, assert_replays_to_match,
};

const TRACE: &str = "special_orthogonal_features.torch.ftr";

#[test]
fn the_golden_replays_to_match() {
    assert_replays_to_match(TRACE);
}

#[test]
fn a_chebyshev_plain_recurrence_is_named() {
    let [_, anchored] = assert_first_value_failure(
        TRACE,
        "chebyshev-plain-recurrence",
        &[3],
        "aten.special_chebyshev_polynomial_t.default output 0",
    );
    assert!(
        anchored.contains("aten.special_chebyshev_polynomial_t.default ×4"),
        "{anchored}"
    );
}

/// Y1's and K1's backward multiplying `1/x` by itself instead of the saved
/// result by it: the same calls in the same order, but the product reads
/// another tensor, which the dispatch check names inside the first of the
/// two nodes the engine runs (K1's), both ways.
#[test]
fn a_bessel_quotient_without_the_result_is_named() {
    assert_fault_reported_both_ways(
        TRACE,
        "bessel-quotient-without-result",
        1,
        &[
            "first divergence: [dispatch changed]",
            "aten.mul.Tensor(T435[16,1], T515[16,1]) → T516[16,1] · node N60 \
             SpecialModifiedBesselK1Backward0; actual dispatch op \
             aten.mul.Tensor(T515[16,1], T515[16,1])",
        ],
    );
}
