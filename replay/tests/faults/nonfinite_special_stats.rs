//! Mutation tests on the `nonfinite_special_stats` golden: torch 2.15's
//! `mvlgamma` computes arguments at or below `(p-1)/2` (lgamma's poles
//! give inf, NaN stays NaN), so refusing them as older releases did stops
//! the replay at the operator (exit 5); `logsumexp` shifts by a maximum
//! that propagates NaN, so a row of `-inf`s beside a NaN is NaN, and a
//! maximum that skips NaN is a value failure that starts at `logsumexp`.

use super::support::{
    assert_drift_starts_at_both_ways, assert_fault_reported_both_ways, assert_replays_to_match,
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
