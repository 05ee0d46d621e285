//! Mutation test of the regularized incomplete gamma functions on the
//! `gamma_cdf_survival` golden: an `igamma` that returns the upper function
//! Q(a, x) instead of P(a, x) is named at its first call in both modes.

use super::support::assert_first_value_failure;

const TRACE: &str = "gamma_cdf_survival.torch.ftr";

#[test]
fn an_igamma_returning_its_complement_is_named() {
    assert_first_value_failure(
        TRACE,
        "igamma-is-complement",
        &[3],
        "aten.igamma.default output 0",
    );
}
