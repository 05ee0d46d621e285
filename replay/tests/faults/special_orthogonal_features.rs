//! Mutation test of the orthogonal polynomials on the
//! `special_orthogonal_features` golden: a Chebyshev `Tₙ` that takes its
//! three-term recurrence at every degree, where PyTorch takes
//! `cos(n acos x)` above degree 6 inside (−1, 1), is named free-running and
//! anchored (near the polynomial's zeros its few-ulp differences are out
//! of tolerance), and anchored it is listed among the operators not
//! bit-identical on PyTorch's inputs from the first feature expansion on.

use super::support::{assert_first_value_failure, assert_replays_to_match};

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
