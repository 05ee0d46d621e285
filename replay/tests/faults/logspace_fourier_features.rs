//! Mutation test of `torch.logspace` on the `logspace_fourier_features`
//! golden: exponents taken from the end points as given, not first held in
//! the element type, are named at the integer `logspace` in both modes.

use super::support::assert_first_value_failure;

const TRACE: &str = "logspace_fourier_features.torch.ftr";

#[test]
fn logspace_end_points_not_held_in_the_dtype_are_named() {
    assert_first_value_failure(
        TRACE,
        "logspace-unrounded-ends",
        &[3],
        "aten.logspace.default output 0",
    );
}
