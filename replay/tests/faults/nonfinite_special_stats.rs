//! Mutation tests on the `nonfinite_special_stats` golden: torch 2.15's
//! `mvlgamma` computes arguments at or below `(p-1)/2` (lgamma's poles
//! give inf, NaN stays NaN), so refusing them as older releases did stops
//! the replay at the operator (exit 5); `logsumexp` shifts by a maximum
//! that propagates NaN, so a row of `-inf`s beside a NaN is NaN, and a
//! maximum that skips NaN is a value failure that starts at `logsumexp`.
//! In bfloat16/float16: LogcumsumexpBackward0 fills with the dtype's own
//! `finfo.min` (float32's changes its `scalar_tensor` dispatch);
//! `remainder`/`fmod` round a Python number to the dtype first; and the
//! float GELU of `+inf` is NaN (a value failure at `gelu` otherwise).

use super::support::{
    assert_drift_starts_at_both_ways, assert_fault_reported_both_ways,
    assert_first_dispatch_change_both_ways, assert_replays_to_match,
};

const TRACE: &str = "nonfinite_special_stats.torch.ftr";

#[test]
fn the_corpus_program_matches() {
    assert_replays_to_match(TRACE);
}

#[test]
fn an_mvlgamma_domain_check_is_caught_at_the_operator() {
    assert_fault_reported_both_ways(
        TRACE,
        "mvlgamma-domain-check",
        5,
        &["aten.mvlgamma.default", "greater than (p-1)/2"],
    );
}

#[test]
fn a_logsumexp_shift_that_skips_nan_is_caught() {
    assert_drift_starts_at_both_ways(TRACE, "logsumexp-max-skips-nan", "aten.logsumexp.default");
}

#[test]
fn a_float32_fill_in_a_reduced_logcumsumexp_backward_is_caught_at_the_node() {
    assert_first_dispatch_change_both_ways(
        TRACE,
        "logcumsumexp-grad-min-float32",
        &["aten.scalar_tensor.default", "LogcumsumexpBackward0"],
    );
}

#[test]
fn a_reduced_remainder_by_an_unrounded_number_is_caught() {
    assert_drift_starts_at_both_ways(TRACE, "remainder-number-unrounded", "aten.remainder.Scalar");
}

#[test]
fn a_finite_float_gelu_of_infinity_is_caught() {
    assert_drift_starts_at_both_ways(TRACE, "gelu-float-inf-finite", "aten.gelu.default");
}
