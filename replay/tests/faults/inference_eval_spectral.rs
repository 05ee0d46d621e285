//! Mutation tests of the spectral evaluation under `torch.inference_mode()`
//! (`inference_eval_spectral`): a `torch.fft` transform normalised on the
//! wrong side is caught at the first such transform seen whole, and a
//! complex pad that drops the imaginary parts at the first transform that
//! pads a complex input; both free-running and anchored.

use super::support::{assert_drift_starts_at_both_ways, assert_replays_to_match};

const TRACE: &str = "inference_eval_spectral.torch.ftr";

#[test]
fn the_corpus_program_matches() {
    assert_replays_to_match(TRACE);
}

#[test]
fn an_fft_normalised_on_the_wrong_side_is_caught_at_the_first_irfft() {
    assert_drift_starts_at_both_ways(TRACE, "fft-norm-wrong-side", "aten.fft_irfft.default");
}

#[test]
fn a_complex_pad_dropping_the_imaginary_part_is_caught_at_the_padded_fft() {
    assert_drift_starts_at_both_ways(TRACE, "complex-pad-drops-imag", "aten.fft_fft.default");
}
