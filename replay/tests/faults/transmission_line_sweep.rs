//! Mutation test of complex `log` on the `transmission_line_sweep` golden:
//! the angle of a reflection coefficient with a negative real part.

use super::support::assert_drift_starts_at_both_ways;

#[test]
fn complex_log_by_atan_is_caught() {
    assert_drift_starts_at_both_ways(
        "transmission_line_sweep.torch.ftr",
        "complex-log-atan",
        "aten.log.default",
    );
}
